#!/usr/bin/python3
"""Translation review (issue 11), on temporary copies of content/: the
check report (file:line:col, --format json, --werror), stale fields after
an English edit, `build --release` refusing drafts and stale sheets with
every reason, the band on draft and stale sheets (text, grayscale
contrast, Keywords and XMP), `stamp` rewriting only digest lines, and a
reviewed translation passing --release without a band.

Usage: tests/review.py --pdfgen build/pdfgen [unittest arguments]"""

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import pikepdf
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import integration  # noqa: E402
from integration import CONTENT, languages, mutate, run  # noqa: E402

DRAFT_EN = "Draft translation, not yet medically reviewed"
STALE_EN = "Translation out of date: the English text has changed since this translation was made"
TRANSLATIONS = [lang for lang in languages() if lang != "en"]


def pdfgen(*args, **kw):
    return run([integration.PDFGEN, *args], **kw)


def value_position(path, key):
    """Line and column (1-based, characters) of the value of a top-level key."""
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.startswith(key + ":"):
                rest = line[len(key) + 1:]
                return n, len(key) + 2 + (len(rest) - len(rest.lstrip(" ")))
    raise AssertionError("%s: no %s" % (path, key))


def not_drafts(stderr):
    """The report without its draft lines."""
    return "\n".join(l for l in stderr.splitlines() if "draft translation, not yet" not in l)


def pdf_text(path):
    r = run(["pdftotext", "-layout", path, "-"])
    assert r.returncode == 0, r.stderr
    return re.sub(r"\s+", " ", r.stdout)


def metadata(path):
    with pikepdf.open(path) as pdf:
        keywords = str(pdf.docinfo.get("/Keywords", ""))
        xmp = bytes(pdf.Root.Metadata.read_bytes()).decode("utf-8")
    return keywords, xmp


class Copy:
    """A copy of content/ with replacements, removed afterwards."""

    def __init__(self, test, replacements=()):
        self.tmp, self.content = mutate(list(replacements))
        self.out = os.path.join(self.tmp, "out")
        test.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def path(self, rel):
        return os.path.join(self.content, rel)

    def read(self, rel):
        with open(self.path(rel), encoding="utf-8") as f:
            return f.read()

    def write(self, rel, text):
        with open(self.path(rel), "w", encoding="utf-8") as f:
            f.write(text)


# The English edit every stale test makes: one word of how_it_works.
EDIT = ("en/sunitinib.yaml", "It also fights the forming", "It also stops the forming")


class CheckTests(unittest.TestCase):
    def test_committed_content_is_drafts_only(self):
        """Every translated file is a stamped draft: check passes with one
        draft warning per file and nothing stale; --werror fails."""
        r = pdfgen("check", "--content", CONTENT)
        self.assertEqual(r.returncode, 0, r.stderr)
        warnings = [l for l in r.stderr.splitlines() if ": warning: " in l]
        self.assertNotIn("stale", r.stderr)
        files = sum(len(os.listdir(os.path.join(CONTENT, lang))) for lang in TRANSLATIONS)
        self.assertEqual(len(warnings), files)
        self.assertTrue(all(w.endswith("warning: draft translation, not yet medically reviewed")
                            for w in warnings), warnings[:3])
        r = pdfgen("check", "--werror", "--content", CONTENT)
        self.assertEqual(r.returncode, 1)
        self.assertIn("error: draft translation", r.stderr)
        r = pdfgen("check", "--format", "json", "--content", CONTENT)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        doc = json.loads(r.stdout)
        self.assertEqual(doc["version"], 1)
        self.assertEqual((doc["errors"], doc["warnings"]), (0, files))
        status = {l["code"]: l["status"] for l in doc["languages"]}
        self.assertEqual(status.pop("en"), "source")
        self.assertEqual(set(status.values()), {"draft"})

    def test_json_is_strict_utf8_whatever_the_folder_name(self):
        # overlong, a UTF-16 surrogate, beyond U+10FFFF: none is UTF-8
        for name in (b"c\xe0\x80\x80", b"c\xed\xa0\x80", b"c\xf4\x90\x80\x80"):
            folder = os.path.join(tempfile.gettempdir().encode(), b"pdfgen-none-" + name)
            r = subprocess.run([integration.PDFGEN.encode(), b"check", b"--format=json",
                                b"--content", folder], capture_output=True)
            self.assertEqual(r.returncode, 1)
            doc = json.loads(r.stdout.decode("utf-8"))  # strict: raises on any of them
            self.assertIn("cannot read content directory", doc["diagnostics"][0]["message"])
            self.assertIn("\ufffd", doc["diagnostics"][0]["message"])

    def test_stale_field_is_named_where_it_is(self):
        c = Copy(self, [EDIT])
        r = pdfgen("check", "--content", c.content)
        self.assertEqual(r.returncode, 0, r.stderr)
        en_line, en_col = value_position(c.path("en/sunitinib.yaml"), "how_it_works")
        for lang in TRANSLATIONS:
            rel = "%s/sunitinib.yaml" % lang
            line, col = value_position(c.path(rel), "how_it_works")
            self.assertIn("%s:%d:%d: warning: stale translation of 'how_it_works': the English "
                          "(%s:%d:%d) has changed" % (c.path(rel), line, col,
                                                     c.path("en/sunitinib.yaml"), en_line, en_col),
                          r.stderr)
        self.assertEqual(r.stderr.count("stale translation"), len(TRANSLATIONS))
        self.assertNotIn("everolimus.yaml:", not_drafts(r.stderr))

        r = pdfgen("check", "--format", "json", "--content", c.content)
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        stale = [d for d in doc["diagnostics"] if "stale" in d["message"]]
        self.assertEqual(len(stale), len(TRANSLATIONS))
        for d in stale:
            self.assertEqual((d["severity"], d["drug"], d["field"]),
                             ("warning", "sunitinib", "how_it_works"))
            self.assertEqual(d["file"], c.path("%s/sunitinib.yaml" % d["language"]))
            self.assertEqual((d["line"], d["column"]), value_position(d["file"], "how_it_works"))
        self.assertEqual(doc["warnings"], len(doc["diagnostics"]))
        fr = next(l for l in doc["languages"] if l["code"] == "fr")
        self.assertEqual(fr["status"], "stale")
        sheets = {s["drug"]: s["status"] for s in fr["sheets"]}
        self.assertEqual(sheets, {"belzutifan": "draft", "everolimus": "draft",
                                  "sunitinib": "stale"})
        self.assertEqual(fr["glossary"]["status"], "draft")

        r = pdfgen("check", "--werror", "--content", c.content)
        self.assertEqual(r.returncode, 1)
        self.assertIn("error: stale translation of 'how_it_works'", r.stderr)

    def test_stale_glossary_term_and_reflow(self):
        """A glossary term is digested with its definition; reflowing the
        English (other line breaks, more spaces) changes nothing."""
        c = Copy(self, [("en/glossary.yaml", "may need blood transfusions.",
                         "may need a blood transfusion."),
                        ("en/sunitinib.yaml", "It also fights the forming of new blood\n  vessels.",
                         "It also   fights the forming\n  of new blood vessels.")])
        r = pdfgen("check", "--content", c.content)
        self.assertEqual(r.returncode, 0, r.stderr)
        stale = [l for l in r.stderr.splitlines() if "stale" in l]
        self.assertEqual(len(stale), len(TRANSLATIONS), stale)
        for line in stale:
            self.assertRegex(line, r"/glossary\.yaml:\d+:\d+: warning: stale translation of "
                                   r"'terms\.anemia'")
        r = pdfgen("build", "--release", "--lang", "fr", "--drug", "sunitinib",
                   "--content", c.content, "--out", c.out)
        self.assertNotIn("glossary", r.stderr)  # a build of named drugs writes no glossary

    def test_review_block_errors(self):
        """What cannot be right in a review or source block is an error,
        for check and build alike."""
        cases = [
            ("fr/sunitinib.yaml", "status: draft", "status: maybe",
             "'review.status' must be draft or reviewed, found 'maybe'"),
            ("fr/sunitinib.yaml", "status: draft", "status: reviewed",
             "a reviewed translation names its reviewer and the date"),
            ("fr/sunitinib.yaml", "  name: ", "  nmae: ", "unknown field 'nmae' in 'source'"),
            ("fr/sunitinib.yaml", "  drug_class: ", "  drug_class: 12345 #",
             "the source digest of 'drug_class' must be 16 lowercase hex digits"),
            ("en/sunitinib.yaml", "id: sunitinib", "review:\n  status: draft\nid: sunitinib",
             "English is the source, not a translation"),
        ]
        for rel, old, new, message in cases:
            with self.subTest(message=message):
                c = Copy(self, [(rel, old, new)])
                for command in ("check", "build"):
                    r = pdfgen(command, "--content", c.content, "--out", c.out) \
                        if command == "build" else pdfgen(command, "--content", c.content)
                    self.assertEqual(r.returncode, 1, r.stderr)
                    self.assertRegex(r.stderr, re.escape(c.path(rel)) + r":\d+:\d+: error: " +
                                     re.escape(message))
                self.assertFalse(os.path.exists(c.out))


class ReleaseTests(unittest.TestCase):
    def test_release_refuses_listing_every_reason(self):
        c = Copy(self, [EDIT])
        r = pdfgen("build", "--release", "--lang", "fr", "--lang", "es", "--drug", "sunitinib",
                   "--content", c.content, "--out", c.out)
        self.assertEqual(r.returncode, 1)
        for lang in ("fr", "es"):
            for rel in ("strings.yaml", "sunitinib.yaml"):
                self.assertRegex(r.stderr, re.escape(c.path("%s/%s" % (lang, rel))) +
                                 r":\d+:\d+: error: draft translation, not yet medically "
                                 r"reviewed: --release builds only reviewed translations")
            line, col = value_position(c.path("%s/sunitinib.yaml" % lang), "how_it_works")
            self.assertIn("%s:%d:%d: error: stale translation of 'how_it_works'"
                          % (c.path("%s/sunitinib.yaml" % lang), line, col), r.stderr)
        self.assertIn("--release: nothing built: 6 reasons", r.stderr)
        self.assertNotIn("everolimus", r.stderr)
        self.assertFalse(os.path.exists(c.out) and any(
            f.endswith(".pdf") for _, _, fs in os.walk(c.out) for f in fs))
        # English is the source: always releasable
        r = pdfgen("build", "--release", "--lang", "en", "--drug", "sunitinib", "--quiet",
                   "--content", c.content, "--out", c.out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(DRAFT_EN, pdf_text(os.path.join(c.out, "en", "sunitinib.pdf")))

    def test_plain_build_marks_stale_then_stamp_clears_it(self):
        c = Copy(self, [EDIT])
        r = pdfgen("build", "--quiet", "--lang", "fr", "--drug", "sunitinib", "--drug",
                   "everolimus", "--content", c.content, "--out", c.out)
        self.assertEqual(r.returncode, 0, r.stderr)
        strings = c.read("fr/strings.yaml")
        fr_stale = re.search(r'^stale_band: "(.*)"$', strings, re.M).group(1)
        fr_draft = re.search(r'^draft_band: "(.*)"$', strings, re.M).group(1)
        sheet = os.path.join(c.out, "fr", "sunitinib.pdf")
        text = pdf_text(sheet)
        for words in (STALE_EN, fr_stale, DRAFT_EN, fr_draft):
            self.assertIn(words, text)
        keywords, xmp = metadata(sheet)
        self.assertIn("stale translation", keywords)
        self.assertIn(STALE_EN, keywords)
        self.assertIn("<pdfgen:ReviewStatus>stale</pdfgen:ReviewStatus>", xmp)
        self.assertIn("<pdf:Keywords>stale translation", xmp)
        # the other sheet is a draft, not stale
        other = os.path.join(c.out, "fr", "everolimus.pdf")
        self.assertNotIn(STALE_EN, pdf_text(other))
        self.assertIn(DRAFT_EN, pdf_text(other))
        self.assertIn("<pdfgen:ReviewStatus>draft</pdfgen:ReviewStatus>", metadata(other)[1])

        before = c.read("fr/sunitinib.yaml")
        r = pdfgen("stamp", "--lang", "fr", "--drug", "sunitinib", "--content", c.content)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1 digest updated", r.stdout)
        after = c.read("fr/sunitinib.yaml")
        changed = [l for l in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                   lineterm="", n=0)
                   if l[:1] in "+-" and not l.startswith(("+++", "---"))]
        self.assertEqual(len(changed), 2, changed)
        self.assertRegex(changed[0], r"^-  how_it_works: [0-9a-f]{16}$")
        self.assertRegex(changed[1], r"^\+  how_it_works: [0-9a-f]{16}$")
        r = pdfgen("check", "--content", c.content)
        self.assertNotIn("fr/sunitinib.yaml:", not_drafts(r.stderr))
        self.assertIn("es/sunitinib.yaml", not_drafts(r.stderr))
        r = pdfgen("build", "--quiet", "--lang", "fr", "--drug", "sunitinib",
                   "--content", c.content, "--out", c.out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(STALE_EN, pdf_text(sheet))
        self.assertIn(DRAFT_EN, pdf_text(sheet))

    def test_reviewed_translation_passes_release_without_band(self):
        c = Copy(self)
        for rel in ("fr/strings.yaml", "fr/sunitinib.yaml"):
            c.write(rel, c.read(rel).replace(
                "  status: draft\n",
                "  status: reviewed\n  reviewer: A. Translator, CMI\n  date: 2026-11-02\n", 1))
        # a reviewed translation no longer says it is a draft
        c.write("fr/strings.yaml", re.sub(r"^draft_notice: >-\n(  .*\n)+", "",
                                          c.read("fr/strings.yaml"), flags=re.M))
        r = pdfgen("build", "--release", "--quiet", "--lang", "fr", "--drug", "sunitinib",
                   "--content", c.content, "--out", c.out)
        self.assertEqual(r.returncode, 0, r.stderr)
        sheet = os.path.join(c.out, "fr", "sunitinib.pdf")
        text = pdf_text(sheet)
        self.assertNotIn(DRAFT_EN, text)
        self.assertNotIn(STALE_EN, text)
        keywords, xmp = metadata(sheet)
        self.assertEqual(keywords, "")
        self.assertIn("<pdfgen:ReviewStatus>reviewed</pdfgen:ReviewStatus>", xmp)
        r = pdfgen("check", "--format", "json", "--content", c.content)
        doc = json.loads(r.stdout)
        fr = next(l for l in doc["languages"] if l["code"] == "fr")
        sheet_status = next(s for s in fr["sheets"] if s["drug"] == "sunitinib")
        self.assertEqual(sheet_status, {"drug": "sunitinib", "status": "reviewed",
                                        "reviewer": "A. Translator, CMI", "date": "2026-11-02"})
        # the glossary and booklet are still drafts: a build of the whole
        # language is refused for them
        r = pdfgen("build", "--release", "--lang", "fr", "--content", c.content, "--out", c.out)
        self.assertEqual(r.returncode, 1)
        self.assertIn("fr/glossary.yaml", r.stderr)
        self.assertIn("fr/everolimus.yaml", r.stderr)
        self.assertNotIn("fr/sunitinib.yaml", r.stderr)


class BandTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pdfgen-review-")
        cls.out = os.path.join(cls.tmp, "out")
        r = pdfgen("build", "--quiet", "--lang", "fr", "--lang", "en", "--content", CONTENT,
                   "--out", cls.out)
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_band_has_contrast_in_grayscale(self):
        """Rendered in gray at 70 dpi, as a black-and-white printer would:
        left of the band's English line there is a border far darker than
        paper, and behind the line a light ground."""
        pdf = os.path.join(self.out, "fr", "sunitinib.pdf")
        r = run(["pdftotext", "-f", "1", "-l", "1", "-bbox", pdf, "-"])
        words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" '
                           r'yMax="([\d.]+)">Draft</word>', r.stdout)
        self.assertEqual(len(words), 1, "one 'Draft' on page 1")
        x, y0, y1 = (float(v) for v in words[0])
        png = os.path.join(self.tmp, "page")
        subprocess.run(["pdftoppm", "-r", "70", "-gray", "-png", "-f", "1", "-l", "1",
                        "-singlefile", pdf, png], check=True)
        img = Image.open(png + ".png").convert("L")
        scale = 70 / 72
        row = int((y0 + y1) / 2 * scale)
        left = [img.getpixel((int(x * scale) - k, row)) for k in range(2, int(20 * scale))]
        self.assertLess(min(left), 80, "a dark border left of the band's text: %s" % left)
        ground = img.getpixel((int(x * scale) - 4, row))
        self.assertGreater(max(left[:3] + [ground]), 180, "a light ground inside the border")
        # and on paper outside the band, white
        self.assertGreater(img.getpixel((int(x * scale) - int(20 * scale), row)), 240)

    def test_band_on_glossary_and_booklet_not_on_english(self):
        for name in ("glossary.pdf", "all.pdf", "sunitinib.pdf"):
            with self.subTest(name=name):
                path = os.path.join(self.out, "fr", name)
                text = pdf_text(path)
                self.assertIn(DRAFT_EN, text)
                self.assertIn("Traduction provisoire", text)
                keywords, xmp = metadata(path)
                self.assertIn("draft translation", keywords)
                self.assertIn("<pdfgen:ReviewStatus>draft</pdfgen:ReviewStatus>", xmp)
            with self.subTest(name="en/" + name):
                path = os.path.join(self.out, "en", name)
                self.assertNotIn(DRAFT_EN, pdf_text(path))
                keywords, xmp = metadata(path)
                self.assertEqual(keywords, "")
                self.assertIn("<pdfgen:ReviewStatus>source</pdfgen:ReviewStatus>", xmp)


class StampTests(unittest.TestCase):
    """stamp on files as editors leave them."""

    def stale_and_missing(self, c, rel):
        """Makes one digest wrong and removes another field's line."""
        text = c.read(rel)
        text = re.sub(r"^  name: [0-9a-f]{16}$", "  name: 0000000000000000", text, flags=re.M)
        text = re.sub(r"^  drug_class: [0-9a-f]{16}\n", "", text, flags=re.M)
        c.write(rel, text)

    def assert_stamped(self, c, rel):
        r = pdfgen("check", "--content", c.content)
        self.assertNotIn(rel + ":", not_drafts(r.stderr))

    def test_crlf_file_stays_crlf(self):
        c = Copy(self)
        for rel, keep_block in (("fr/sunitinib.yaml", True), ("fr/everolimus.yaml", False)):
            self.stale_and_missing(c, rel)
            text = c.read(rel)
            if not keep_block:
                text = text[:text.index("source:\n")]
            with open(c.path(rel), "wb") as f:
                f.write(text.replace("\n", "\r\n").encode("utf-8"))
            r = pdfgen("stamp", "--lang", "fr", "--drug", rel[3:-5], "--content", c.content)
            self.assertEqual(r.returncode, 0, r.stderr)
            data = open(c.path(rel), "rb").read()
            self.assertNotRegex(data, rb"[^\r]\n", rel + ": a line ending in LF alone")
            self.assert_stamped(c, rel)

    def test_stamp_repairs_what_check_tells_to_stamp(self):
        c = Copy(self)
        rel = "fr/sunitinib.yaml"
        text = re.sub(r"^  name: [0-9a-f]{16}$", '  name: "0000" # half a merge',
                      c.read(rel), flags=re.M)
        c.write(rel, text.replace("  how_it_works: ", "  how_it_wroks: 0000000000000000\n"
                                  "  how_it_works: ", 1))
        r = pdfgen("check", "--content", c.content)
        self.assertEqual(r.returncode, 1)
        self.assertIn("must be 16 lowercase hex digits, found '0000' (run 'pdfgen stamp')",
                      r.stderr)
        self.assertIn("unknown field 'how_it_wroks'", r.stderr)
        r = pdfgen("stamp", "--lang", "fr", "--drug", "sunitinib", "--content", c.content)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1 digest updated, 0 added, 1 removed", r.stdout)
        self.assertRegex(c.read(rel), r'\n  name: [0-9a-f]{16} # half a merge\n')
        self.assert_stamped(c, rel)

    def test_value_over_several_lines_is_refused_not_mangled(self):
        c = Copy(self)
        rel = "fr/sunitinib.yaml"
        good = c.read(rel)
        for value in (">-\n    0000000000000000", "|-\n    0000000000000000",
                      '"00000000\n    00000000"'):
            text = re.sub(r"^  name: [0-9a-f]{16}$", "  name: " + value, good, flags=re.M)
            c.write(rel, text)
            r = pdfgen("stamp", "--lang", "fr", "--drug", "sunitinib", "--content", c.content)
            self.assertEqual(r.returncode, 1, value)
            self.assertRegex(r.stderr, r"^\S+/fr/sunitinib.yaml:\d+:9: error: the digest of "
                             r"'name' is not one plain or quoted value on its field's line")
            self.assertEqual(c.read(rel), text, value)
        # a field to add after a last entry that goes on to the next line
        text = re.sub(r"^  serious_side_effects: (\w+)$", r"  serious_side_effects: >-\n    \1",
                      good, flags=re.M)
        text = re.sub(r"^  name: \w+\n", "", text, flags=re.M)
        c.write(rel, text)
        r = pdfgen("stamp", "--lang", "fr", "--drug", "sunitinib", "--content", c.content)
        self.assertEqual(r.returncode, 1)
        self.assertIn("the digest of 'serious_side_effects' is not one plain", r.stderr)
        self.assertEqual(c.read(rel), text)
        # a quote inside quotes: the whole value gives way
        c.write(rel, re.sub(r"^  name: [0-9a-f]{16}$", r'  name: "00\"00" # x', good,
                            flags=re.M))
        r = pdfgen("stamp", "--lang", "fr", "--drug", "sunitinib", "--content", c.content)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(c.read(rel), re.sub(r"^(  name: [0-9a-f]{16})$", r"\1 # x", good,
                                             flags=re.M))

    def test_symlinked_file_stays_a_link(self):
        c = Copy(self)
        rel = "fr/sunitinib.yaml"
        self.stale_and_missing(c, rel)
        os.rename(c.path(rel), c.path("fr/sunitinib.real"))
        os.symlink("sunitinib.real", c.path(rel))
        r = pdfgen("stamp", "--lang", "fr", "--drug", "sunitinib", "--content", c.content)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.islink(c.path(rel)))
        self.assertEqual(os.readlink(c.path(rel)), "sunitinib.real")
        self.assertEqual(sorted(os.listdir(c.path("fr"))), sorted(os.listdir(
            os.path.join(CONTENT, "fr")) + ["sunitinib.real"]))
        self.assert_stamped(c, rel)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdfgen", required=True)
    args, rest = parser.parse_known_args()
    integration.PDFGEN = os.path.abspath(args.pdfgen)
    integration.run_suite("review", rest)


if __name__ == "__main__":
    main()
