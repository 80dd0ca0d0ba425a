#!/usr/bin/python3
"""The "PDFs by language" offering (issue 8), read back from the PDFs.
The glossary ("Words to know") of every language: every term and
definition extracts, the terms come in the language's collation order
under ICU's letter headings (one bookmark per letter), the translation
says it is a draft, and the file passes the PDF/UA checker.  The booklet
(all.pdf): every part on an odd page, nested bookmarks, every page reads
back as the part's own but for the booklet's page numbers, the contents
gives each part's page as its footer prints it and the viewer labels it
(also in a synthetic booklet whose contents runs over several pages, and
in other digits than 0-9), tags and links, and the first use of a
glossary term links to its entry.  The QR code of every
sheet: a tagged Figure that decodes back to the sheet's url.  --bleed:
TrimBox, BleedBox and crop marks, nothing else changed.

Usage: tests/offering.py --pdfgen build/pdfgen [unittest arguments]"""

import argparse
import html
import os
import re
import shutil
import tempfile
import sys
import unittest

import pikepdf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import integration  # noqa: E402
import pdfua  # noqa: E402
from integration import CONTENT, languages, load, normalize, run  # noqa: E402

# The letter sections of the real glossaries, as ICU's index characters
# and collators cut them (collate.c): Spanish and French sections hold
# accented words under the base letter; Russian puts the Latin terms
# after Я; Japanese sorts kanji terms by their reading into the kana rows,
# Latin first.
SECTIONS = {
    "es": ["A", "E", "H", "I", "M", "Q", "S", "T"],
    "fr": ["A", "C", "E", "H", "I", "M", "S", "T"],
    "ru": ["А", "Б", "И", "Л", "Н", "П", "Т", "Х", "H", "M"],
    "ja": ["H", "M", "V", "か", "さ", "た", "は"],
}
# Terms in order, for the languages whose order is easy to state.
ORDER = {
    "es": ["Anemia", "Angiogénesis", "Efecto secundario", "Enfermedad de VHL", "HIF-2α",
           "Inhibidor de HIF", "Inhibidor de tirosina cinasas",
           "Medicamento de terapia dirigida", "mTOR", "Quimioterapia (quimio)",
           "Síndrome mano-pie", "Tirosina cinasa", "Tumor neuroendocrino (NET)"],
    "ja": ["HIF-2α", "HIF阻害薬", "mTOR", "VHL病", "化学療法（抗がん剤治療）", "血管新生",
           "神経内分泌腫瘍（NET）", "チロシンキナーゼ", "チロシンキナーゼ阻害薬", "手足症候群",
           "貧血", "副作用", "分子標的薬"],
}


def glossary_languages():
    return [lang for lang in languages()
            if os.path.isfile(os.path.join(CONTENT, lang, "glossary.yaml"))]


def glossary_yaml(lang):
    return load(os.path.join(CONTENT, lang, "glossary.yaml"))


def outline_titles(path):
    with pikepdf.open(path) as pdf:
        with pdf.open_outline() as outline:
            return [item.title for item in outline.root]


def pdf_text(path):
    return normalize(run(["pdftotext", "-enc", "UTF-8", path, "-"]).stdout)


class GlossaryTests(unittest.TestCase):
    def setUp(self):
        self.out = integration.Built.get("letter")

    def path(self, lang):
        return os.path.join(self.out, lang, "glossary.pdf")

    def test_every_language_has_one(self):
        self.assertEqual(len(glossary_languages()), len(languages()))
        for lang in glossary_languages():
            self.assertTrue(os.path.isfile(self.path(lang)), lang)

    def test_every_term_and_definition_extracts(self):
        for lang in glossary_languages():
            with self.subTest(lang=lang):
                g = glossary_yaml(lang)
                text = pdf_text(self.path(lang))
                self.assertIn(normalize(g["title"]), text)
                self.assertIn(normalize(g["intro"]), text)
                for t in g["terms"]:
                    self.assertIn(normalize(t["term"]), text)
                    self.assertIn(normalize(t["definition"]), text)

    def test_terms_in_collation_order(self):
        for lang, terms in ORDER.items():
            with self.subTest(lang=lang):
                text = pdf_text(self.path(lang))
                defs = {t["term"]: t["definition"] for t in glossary_yaml(lang)["terms"]}
                at = [text.find(normalize(t + " " + defs[t][:12])) for t in terms]
                self.assertNotIn(-1, at)
                self.assertEqual(at, sorted(at), terms)

    def test_letter_sections_are_bookmarks(self):
        for lang, sections in SECTIONS.items():
            with self.subTest(lang=lang):
                self.assertEqual(outline_titles(self.path(lang)), sections)

    def test_translations_say_they_are_drafts(self):
        for lang in glossary_languages():
            with self.subTest(lang=lang):
                g = glossary_yaml(lang)
                if lang == "en":
                    self.assertNotIn("draft_notice", g)
                    continue
                self.assertIn(normalize(g["draft_notice"]), pdf_text(self.path(lang)))

    def test_same_terms_everywhere(self):
        ids = [t["id"] for t in glossary_yaml("en")["terms"]]
        self.assertGreaterEqual(len(ids), 10)
        for lang in glossary_languages():
            self.assertEqual(sorted(t["id"] for t in glossary_yaml(lang)["terms"]), sorted(ids))

    def test_pdfua(self):
        for lang in glossary_languages():
            with self.subTest(lang=lang):
                failures = pdfua.check_file(self.path(lang))
                self.assertEqual(failures, [], "\n" + "\n".join(failures[:12]))

    def test_structure_reads_in_order(self):
        """pdfinfo -struct-text gives the terms in the same order as the
        page: the tags follow the letters."""
        for lang in ("es", "ru", "ja"):
            with self.subTest(lang=lang):
                r = run(["pdfinfo", "-struct-text", self.path(lang)])
                lines = [normalize(x) for x in re.findall(r'^\s*"(.*?)"\s*$', r.stdout, re.M | re.S)]
                page = pdf_text(self.path(lang))
                terms = glossary_yaml(lang)["terms"]
                on_page = sorted(terms, key=lambda t: page.find(normalize(t["term"] + " " + t["definition"][:12])))
                in_tags = sorted(terms, key=lambda t: lines.index(normalize(t["term"])))
                self.assertEqual([t["id"] for t in in_tags], [t["id"] for t in on_page])

    def test_glossary_errors_name_the_place(self):
        tmp, content = integration.mutate([("es/glossary.yaml", "  - id: mtor", "  - id: mTOR")])
        try:
            r = run([integration.PDFGEN, "check", "--content", content])
            self.assertEqual(r.returncode, 1)
            self.assertRegex(r.stderr, r"es/glossary\.yaml:\d+:9: error: glossary id 'mTOR'")
            self.assertIn("glossary has no term 'mtor'", r.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def page_texts(path):
    """Each page's text, normalized; pdftotext ends every page with a form feed."""
    pages = run(["pdftotext", "-enc", "UTF-8", path, "-"]).stdout.split("\f")[:-1]
    return [normalize(p) for p in pages]


def outline_tree(path):
    """[(title, page index, [children...])] of the whole outline."""
    with pikepdf.open(path) as pdf:
        index = {p.objgen: i for i, p in enumerate(pdf.pages)}

        def walk(items):
            return [(str(it.title), index.get(it.destination[0].objgen), walk(it.children))
                    for it in items]
        with pdf.open_outline() as outline:
            return walk(outline.root)


class BookletTests(unittest.TestCase):
    """out/<lang>/all.pdf: cover, every sheet, the glossary."""

    def setUp(self):
        self.out = integration.Built.get("letter")

    def parts(self, lang):
        """(title, standalone pdf) of the parts after the cover, in order."""
        names = {integration.load(os.path.join(CONTENT, lang, d + ".yaml"))["name"]: d
                 for d in integration.drugs(lang)}
        top = outline_tree(self.booklet(lang))[0]
        found = []
        for title, _, _ in top[2]:
            stem = names.get(title, "glossary")
            found.append((title, os.path.join(self.out, lang, stem + ".pdf")))
        return found

    def booklet(self, lang):
        return os.path.join(self.out, lang, "all.pdf")

    def test_every_language_has_one(self):
        for lang in languages():
            self.assertTrue(os.path.isfile(self.booklet(lang)), lang)

    def test_nested_bookmarks(self):
        """booklet > sheet (and glossary) > the sheet's own sections."""
        for lang in languages():
            with self.subTest(lang=lang):
                strings = load(os.path.join(CONTENT, lang, "strings.yaml"))
                tree = outline_tree(self.booklet(lang))
                self.assertEqual(len(tree), 1)
                title, page, parts = tree[0]
                self.assertEqual(title, strings["sheet_title"])
                self.assertEqual(page, 0)
                self.assertEqual(len(parts), len(integration.drugs(lang)) + 1)
                self.assertEqual(parts[-1][0], glossary_yaml(lang)["title"])
                for (title, start, sections), (_, alone) in zip(parts, self.parts(lang)):
                    own = outline_tree(alone)
                    self.assertEqual([t for t, _, _ in sections], [t for t, _, _ in own])
                    self.assertEqual([p - start for _, p, _ in sections], [p for _, p, _ in own])

    def test_every_part_starts_on_an_odd_page(self):
        for lang in languages():
            with self.subTest(lang=lang):
                for title, start, _ in outline_tree(self.booklet(lang))[0][2]:
                    self.assertEqual(start % 2, 0, "%s starts on page %d" % (title, start + 1))

    def test_pages_are_the_sheets_pages(self):
        """Extraction round trip: every page of every part reads back as
        on its own, the pages before a part are blank, and the cover lists
        the parts."""
        for lang in languages():
            with self.subTest(lang=lang):
                pages = page_texts(self.booklet(lang))
                starts = [start for _, start, _ in outline_tree(self.booklet(lang))[0][2]]
                page_of = load(os.path.join(CONTENT, lang, "strings.yaml"))["page_of"]
                at = 1
                for (title, alone), start in zip(self.parts(lang), starts):
                    self.assertIn(normalize(title), " ".join(pages[:starts[0]]))
                    while at < start:
                        if at >= starts[0]:
                            self.assertEqual(pages[at], "", "page %d is not blank" % (at + 1))
                        at += 1
                    own = page_texts(alone)
                    # the same page, numbered as the booklet's
                    renumbered = [p.replace(footer(page_of, k + 1, len(own)),
                                            footer(page_of, start + k + 1, len(pages)))
                                  for k, p in enumerate(own)]
                    self.assertEqual(pages[start:start + len(own)], renumbered)
                    at = start + len(own)
                self.assertEqual(at, len(pages))

    def test_contents_gives_each_parts_page(self):
        for lang in languages():
            with self.subTest(lang=lang):
                check_contents(self, self.booklet(lang), lang, CONTENT)

    def test_tags(self):
        """PDF/UA checker; one Sect per part under the Document."""
        for lang in languages():
            with self.subTest(lang=lang):
                failures = pdfua.check_file(self.booklet(lang))
                self.assertEqual(failures, [], "\n" + "\n".join(failures[:12]))
                with pikepdf.open(self.booklet(lang)) as pdf:
                    document = pdf.Root.StructTreeRoot.K
                    self.assertEqual(str(document.S), "/Document")
                    kinds = [str(k.S) for k in document.K]
                    self.assertEqual(kinds, ["/Sect"] * (len(integration.drugs(lang)) + 2))

    def test_links_survive(self):
        """The sheets' links (references, helpline) are in the booklet too."""
        for lang in ("en", "ar"):
            with self.subTest(lang=lang):
                def uris(path):
                    with pikepdf.open(path) as pdf:
                        return sorted(str(a.A.URI) for p in pdf.pages
                                      for a in p.get("/Annots", []) if a.A.S == "/URI")
                expected = sorted(u for _, alone in self.parts(lang) for u in uris(alone))
                self.assertGreater(len(expected), 10)
                self.assertEqual(uris(self.booklet(lang)), expected)

    def test_glossary_terms_link_to_their_entries(self):
        """In each sheet of a booklet, the first use of a glossary term is a
        GoTo link to the term's named destination, on a glossary page at
        the term; never twice for one term in one sheet; the link is a
        Link element (OBJR) with a description."""
        for lang in languages():
            with self.subTest(lang=lang):
                ids = {t["id"]: t["term"] for t in glossary_yaml(lang)["terms"]}
                parts = outline_tree(self.booklet(lang))[0][2]
                glossary_start = parts[-1][1]
                with pikepdf.open(self.booklet(lang)) as pdf:
                    names = pdf.Root.Names.Dests.Names
                    dests = {str(names[i]): names[i + 1] for i in range(0, len(names), 2)}
                    dests = {n: d for n, d in dests.items() if n.startswith("glossary-")}
                    self.assertEqual(sorted(dests), sorted("glossary-" + i for i in ids))
                    index = {p.objgen: i for i, p in enumerate(pdf.pages)}
                    for name, dest in dests.items():
                        self.assertGreaterEqual(index[dest[0].objgen], glossary_start)
                    per_sheet = {}
                    for i, page in enumerate(pdf.pages):
                        sheet = max(p for _, p, _ in parts if p <= i) if i >= parts[0][1] else None
                        for a in page.get("/Annots", []):
                            if a.A.S != "/GoTo" or i < parts[0][1]:
                                continue  # the contents' links are check_contents's
                            self.assertLess(i, glossary_start)
                            d = str(a.A.D)
                            self.assertIn(d, dests)
                            self.assertIn(ids[d[len("glossary-"):]], str(a.Contents))
                            self.assertIn("/StructParent", a)
                            self.assertNotIn(d, per_sheet.setdefault(sheet, set()), "twice in a sheet")
                            per_sheet[sheet].add(d)
                    self.assertEqual(len(per_sheet), len(parts) - 1, "every sheet links")
                    self.assertGreaterEqual(sum(len(v) for v in per_sheet.values()), 6)

    def test_deterministic(self):
        out = tempfile.mkdtemp(prefix="pdfgen-booklet-")
        try:
            r = run([integration.PDFGEN, "build", "--quiet", "--content", CONTENT, "--out", out,
                     "--lang", "ja", "--lang", "es"])
            self.assertEqual(r.returncode, 0, r.stderr)
            for lang in ("ja", "es"):
                for name in ("all.pdf", "glossary.pdf"):
                    with open(os.path.join(out, lang, name), "rb") as a, \
                            open(os.path.join(self.out, lang, name), "rb") as b:
                        self.assertEqual(a.read(), b.read(), name)
        finally:
            shutil.rmtree(out, ignore_errors=True)


def footer(page_of, page, pages):
    return normalize(page_of.replace("{page}", str(page)).replace("{pages}", str(pages)))


def words(path, page):
    """[(x, y, text)] of each word on page (0-based): its centre, in PDF
    coordinates."""
    r = run(["pdftotext", "-enc", "UTF-8", "-bbox", "-f", str(page + 1), "-l", str(page + 1),
             path, "-"])
    height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', r.stdout).group(1))
    found = []
    for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                         r'yMax="([\d.]+)">([^<]*)</word>', r.stdout):
        x0, y0, x1, y1 = (float(v) for v in m.groups()[:4])
        found.append(((x0 + x1) / 2, height - (y0 + y1) / 2, html.unescape(m.group(5))))
    return found


def check_contents(test, path, lang, content, digits="0123456789"):
    """The booklet's contents: every part's entry on the cover pages (the
    pages before the first part) is a link to the page the part starts on
    (its title there), and prints, inside the link, the part's title and
    the number that page's footer prints, which is also the viewer's label
    for it; each entry is a TOCI."""
    def local(n):
        return "".join(digits[int(d)] for d in str(n))
    page_of = load(os.path.join(content, lang, "strings.yaml"))["page_of"]
    pages = page_texts(path)
    parts = outline_tree(path)[0][2]
    cover = parts[0][1]
    with pikepdf.open(path) as pdf:
        labels = [p.label for p in pdf.pages]
        names = pdf.Root.Names.Dests.Names
        index = {p.objgen: i for i, p in enumerate(pdf.pages)}
        dests = {str(names[i]): index[names[i + 1][0].objgen] for i in range(0, len(names), 2)}
        links = [(i, [float(v) for v in a.Rect], str(a.Contents), dests[str(a.A.D)])
                 for i, p in enumerate(pdf.pages[:cover])
                 for a in p.get("/Annots", []) if a.A.S == "/GoTo"]
        tocis = [e for e in struct_elements(pdf.Root.StructTreeRoot) if str(e.get("/S")) == "/TOCI"]
    test.assertEqual(len(tocis), len(parts))
    test.assertEqual([(title, start) for _, _, title, start in links],
                     [(title, start) for title, start, _ in parts])
    # each page's footer and label
    for i, text in enumerate(pages):
        test.assertEqual(labels[i], local(i + 1))
        if text:
            test.assertIn(footer(page_of, local(i + 1), local(len(pages))), text,
                          "page %d" % (i + 1))
    # what each entry prints
    on_page = {}
    for page, (x0, y0, x1, y1), title, start in links:
        inside = [w for x, y, w in on_page.setdefault(page, words(path, page))
                  if x0 <= x <= x1 and y0 <= y <= y1]
        numbers = [w for w in inside if w and all(c in digits for c in w)]
        test.assertEqual(numbers, [local(start + 1)], title)
        # (pdftotext gives right-to-left words in visual order)
        test.assertEqual(sorted(normalize("".join(w for w in inside if w not in numbers))),
                         sorted(normalize(title).replace(" ", "")))
        test.assertIn(normalize(title), pages[start], "%s is not on page %d" % (title, start + 1))


class LongContentsTests(unittest.TestCase):
    """A booklet of many drugs (tests/bench_synthetic.py): the contents
    runs over several pages, the parts start after them, and the numbers
    still hold; in Arabic-Indic digits when the strings choose them (the
    viewer's labels then each page's own)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pdfgen-contents-")
        content = os.path.join(cls.tmp, "content")
        r = run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                              "bench_synthetic.py"),
                 "--out", content, "--drugs", "90", "--langs", "en,ar"])
        assert r.returncode == 0, r.stderr
        strings = os.path.join(content, "ar", "strings.yaml")
        with open(strings, encoding="utf-8") as f:
            text = f.read()
        with open(strings, "w", encoding="utf-8") as f:
            f.write(re.sub(r"(?m)^digits: latn$", "digits: arab", text))
        cls.content = content
        cls.out = os.path.join(cls.tmp, "out")
        r = run([integration.PDFGEN, "build", "--quiet", "--content", content, "--out", cls.out])
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_several_pages(self):
        path = os.path.join(self.out, "en", "all.pdf")
        cover = outline_tree(path)[0][2][0][1]
        self.assertGreaterEqual(cover, 3)
        check_contents(self, path, "en", self.content)
        # each contents page after the first a TOC of its own under the Document
        failures = pdfua.check_file(path)
        self.assertEqual(failures, [], "\n" + "\n".join(failures[:12]))
        r = run(["qpdf", "--check", path])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with pikepdf.open(path) as pdf:
            kinds = [str(k.S) for k in pdf.Root.StructTreeRoot.K.K]
        tocs = kinds.count("/TOC")
        self.assertEqual(kinds[:tocs + 1], ["/Sect"] + ["/TOC"] * tocs)
        self.assertIn(tocs + 1, (cover, cover - 1))  # a blank page after an odd cover

    def test_other_digits(self):
        check_contents(self, os.path.join(self.out, "ar", "all.pdf"), "ar", self.content,
                       digits="٠١٢٣٤٥٦٧٨٩")
        with pikepdf.open(os.path.join(self.out, "ar", "all.pdf")) as pdf:
            self.assertEqual(pdf.pages[11].label, "١٢")


class QrTests(unittest.TestCase):
    """Every sheet with a url carries its QR code: a tagged Figure with
    alternate text, the address printed beside it as a link, and the code
    decodes back to the url (pdftoppm, then zbarimg from zbar-tools)."""

    def setUp(self):
        self.out = integration.Built.get("letter")

    def test_round_trip(self):
        for lang in ("en", "es", "ar", "ja", "ru", "zh-Hant"):
            for drug in integration.drugs(lang):
                url = load(os.path.join(CONTENT, lang, drug + ".yaml"))["url"]
                path = os.path.join(self.out, lang, drug + ".pdf")
                with self.subTest(sheet=path):
                    with pikepdf.open(path) as pdf:
                        figures = [e for e in struct_elements(pdf.Root.StructTreeRoot)
                                   if str(e.get("/S")) == "/Figure"]
                        self.assertEqual(len(figures), 1)
                        self.assertIn(url, str(figures[0].Alt))
                        page = next(i for i, p in enumerate(pdf.pages)
                                    if p.objgen == figures[0].Pg.objgen)
                    self.assertIn(url, pdf_text(path).replace(" ", ""))
                    tmp = tempfile.mkdtemp(prefix="pdfgen-qr-")
                    try:
                        png = os.path.join(tmp, "page")
                        run(["pdftoppm", "-r", "150", "-png", "-singlefile", "-f", str(page + 1),
                             "-l", str(page + 1), path, png])
                        r = run(["zbarimg", "-q", "--raw", png + ".png"])
                        self.assertEqual(r.stdout.strip(), url, r.stderr)
                    finally:
                        shutil.rmtree(tmp, ignore_errors=True)

    def test_bad_url_is_reported_where_it_is(self):
        tmp, content = integration.mutate([("fr/everolimus.yaml", "url: https://",
                                            "url: http://")])
        try:
            r = run([integration.PDFGEN, "check", "--content", content])
            self.assertEqual(r.returncode, 1)
            self.assertRegex(r.stderr, r"fr/everolimus\.yaml:\d+:6: error: url must be a web "
                                       r"address starting with https://")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class PrintTests(unittest.TestCase):
    """--bleed 3mm: the page as designed becomes the TrimBox of a larger
    sheet, the BleedBox 3 mm around it, crop marks outside the bleed (as
    artifacts), and nothing else changes: text, tags, links."""

    BLEED = 3 * 72 / 25.4

    @classmethod
    def setUpClass(cls):
        cls.out = tempfile.mkdtemp(prefix="pdfgen-bleed-")
        r = run([integration.PDFGEN, "build", "--quiet", "--content", CONTENT, "--out", cls.out,
                 "--lang", "en", "--lang", "ar", "--bleed", "3mm"])
        if r.returncode != 0:
            raise AssertionError(r.stderr)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.out, ignore_errors=True)

    def files(self):
        for lang in ("en", "ar"):
            for stem in integration.drugs(lang) + ["glossary", "all"]:
                yield lang, stem, os.path.join(self.out, lang, stem + ".pdf")

    def test_boxes_and_crop_marks(self):
        for lang, stem, path in self.files():
            with self.subTest(pdf=path), pikepdf.open(path) as pdf:
                for page in pdf.pages:
                    media = [float(v) for v in page.MediaBox]
                    trim = [float(v) for v in page.TrimBox]
                    bleed = [float(v) for v in page.BleedBox]
                    self.assertAlmostEqual(trim[2] - trim[0], 612, places=1)
                    self.assertAlmostEqual(trim[3] - trim[1], 792, places=1)
                    for k, sign in zip(range(4), (-1, -1, 1, 1)):
                        self.assertAlmostEqual(bleed[k], trim[k] + sign * self.BLEED, places=1)
                    self.assertTrue(media[0] < bleed[0] and media[2] > bleed[2])
                    marks = 0
                    # rectangles in page space: a QR code's are drawn in
                    # module units under a cm
                    ctm, saved = (1, 0, 0, 1, 0, 0), []
                    for inst in pikepdf.parse_content_stream(page):
                        op = str(inst.operator)
                        if op == "q":
                            saved.append(ctm)
                        elif op == "Q":
                            ctm = saved.pop()
                        elif op == "cm":
                            a, b, c, d, e, f = [float(v) for v in inst.operands]
                            A, B, C, D, E, F = ctm
                            ctm = (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
                                   e * A + f * C + E, e * B + f * D + F)
                        if op == "re":
                            x, y, w, h = [float(v) for v in inst.operands]
                            A, B, C, D, E, F = ctm
                            self.assertEqual((B, C), (0, 0))
                            x, y, w, h = A * x + E, D * y + F, A * w, D * h
                            outside = (x + w <= bleed[0] or x >= bleed[2] or
                                       y + h <= bleed[1] or y >= bleed[3])
                            marks += outside
                    self.assertEqual(marks, 8)  # two at each corner

    def test_same_text_and_tags(self):
        plain = integration.Built.get("letter")
        for lang, stem, path in self.files():
            with self.subTest(pdf=path):
                self.assertEqual(page_texts(path), page_texts(os.path.join(plain, lang, stem + ".pdf")))
                failures = pdfua.check_file(path)
                self.assertEqual(failures, [], "\n" + "\n".join(failures[:12]))

    def test_qr_still_decodes(self):
        path = os.path.join(self.out, "en", "everolimus.pdf")
        url = load(os.path.join(CONTENT, "en", "everolimus.yaml"))["url"]
        tmp = tempfile.mkdtemp(prefix="pdfgen-qr-")
        try:
            run(["pdftoppm", "-r", "150", "-png", path, os.path.join(tmp, "p")])
            found = [run(["zbarimg", "-q", "--raw", os.path.join(tmp, f)]).stdout.strip()
                     for f in sorted(os.listdir(tmp))]
            self.assertIn(url, found)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_bad_bleed_is_a_usage_error(self):
        for bad in ("30mm", "3", "-1mm", "abc"):
            r = run([integration.PDFGEN, "build", "--content", CONTENT, "--bleed", bad])
            self.assertEqual(r.returncode, 2, bad)
            self.assertIn("bad bleed", r.stderr)


def struct_elements(node):
    """Every structure element under node, depth first."""
    kids = node.get("/K")
    if kids is None:
        return
    if not isinstance(kids, pikepdf.Array):
        kids = [kids]
    for k in kids:
        if isinstance(k, pikepdf.Dictionary) and "/S" in k:
            yield k
            yield from struct_elements(k)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdfgen", required=True)
    args, rest = parser.parse_known_args()
    integration.PDFGEN = os.path.abspath(args.pdfgen)
    integration.run_suite("offering", rest)


if __name__ == "__main__":
    main()
