#!/usr/bin/python3
"""Proves that tests/pdfua.py can fail: a minimal tagged PDF, built here
with pikepdf, passes every check; each mutation of it breaks one
checkpoint and must give exactly that failure (and no other).

Usage: tests/test_pdfua_checker.py [unittest arguments]"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import pikepdf
from pikepdf import Array, Dictionary, Name, String

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pdfua  # noqa: E402

# Any TrueType program will do: the checker only asks that one is embedded.
FONT_FILE = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"

# The ToUnicode CMap of the synthetic font: codes 1..5 by bfchar, 16..31 by
# bfrange; code 9 is deliberately left out (the "unmapped glyph").
TOUNICODE = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
5 beginbfchar
<0001> <0048>
<0002> <0069>
<0003> <0020>
<0004> <0041>
<0005> <0042>
endbfchar
1 beginbfrange
<0010> <001F> <0061>
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end
"""

XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">
   {pdfuaid}
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
   <dc:language><rdf:Bag><rdf:li>en-US</rdf:li></rdf:Bag></dc:language>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmp:CreateDate="{create}" xmp:ModifyDate="{modify}"/>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""

TITLE = "Sunitinib: a test sheet"

# The page: an artifact (a background box), then H1, P (whose text has a
# nested ActualText span excusing unmapped code 9), H2, a list item with
# label and body, a link, and a figure; one MCID each.
CONTENT = b"""/Artifact BMC 0.9 g 0 0 612 20 re f EMC
/H1 <</MCID 0>> BDC BT /F0 20 Tf 72 700 Td <00010002> Tj ET EMC
/P <</MCID 1>> BDC BT /F0 12 Tf 72 680 Td [<0004> 120 <0005>] TJ
/Span <</ActualText (x)>> BDC <0009> Tj EMC ET EMC
/H2 <</MCID 2>> BDC BT /F0 16 Tf 72 660 Td <00100011> Tj ET EMC
/Lbl <</MCID 3>> BDC BT /F0 12 Tf 72 640 Td <0012> Tj ET EMC
/LBody <</MCID 4>> BDC BT /F0 12 Tf 90 640 Td <00130014> Tj ET EMC
/Link <</MCID 5>> BDC BT /F0 12 Tf 72 620 Td <00150016> Tj ET EMC
/Figure <</MCID 6>> BDC 1 w 72 500 m 172 600 l S EMC
"""


def make_valid():
    """A minimal tagged PDF/UA document that passes every check."""
    pdf = pikepdf.new()
    ind = pdf.make_indirect
    with open(FONT_FILE, "rb") as f:
        fontfile = pikepdf.Stream(pdf, f.read())
    descriptor = Dictionary(Type=Name.FontDescriptor, FontName=Name("/ABCDEF+NotoSans-Regular"),
                            Flags=32, FontBBox=[0, -300, 1000, 1000], ItalicAngle=0, Ascent=1000,
                            Descent=-300, CapHeight=700, StemV=80, FontFile2=fontfile)
    cidfont = Dictionary(Type=Name.Font, Subtype=Name.CIDFontType2, BaseFont=Name("/ABCDEF+NotoSans-Regular"),
                         CIDSystemInfo=Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
                         FontDescriptor=ind(descriptor), CIDToGIDMap=Name.Identity, DW=600)
    font = ind(Dictionary(Type=Name.Font, Subtype=Name.Type0, BaseFont=Name("/ABCDEF+NotoSans-Regular"),
                          Encoding=Name("/Identity-H"), DescendantFonts=[ind(cidfont)],
                          ToUnicode=pikepdf.Stream(pdf, TOUNICODE)))
    pdf.add_blank_page(page_size=(612, 792))
    page = pdf.pages[0]
    page.obj.Resources = Dictionary(Font=Dictionary(F0=font))
    page.obj.Contents = pikepdf.Stream(pdf, CONTENT)
    page.obj.StructParents = 0
    page.obj.Tabs = Name.S
    pg = page.obj

    def element(stype, kids, parent=None, **extra):
        el = ind(Dictionary(Type=Name.StructElem, S=Name("/" + stype), K=kids, **extra))
        return el

    # /Chapter is not standard: the RoleMap maps it to /Sect.
    doc = element("Document", Array(), Pg=pg)
    chapter = element("Chapter", Array(), P=doc)
    h1 = element("H1", 0, P=chapter)
    # an MCR dict instead of a plain integer, to exercise that form
    p = element("P", Dictionary(Type=Name.MCR, MCID=1, Pg=pg), P=chapter)
    h2 = element("H2", 2, P=chapter)
    lst = element("L", Array(), P=chapter)
    li = element("LI", Array(), P=lst)
    lbl = element("Lbl", 3, P=li, Pg=pg)
    lbody = element("LBody", 4, P=li)
    annot = ind(Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[72, 615, 110, 635], Border=[0, 0, 0],
                           Contents="https://example.org/", StructParent=1,
                           A=Dictionary(S=Name.URI, URI="https://example.org/")))
    link = element("Link", Array([5]), P=chapter)
    link.K.append(Dictionary(Type=Name.OBJR, Obj=annot, Pg=pg))
    figure = element("Figure", 6, P=chapter, Alt="A diagonal line")
    page.obj.Annots = Array([annot])
    doc.K = Array([chapter])
    chapter.K = Array([h1, p, h2, lst, link, figure])
    lst.K = Array([li])
    li.K = Array([lbl, lbody])
    # The ParentTree through /Kids, to exercise the number tree walk.
    parent_tree = ind(Dictionary(Kids=Array([ind(Dictionary(
        Limits=[0, 1], Nums=Array([0, Array([h1, p, h2, lbl, lbody, link, figure]), 1, link])))])))
    root = ind(Dictionary(Type=Name.StructTreeRoot, K=doc, ParentTree=parent_tree, ParentTreeNextKey=2,
                          RoleMap=Dictionary(Chapter=Name.Sect)))
    doc.P = root
    pdf.Root.StructTreeRoot = root
    pdf.Root.MarkInfo = Dictionary(Marked=True)
    pdf.Root.Lang = String("en-US")
    pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
    pdf.trailer.Info = ind(Dictionary(Title=TITLE, CreationDate="D:20210817000000Z00'00'",
                                      ModDate="D:20210817120000+02'00'"))
    set_xmp(pdf)
    return pdf


def set_xmp(pdf, pdfuaid='<pdfuaid:part>1</pdfuaid:part>', title=TITLE,
            create="2021-08-17T00:00:00Z", modify="2021-08-17T10:00:00Z"):
    data = XMP.format(pdfuaid=pdfuaid, title=title, create=create, modify=modify).encode()
    pdf.Root.Metadata = pdf.make_indirect(pikepdf.Stream(pdf, data, Type=Name.Metadata, Subtype=Name.XML))


def elements(pdf, stype):
    """Structure elements of a type, in document order."""
    out = []

    def visit(node):
        if isinstance(node, Dictionary) and "/S" in node:
            if node.S == "/" + stype:
                out.append(node)
        kids = node.get("/K") if isinstance(node, Dictionary) else None
        for k in (kids if isinstance(kids, Array) else [kids] if kids is not None else []):
            if isinstance(k, Dictionary):
                visit(k)

    visit(pdf.Root.StructTreeRoot)
    return out


def add_content(pdf, data):
    page = pdf.pages[0]
    page.obj.Contents = pikepdf.Stream(pdf, page.obj.Contents.read_bytes() + data)


TMP = tempfile.mkdtemp(prefix="pdfua-test-")


def reopen(pdf):
    """Saved and opened again, so that the checks see what a file holds."""
    path = tempfile.mktemp(suffix=".pdf", dir=TMP)
    pdf.save(path)
    return pikepdf.open(path), path


class ValidDocument(unittest.TestCase):
    def test_valid_document_passes_every_check(self):
        pdf, _ = reopen(make_valid())
        self.assertEqual([str(f) for f in pdfua.check_all(pdf)], [])

    def test_cli_exit_status_and_lines(self):
        good, good_path = reopen(make_valid())
        bad = make_valid()
        del bad.Root.MarkInfo
        _, bad_path = reopen(bad)
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pdfua.py")
        r = subprocess.run([sys.executable, script, good_path], capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stdout), (0, ""))
        r = subprocess.run([sys.executable, script, good_path, bad_path], capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "%s: document: markinfo: catalog /MarkInfo /Marked is not true\n" % bad_path)

    def test_untagged_pdf_says_not_tagged(self):
        pdf = make_valid()
        del pdf.Root.StructTreeRoot
        pdf, _ = reopen(pdf)
        self.assertIn("not tagged", "\n".join(str(f) for f in pdfua.check_struct_tree(pdf)))


class Mutations(unittest.TestCase):
    """One broken checkpoint each; exactly one failure must come back."""

    def assertOnly(self, pdf, checkpoint, words, page=None):
        pdf, _ = reopen(pdf)
        failures = pdfua.check_all(pdf)
        self.assertEqual(len(failures), 1, "\n".join(map(str, failures)))
        f = failures[0]
        self.assertEqual(f.checkpoint, checkpoint, str(f))
        self.assertIn(words, f.message)
        if page is not None:
            self.assertEqual(f.page, page)
        return f

    # -- catalog and metadata --

    def test_marked_false(self):
        pdf = make_valid()
        pdf.Root.MarkInfo.Marked = False
        self.assertOnly(pdf, "markinfo", "not true")

    def test_no_lang(self):
        pdf = make_valid()
        pdf.Root.Lang = String("")
        self.assertOnly(pdf, "lang", "/Lang")

    def test_display_doc_title_false(self):
        pdf = make_valid()
        pdf.Root.ViewerPreferences.DisplayDocTitle = False
        self.assertOnly(pdf, "display-doc-title", "DisplayDocTitle")

    def test_missing_pdfuaid(self):
        pdf = make_valid()
        set_xmp(pdf, pdfuaid="")
        self.assertOnly(pdf, "metadata", "pdfuaid:part is missing")

    def test_pdfuaid_as_attribute_is_read(self):
        pdf = make_valid()
        set_xmp(pdf, pdfuaid="")
        # the attribute form on another rdf:Description
        data = pdf.Root.Metadata.read_bytes().replace(
            b'xmp:CreateDate=', b'xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" pdfuaid:part="2" xmp:CreateDate=')
        pdf.Root.Metadata = pdf.make_indirect(pikepdf.Stream(pdf, data))
        self.assertOnly(pdf, "metadata", "pdfuaid:part is 2")

    def test_xmp_title_differs(self):
        pdf = make_valid()
        set_xmp(pdf, title="Another title")
        self.assertOnly(pdf, "metadata", "dc:title")

    def test_mismatched_xmp_date(self):
        pdf = make_valid()
        set_xmp(pdf, modify="2021-08-17T12:00:00Z")  # Info says 12:00 at +02:00
        self.assertOnly(pdf, "metadata", "xmp:ModifyDate")

    # -- structure tree --

    def test_parent_tree_next_key_too_small(self):
        pdf = make_valid()
        pdf.Root.StructTreeRoot.ParentTreeNextKey = 1
        self.assertOnly(pdf, "struct-tree", "ParentTreeNextKey")

    def test_unmapped_structure_type(self):
        pdf = make_valid()
        del pdf.Root.StructTreeRoot.RoleMap
        self.assertOnly(pdf, "role-map", "/Chapter")

    # -- content --

    def test_painting_outside_marked_content(self):
        pdf = make_valid()
        add_content(pdf, b"0 0 m 10 10 l S\n")
        self.assertOnly(pdf, "marked-content", "first: S", page=1)

    def test_text_outside_marked_content(self):
        pdf = make_valid()
        add_content(pdf, b"BT /F0 12 Tf <0001> Tj ET\n")
        self.assertOnly(pdf, "marked-content", "first: Tj", page=1)

    def test_mcid_inside_artifact(self):
        pdf = make_valid()
        content = pdf.pages[0].obj.Contents.read_bytes().replace(
            b"/Figure <</MCID 6>> BDC 1 w 72 500 m 172 600 l S EMC",
            b"/Artifact BMC /Figure <</MCID 6>> BDC 1 w 72 500 m 172 600 l S EMC EMC")
        pdf.pages[0].obj.Contents = pikepdf.Stream(pdf, content)
        self.assertOnly(pdf, "marked-content", "MCID 6 inside an Artifact")

    def test_unbalanced_emc(self):
        pdf = make_valid()
        add_content(pdf, b"EMC\n")
        self.assertOnly(pdf, "marked-content", "EMC without")

    def test_mcid_in_two_elements(self):
        pdf = make_valid()
        chapter = elements(pdf, "Chapter")[0]
        chapter.K.append(pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.P, P=chapter, K=1)))
        self.assertOnly(pdf, "mcid", "MCID 1 is referenced by 2 structure elements")

    def test_mcid_in_no_element(self):
        pdf = make_valid()
        add_content(pdf, b"/P <</MCID 7>> BDC BT /F0 12 Tf <0001> Tj ET EMC\n")
        self.assertOnly(pdf, "mcid", "MCID 7 is referenced by 0")

    def test_mcid_referenced_but_not_in_content(self):
        pdf = make_valid()
        elements(pdf, "Figure")[0].K = Array([6, 8])
        self.assertOnly(pdf, "mcid", "MCID 8 is referenced by a Figure but not in the page's content")

    def test_parent_tree_mismatch(self):
        pdf = make_valid()
        nums = pdf.Root.StructTreeRoot.ParentTree.Kids[0].Nums
        nums[1][6] = elements(pdf, "Document")[0]
        self.assertOnly(pdf, "parent-tree", "ParentTree[0][6] is not the Figure")

    def test_page_without_struct_parents(self):
        pdf = make_valid()
        del pdf.pages[0].obj.StructParents
        self.assertOnly(pdf, "parent-tree", "no /StructParents")

    # -- structure types --

    def test_h1_then_h3(self):
        pdf = make_valid()
        elements(pdf, "H2")[0].S = Name.H3
        self.assertOnly(pdf, "headings", "H3 follows H1")

    def test_first_heading_not_h1(self):
        pdf = make_valid()
        elements(pdf, "H1")[0].S = Name.H2
        elements(pdf, "H2")[1].S = Name.H3  # H2 H3: only the first is wrong
        self.assertOnly(pdf, "headings", "H2 follows the start")

    def test_l_with_p_child(self):
        pdf = make_valid()
        elements(pdf, "LI")[0].S = Name.P
        self.assertOnly(pdf, "lists", "L has children other than LI/Caption: P")

    def test_li_without_lbody(self):
        pdf = make_valid()
        elements(pdf, "LBody")[0].S = Name.Lbl
        self.assertOnly(pdf, "lists", "LI has no LBody")

    def test_link_annotation_without_struct_parent(self):
        pdf = make_valid()
        del pdf.pages[0].obj.Annots[0].StructParent
        self.assertOnly(pdf, "links", "has no /StructParent")

    def test_link_struct_parent_not_a_link(self):
        pdf = make_valid()
        pdf.pages[0].obj.Annots[0].StructParent = 0  # the page's array
        self.assertOnly(pdf, "links", "is not a Link element")

    def test_link_element_without_objr(self):
        pdf = make_valid()
        link = elements(pdf, "Link")[0]
        link.K = Array([5])
        self.assertOnly(pdf, "links", "has no OBJR")

    def test_link_without_contents(self):
        pdf = make_valid()
        del pdf.pages[0].obj.Annots[0].Contents
        self.assertOnly(pdf, "links", "has no /Contents")

    def test_missing_tabs(self):
        pdf = make_valid()
        del pdf.pages[0].obj.Tabs
        self.assertOnly(pdf, "links", "no /Tabs /S")

    def test_figure_without_alt(self):
        pdf = make_valid()
        del elements(pdf, "Figure")[0].Alt
        self.assertOnly(pdf, "figure-alt", "Figure has no /Alt")

    def test_figure_with_actual_text_is_fine(self):
        pdf = make_valid()
        figure = elements(pdf, "Figure")[0]
        del figure.Alt
        figure.ActualText = "a line"
        pdf, _ = reopen(pdf)
        self.assertEqual(pdfua.check_figures(pdf), [])

    # -- fonts --

    def test_unmapped_glyph_code(self):
        pdf = make_valid()
        content = pdf.pages[0].obj.Contents.read_bytes().replace(b"<00010002> Tj", b"<000100090002> Tj")
        pdf.pages[0].obj.Contents = pikepdf.Stream(pdf, content)
        self.assertOnly(pdf, "tounicode", "codes without a ToUnicode mapping: 0009")

    def test_actualtext_excuses_only_when_asked(self):
        pdf, _ = reopen(make_valid())  # code 9 is shown inside /ActualText
        self.assertEqual(pdfua.check_tounicode(pdf), [])
        strict = pdfua.check_tounicode(pdf, excuse_actualtext=False)
        self.assertEqual([f.message for f in strict],
                         ["font ABCDEF+NotoSans-Regular shows codes without a ToUnicode mapping: 0009"])

    def test_unmapped_code_in_bfrange_gap(self):
        pdf = make_valid()
        content = pdf.pages[0].obj.Contents.read_bytes().replace(b"<00100011> Tj", b"<00100020> Tj")
        pdf.pages[0].obj.Contents = pikepdf.Stream(pdf, content)
        self.assertOnly(pdf, "tounicode", "0020")

    def test_font_not_embedded(self):
        pdf = make_valid()
        del pdf.pages[0].Resources.Font.F0.DescendantFonts[0].FontDescriptor.FontFile2
        self.assertOnly(pdf, "font-embedding", "ABCDEF+NotoSans-Regular is not embedded")


def main():
    result = unittest.main(argv=[sys.argv[0]] + sys.argv[1:], exit=False, verbosity=1).result
    shutil.rmtree(TMP, ignore_errors=True)
    # unittest prints "OK" or "FAILED (...)" itself; say which suite it was
    print("test_pdfua_checker: %s" % ("OK" if result.wasSuccessful() else "FAILED"))
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
