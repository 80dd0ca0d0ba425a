#!/usr/bin/python3
"""A PDF/UA-1 checker for the pdfgen fact sheets: the Matterhorn Protocol
checkpoints a machine can decide on these documents, read with pikepdf.

Usage: tests/pdfua.py file.pdf...
Prints one line per failure, "file: page N: checkpoint: message" (or
"file: document: checkpoint: message" for document-wide ones), and exits 1
if there was any.

As a library: every check_* function takes a pikepdf.Pdf (or a Document,
which caches the parsed content streams and structure tree between checks)
and returns a list of Failure; check_all() runs them all.  The tests in
test_pdfua_checker.py call them one by one on synthetic documents.

Checkpoint names used in the messages, with the Matterhorn checkpoints
they stand for:

  markinfo          06-001..  /MarkInfo /Marked true
  lang              11-006    catalog /Lang
  display-doc-title 07-001    /ViewerPreferences /DisplayDocTitle true
  metadata          06-002, 06-003, 06-004, 07-002  XMP with pdfuaid:part 1,
                              dc:title (= Info /Title), dc:language, dates
  struct-tree       01-006..  StructTreeRoot, ParentTree, ParentTreeNextKey
  role-map          02-001    every structure type standard or role-mapped
  marked-content    01-001..01-005  every painting operator is tagged
                              content (MCID) or an Artifact, never both
  mcid              01-xxx    every MCID belongs to exactly one element,
                              and the ParentTree says which
  headings          14-003    no skipped heading levels
  lists             16-001..  L > LI > Lbl/LBody
  links             28-xxx    Link annotations tagged, /Contents, /Tabs /S
  figure-alt        13-004    Figure has /Alt or /ActualText
  tounicode         10-001    every shown code maps to Unicode
  font-embedding    31-xxx    every font program embedded

Limits, on purpose (pdfgen writes none of these): content inside Form
XObjects is checked for marking and glyph mapping but its MCIDs are not
matched against the tree (a form's own /StructParents); Type0 fonts are
assumed to use 2-byte codes (Identity-H/V); simple fonts 1-byte codes.
"""

import datetime
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream, String


@dataclass(frozen=True)
class Failure:
    page: int  # 1-based page number, or 0 for the whole document
    checkpoint: str
    message: str

    def __str__(self):
        where = "page %d" % self.page if self.page else "document"
        return "%s: %s: %s" % (where, self.checkpoint, self.message)


# The standard structure types of PDF 1.7 (ISO 32000-1, 14.8.4), which
# PDF/UA-1 builds on; anything else must be role-mapped to one of them.
STANDARD_TYPES = set("""
Document Part Art Sect Div BlockQuote Caption TOC TOCI Index NonStruct
Private P H H1 H2 H3 H4 H5 H6 L LI Lbl LBody Table TR TH TD THead TBody
TFoot Span Quote Note Reference BibEntry Code Link Annot Ruby RB RT RP
Warichu WT WP Figure Formula Form""".split())

TEXT_OPS = {"Tj", "TJ", "'", '"'}
PATH_PAINT_OPS = {"f", "F", "f*", "B", "B*", "b", "b*", "S", "s"}
# Operators that put marks on the page (PDF 32000-1, tables 59, 77, 107).
# `n` ends a path without painting (clipping) and is not one of them.
PAINT_OPS = TEXT_OPS | PATH_PAINT_OPS | {"Do", "sh", "INLINE IMAGE", "BI"}

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdfuaid": "http://www.aiim.org/pdfua/ns/id/",
}


def text(obj):
    """A PDF string as Python text ('' for anything else)."""
    if isinstance(obj, String):
        return str(obj)
    return ""


def key(obj):
    """Identity of an indirect object: structure elements and annotations
    must be indirect so that the ParentTree can point at them."""
    return tuple(obj.objgen) if obj.objgen != (0, 0) else ("direct", id(obj))


def same(a, b):
    return a.objgen != (0, 0) and a.objgen == b.objgen


# ---- parsed document: content streams and structure tree, parsed once ----

class PageContent:
    """What one page's content streams hold, as the checks need it."""

    def __init__(self):
        self.unmarked = []     # painting operators outside MCID and Artifact
        self.mcids = []        # every MCID opened on the page, in order
        self.shows = []        # (font dict, string bytes, excused by ActualText)
        self.fonts = []        # every font dict selected with Tf
        self.errors = []       # (checkpoint, message) found while parsing


class Element:
    def __init__(self, obj, stype, page, parent):
        self.obj = obj
        self.raw_type = stype          # /S as written
        self.type = stype              # after the RoleMap
        self.page = page               # page number the element's /Pg says (or inherited)
        self.parent = parent
        self.children = []             # child Elements
        self.mcids = []                # (page number, mcid) of its content
        self.objrs = []                # objects it references via OBJR


class Document:
    def __init__(self, pdf):
        self.pdf = pdf
        self.page_numbers = {p.obj.objgen: i + 1 for i, p in enumerate(pdf.pages)}
        self._content = None
        self._tree = None

    # -- content streams --

    @property
    def content(self):
        if self._content is None:
            self._content = [self._parse_page(p) for p in self.pdf.pages]
        return self._content

    def _parse_page(self, page):
        pc = PageContent()
        try:
            ops = pikepdf.parse_content_stream(page)
        except pikepdf.PdfError as e:
            pc.errors.append(("marked-content", "cannot parse content stream: %s" % e))
            return pc
        stack = []
        self._walk(ops, page.obj.get("/Resources", Dictionary()), stack, pc, set())
        if stack:
            pc.errors.append(("marked-content", "%d marked-content sequences not closed by EMC" % len(stack)))
        return pc

    def _walk(self, ops, resources, stack, pc, forms):
        """Walks content operators keeping the marked-content stack (a list
        of (tag, properties dict)) and the current font across q/Q."""
        font, saved = None, []
        base = len(stack)  # a form must close what it opens
        for index, inst in enumerate(ops):
            op = str(inst.operator)
            operands = inst.operands if op != "INLINE IMAGE" else []
            if op == "q":
                saved.append(font)
            elif op == "Q":
                font = saved.pop() if saved else font
            elif op == "Tf" and operands:
                font = resources.get("/Font", Dictionary()).get(operands[0])
                if font is not None:
                    pc.fonts.append(font)
            elif op == "BMC":
                stack.append((str(operands[0]), Dictionary()))
            elif op == "BDC":
                props = operands[1]
                if isinstance(props, Name):  # a named entry of /Properties
                    props = resources.get("/Properties", Dictionary()).get(props, Dictionary())
                tag = str(operands[0])
                in_artifact = any(t == "/Artifact" for t, _ in stack)
                in_mcid = any("/MCID" in p for _, p in stack)
                if "/MCID" in props:
                    mcid = int(props.MCID)
                    pc.mcids.append(mcid)
                    if in_artifact:
                        pc.errors.append(("marked-content", "MCID %d inside an Artifact" % mcid))
                    elif in_mcid:
                        pc.errors.append(("marked-content", "MCID %d nested inside another MCID" % mcid))
                if tag == "/Artifact" and in_mcid:
                    pc.errors.append(("marked-content", "Artifact inside tagged content (MCID)"))
                stack.append((tag, props))
            elif op == "EMC":
                if len(stack) > base:
                    stack.pop()
                else:
                    pc.errors.append(("marked-content", "EMC without a matching BDC/BMC (operator #%d)" % index))
            elif op in PAINT_OPS:
                marked = any("/MCID" in p or t == "/Artifact" for t, p in stack)
                if not marked:
                    pc.unmarked.append("%s (operator #%d)" % (op, index))
                if op in TEXT_OPS and font is not None:
                    excused = any("/ActualText" in p for _, p in stack)
                    strings = operands[0] if op == "TJ" else [operands[-1]]
                    for s in strings:
                        if isinstance(s, String):
                            pc.shows.append((font, bytes(s), excused))
                if op == "Do":
                    self._form(operands[0], resources, stack, pc, forms)
        if forms and len(stack) > base:  # inside a form
            pc.errors.append(("marked-content", "a Form XObject leaves a marked-content sequence open"))
            del stack[base:]

    def _form(self, name, resources, stack, pc, forms):
        xobj = resources.get("/XObject", Dictionary()).get(name)
        if not isinstance(xobj, Stream) or xobj.get("/Subtype") != "/Form":
            return
        if xobj.objgen in forms:  # a form drawing itself
            return
        try:
            ops = pikepdf.parse_content_stream(xobj)
        except pikepdf.PdfError as e:
            pc.errors.append(("marked-content", "cannot parse Form XObject: %s" % e))
            return
        self._walk(ops, xobj.get("/Resources", resources), stack, pc, forms | {xobj.objgen})

    # -- structure tree --

    @property
    def root(self):
        return self.pdf.Root.get("/StructTreeRoot")

    @property
    def tree(self):
        """(elements in document order, failures met while walking)."""
        if self._tree is None:
            self._tree = self._walk_tree()
        return self._tree

    def role(self, stype):
        """The standard type a structure type maps to (or itself)."""
        rolemap = self.root.get("/RoleMap", Dictionary()) if self.root is not None else Dictionary()
        seen = set()
        while stype not in STANDARD_TYPES and ("/" + stype) in rolemap and stype not in seen:
            seen.add(stype)
            stype = str(rolemap["/" + stype])[1:]
        return stype

    def _walk_tree(self):
        elements, failures = [], []
        root = self.root
        if root is None:
            return elements, failures
        seen = set()

        def page_of(obj, inherited):
            pg = obj.get("/Pg")
            if pg is None:
                return inherited
            n = self.page_numbers.get(pg.objgen)
            if n is None:
                failures.append(Failure(0, "struct-tree", "/Pg is not a page of this document"))
            return n

        def visit(kid, parent, page):
            if isinstance(kid, int):
                if parent is None:
                    failures.append(Failure(0, "struct-tree", "MCID directly under StructTreeRoot"))
                elif page is None:
                    failures.append(Failure(0, "mcid", "MCID %d of a %s has no /Pg" % (int(kid), parent.type)))
                else:
                    parent.mcids.append((page, int(kid)))
                return
            if not isinstance(kid, Dictionary):
                return
            ktype = kid.get("/Type")
            if ktype == "/MCR":
                mpage = page_of(kid, page)
                if parent is None or mpage is None:
                    failures.append(Failure(0, "mcid", "MCR without a page or parent element"))
                elif "/Stm" in kid:
                    pass  # content in a Form XObject; see the module's limits
                else:
                    parent.mcids.append((mpage, int(kid.MCID)))
                return
            if ktype == "/OBJR":
                if parent is not None and "/Obj" in kid:
                    parent.objrs.append(kid.Obj)
                return
            if "/S" not in kid:
                return
            if kid.objgen != (0, 0):
                if kid.objgen in seen:
                    failures.append(Failure(0, "struct-tree", "structure element %r reached twice" % (kid.objgen,)))
                    return
                seen.add(kid.objgen)
            raw = str(kid.S)[1:]
            el = Element(kid, raw, page_of(kid, page), parent)
            el.type = self.role(raw)
            if parent is not None:
                parent.children.append(el)
            elements.append(el)
            kids = kid.get("/K")
            for k in (kids if isinstance(kids, Array) else [kids] if kids is not None else []):
                visit(k, el, el.page)

        kids = root.get("/K")
        for k in (kids if isinstance(kids, Array) else [kids] if kids is not None else []):
            visit(k, None, None)
        return elements, failures

    def parent_tree(self):
        """The ParentTree number tree flattened into {key: value}."""
        out = {}

        def visit(node, depth):
            if depth > 32:
                return
            nums = node.get("/Nums")
            if nums is not None:
                for i in range(0, len(nums) - 1, 2):
                    out[int(nums[i])] = nums[i + 1]
            for kid in node.get("/Kids", Array()):
                visit(kid, depth + 1)

        if self.root is not None and "/ParentTree" in self.root:
            visit(self.root.ParentTree, 0)
        return out


def as_document(pdf):
    return pdf if isinstance(pdf, Document) else Document(pdf)


# ---- document-level checks ----

def check_markinfo(pdf):
    doc = as_document(pdf)
    mark = doc.pdf.Root.get("/MarkInfo")
    if mark is None or mark.get("/Marked") is not True:
        return [Failure(0, "markinfo", "catalog /MarkInfo /Marked is not true")]
    return []


def check_lang(pdf):
    doc = as_document(pdf)
    if not text(doc.pdf.Root.get("/Lang")).strip():
        return [Failure(0, "lang", "catalog /Lang is missing or empty")]
    return []


def check_display_doc_title(pdf):
    doc = as_document(pdf)
    prefs = doc.pdf.Root.get("/ViewerPreferences", Dictionary())
    if prefs.get("/DisplayDocTitle") is not True:
        return [Failure(0, "display-doc-title", "/ViewerPreferences /DisplayDocTitle is not true")]
    return []


def parse_pdf_date(s):
    """D:YYYYMMDDHHmmSSOHH'mm' as an aware datetime.  libharu writes
    'Z00'00'' after the Z; anything after a Z is ignored."""
    m = re.match(r"D:(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?([Zz+-])?(\d\d)?'?(\d\d)?'?", s)
    if not m:
        return None
    y, mo, d, h, mi, sec, sign, oh, om = m.groups()
    offset = datetime.timedelta(0)
    if sign in ("+", "-"):
        offset = datetime.timedelta(hours=int(oh or 0), minutes=int(om or 0))
        if sign == "-":
            offset = -offset
    return datetime.datetime(int(y), int(mo or 1), int(d or 1), int(h or 0), int(mi or 0),
                             int(sec or 0), tzinfo=datetime.timezone(offset))


def parse_xmp_date(s):
    try:
        dt = datetime.datetime.fromisoformat(s.strip().replace("z", "Z"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=datetime.timezone.utc)


def xmp_property(root, ns, name):
    """A simple XMP property, written either as an attribute of an
    rdf:Description or as its child element; None if absent."""
    tag = "{%s}%s" % (NS[ns], name)
    for desc in root.iter("{%s}Description" % NS["rdf"]):
        if tag in desc.attrib:
            return desc.attrib[tag]
        el = desc.find(tag)
        if el is not None:
            return el
    return None


def xmp_items(value):
    """The rdf:li texts of an Alt/Bag/Seq property (or the plain text)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    items = [li.text or "" for li in value.iter("{%s}li" % NS["rdf"])]
    return items if items else [value.text or ""]


def check_metadata(pdf):
    doc = as_document(pdf)
    fail = lambda msg: Failure(0, "metadata", msg)
    meta = doc.pdf.Root.get("/Metadata")
    if not isinstance(meta, Stream):
        return [fail("catalog has no /Metadata XMP stream")]
    try:
        root = ET.fromstring(meta.read_bytes())
    except ET.ParseError as e:
        return [fail("XMP is not well-formed XML: %s" % e)]
    failures = []
    part = xmp_items(xmp_property(root, "pdfuaid", "part"))
    if [p.strip() for p in part] != ["1"]:
        failures.append(fail("XMP pdfuaid:part is %s, not 1" % (part[0] if part else "missing")))
    info = doc.pdf.trailer.get("/Info", Dictionary())
    title = xmp_items(xmp_property(root, "dc", "title"))
    info_title = text(info.get("/Title"))
    if not title or not title[0].strip():
        failures.append(fail("XMP dc:title is missing or empty"))
    elif title[0] != info_title:
        failures.append(fail("XMP dc:title %r differs from Info /Title %r" % (title[0], info_title)))
    if not any(l.strip() for l in xmp_items(xmp_property(root, "dc", "language"))):
        failures.append(fail("XMP dc:language is missing or empty"))
    for info_key, xmp_name in (("/CreationDate", "CreateDate"), ("/ModDate", "ModifyDate")):
        raw_info = text(info.get(info_key))
        raw_xmp = xmp_items(xmp_property(root, "xmp", xmp_name))
        if not raw_info or not raw_xmp:
            failures.append(fail("Info %s %r and XMP xmp:%s %r must both be present"
                                 % (info_key, raw_info, xmp_name, raw_xmp[0] if raw_xmp else None)))
            continue
        a, b = parse_pdf_date(raw_info), parse_xmp_date(raw_xmp[0])
        if a is None or b is None or a != b:
            failures.append(fail("XMP xmp:%s %r is not the instant of Info %s %r"
                                 % (xmp_name, raw_xmp[0], info_key, raw_info)))
    return failures


# ---- structure tree ----

def check_struct_tree(pdf):
    doc = as_document(pdf)
    fail = lambda msg: Failure(0, "struct-tree", msg)
    root = doc.root
    if not isinstance(root, Dictionary):
        return [fail("catalog has no /StructTreeRoot (the document is not tagged)")]
    failures = list(doc.tree[1])
    if "/ParentTree" not in root:
        failures.append(fail("StructTreeRoot has no /ParentTree"))
        return failures
    keys = doc.parent_tree().keys()
    next_key = root.get("/ParentTreeNextKey")
    if keys and (next_key is None or int(next_key) <= max(keys)):
        failures.append(fail("/ParentTreeNextKey %s is not greater than every ParentTree key (max %d)"
                             % (next_key, max(keys))))
    if not doc.tree[0]:
        failures.append(fail("the structure tree has no elements"))
    return failures


def check_role_map(pdf):
    doc = as_document(pdf)
    failures = []
    for t in sorted({el.raw_type for el in doc.tree[0] if el.type not in STANDARD_TYPES}):
        failures.append(Failure(0, "role-map", "structure type /%s is not standard and not role-mapped "
                                "to a standard type" % t))
    return failures


# ---- content ----

def check_marked_content(pdf):
    doc = as_document(pdf)
    failures = []
    for n, pc in enumerate(doc.content, 1):
        if pc.unmarked:
            failures.append(Failure(n, "marked-content", "%d painting operators neither in tagged content "
                                    "(MCID) nor in an Artifact, first: %s"
                                    % (len(pc.unmarked), pc.unmarked[0])))
        for checkpoint, msg in pc.errors:
            failures.append(Failure(n, checkpoint, msg))
    return failures


def check_mcids(pdf):
    """Content MCIDs <-> structure elements <-> ParentTree, page by page."""
    doc = as_document(pdf)
    if doc.root is None:
        return []  # reported by check_struct_tree
    failures = []
    owners = {}  # (page, mcid) -> [Element]
    for el in doc.tree[0]:
        for ref in el.mcids:
            owners.setdefault(ref, []).append(el)
    parents = doc.parent_tree()
    for n, (page, pc) in enumerate(zip(doc.pdf.pages, doc.content), 1):
        used = set()
        for mcid in pc.mcids:
            if mcid in used:
                failures.append(Failure(n, "mcid", "MCID %d is used by two marked-content sequences" % mcid))
            used.add(mcid)
        for (p, mcid), els in sorted(owners.items(), key=lambda kv: kv[0]):
            if p == n and mcid not in used:
                failures.append(Failure(n, "mcid", "MCID %d is referenced by a %s but not in the page's content"
                                        % (mcid, els[0].type)))
        if not used:
            continue
        sp = page.obj.get("/StructParents")
        entry = parents.get(int(sp)) if sp is not None else None
        if sp is None:
            failures.append(Failure(n, "parent-tree", "page has MCIDs but no /StructParents"))
        elif not isinstance(entry, Array):
            failures.append(Failure(n, "parent-tree", "ParentTree entry %d for the page is not an array" % int(sp)))
            entry = None
        for mcid in sorted(used):
            els = owners.get((n, mcid), [])
            if len(els) != 1:
                failures.append(Failure(n, "mcid", "MCID %d is referenced by %d structure elements%s"
                                        % (mcid, len(els), " (%s)" % ", ".join(e.type for e in els) if els else "")))
                continue
            if entry is not None and (mcid >= len(entry) or not same(entry[mcid], els[0].obj)):
                failures.append(Failure(n, "parent-tree", "ParentTree[%d][%d] is not the %s that holds MCID %d"
                                        % (int(sp), mcid, els[0].type, mcid)))
    return failures


# ---- structure types ----

def check_headings(pdf):
    doc = as_document(pdf)
    failures, level = [], 0
    for el in doc.tree[0]:
        m = re.fullmatch(r"H([1-6])", el.type)
        if not m:
            continue
        new = int(m.group(1))
        if new > level + 1:
            failures.append(Failure(el.page or 0, "headings", "%s follows %s: a heading level is skipped"
                                    % (el.type, "H%d" % level if level else "the start of the document")))
        level = new
    return failures


def check_lists(pdf):
    doc = as_document(pdf)
    failures = []
    for el in doc.tree[0]:
        if el.type == "L":
            bad = [c.type for c in el.children if c.type not in ("LI", "Caption")]
            if bad or el.mcids:
                failures.append(Failure(el.page or 0, "lists", "L has children other than LI/Caption: %s"
                                        % ", ".join(bad + ["content"] * bool(el.mcids))))
        elif el.type == "LI":
            kinds = [c.type for c in el.children]
            bad = [k for k in kinds if k not in ("Lbl", "LBody")]
            if bad or el.mcids:
                failures.append(Failure(el.page or 0, "lists", "LI has children other than Lbl/LBody: %s"
                                        % ", ".join(bad + ["content"] * bool(el.mcids))))
            if "LBody" not in kinds:
                failures.append(Failure(el.page or 0, "lists", "LI has no LBody"))
    return failures


def check_links(pdf):
    doc = as_document(pdf)
    failures = []
    parents = doc.parent_tree()
    for n, page in enumerate(doc.pdf.pages, 1):
        annots = page.obj.get("/Annots", Array())
        if len(annots) and page.obj.get("/Tabs") != "/S":
            failures.append(Failure(n, "links", "page has annotations but no /Tabs /S"))
        for annot in annots:
            if annot.get("/Subtype") != "/Link":
                continue
            uri = text(annot.get("/A", Dictionary()).get("/URI")) or "(no URI)"
            if not text(annot.get("/Contents")).strip():
                failures.append(Failure(n, "links", "Link annotation %s has no /Contents" % uri))
            sp = annot.get("/StructParent")
            if sp is None:
                failures.append(Failure(n, "links", "Link annotation %s has no /StructParent" % uri))
                continue
            el = parents.get(int(sp))
            if not isinstance(el, Dictionary) or doc.role(str(el.get("/S", "/?"))[1:]) != "Link":
                failures.append(Failure(n, "links", "ParentTree[%d] for Link annotation %s is not a Link element"
                                        % (int(sp), uri)))
                continue
            kids = el.get("/K")
            kids = kids if isinstance(kids, Array) else [kids]
            if not any(isinstance(k, Dictionary) and k.get("/Type") == "/OBJR" and "/Obj" in k
                       and same(k.Obj, annot) for k in kids):
                failures.append(Failure(n, "links", "Link element for annotation %s has no OBJR to it" % uri))
    return failures


def check_figures(pdf):
    doc = as_document(pdf)
    return [Failure(el.page or 0, "figure-alt", "Figure has no /Alt or /ActualText")
            for el in doc.tree[0]
            if el.type == "Figure" and not (text(el.obj.get("/Alt")).strip()
                                            or text(el.obj.get("/ActualText")).strip())]


# ---- fonts ----

def tounicode_codes(cmap):
    """The codes a ToUnicode CMap maps to a non-empty string."""
    data = cmap.read_bytes().decode("latin-1")
    codes = set()
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            if dst:
                codes.add(int(src, 16))
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]*>|\[[^\]]*\])", block):
            lo, hi = int(lo, 16), int(hi, 16)
            if dst.startswith("["):
                dsts = re.findall(r"<([0-9A-Fa-f]*)>", dst)
                codes.update(lo + i for i, d in enumerate(dsts) if d and lo + i <= hi)
            elif dst != "<>":
                codes.update(range(lo, hi + 1))
    return codes


def font_name(font):
    return str(font.get("/BaseFont", "/?"))[1:]


def check_tounicode(pdf, excuse_actualtext=True):
    """With excuse_actualtext (the default), codes shown inside a marked-content
    sequence with /ActualText need no ToUnicode entry.  veraPDF's rule 7.21.7
    and mutool 1.21 (which prints U+FFFD for them) do not excuse them: pass
    False to check as they do."""
    doc = as_document(pdf)
    failures = []
    cmaps = {}  # font key -> set of mapped codes, or None without a ToUnicode
    for n, pc in enumerate(doc.content, 1):
        missing = {}  # font name -> set of codes
        for font, data, excused in pc.shows:
            k = key(font)
            if k not in cmaps:
                tu = font.get("/ToUnicode")
                cmaps[k] = tounicode_codes(tu) if isinstance(tu, Stream) else None
            width = 2 if font.get("/Subtype") == "/Type0" else 1
            codes = [int.from_bytes(data[i:i + width], "big") for i in range(0, len(data) - width + 1, width)]
            if cmaps[k] is None:
                if not (excused and excuse_actualtext) and font.get("/Subtype") == "/Type0":
                    missing.setdefault(font_name(font), set()).add("no ToUnicode")
                continue
            if not (excused and excuse_actualtext):
                for c in codes:
                    if c not in cmaps[k]:
                        missing.setdefault(font_name(font), set()).add("%04X" % c)
        for name, codes in sorted(missing.items()):
            failures.append(Failure(n, "tounicode", "font %s shows codes without a ToUnicode mapping: %s"
                                    % (name, " ".join(sorted(codes)))))
    return failures


def font_descriptors(font):
    if font.get("/Subtype") == "/Type0":
        for d in font.get("/DescendantFonts", Array()):
            yield d.get("/FontDescriptor")
    elif font.get("/Subtype") != "/Type3":  # Type3 glyphs are content streams
        yield font.get("/FontDescriptor")


def check_fonts_embedded(pdf):
    doc = as_document(pdf)
    failures, seen = [], set()
    for n, page in enumerate(doc.pdf.pages, 1):
        fonts = [f for _, f in page.obj.get("/Resources", Dictionary()).get("/Font", Dictionary()).items()]
        fonts += doc.content[n - 1].fonts  # including those of Form XObjects
        for font in fonts:
            if key(font) in seen:
                continue
            seen.add(key(font))
            for fd in font_descriptors(font):
                if not isinstance(fd, Dictionary) or not any(
                        k in fd for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    failures.append(Failure(n, "font-embedding", "font %s is not embedded" % font_name(font)))
    return failures


CHECKS = [check_markinfo, check_lang, check_display_doc_title, check_metadata, check_struct_tree,
          check_role_map, check_marked_content, check_mcids, check_headings, check_lists, check_links,
          check_figures, check_tounicode, check_fonts_embedded]


def check_all(pdf):
    doc = as_document(pdf)
    failures = []
    for check in CHECKS:
        failures += check(doc)
    return failures


def check_file(path):
    try:
        with pikepdf.open(path) as pdf:
            return [str(f) for f in check_all(pdf)]
    except (pikepdf.PdfError, OSError) as e:
        return ["document: open: %s" % e]


def main(argv):
    if not argv:
        print("usage: pdfua.py file.pdf...", file=sys.stderr)
        return 2
    bad = False
    for path in argv:
        for line in check_file(path):
            print("%s: %s" % (path, line))
            bad = True
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
