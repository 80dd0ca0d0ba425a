#!/usr/bin/python3
"""Integration tests: build the sheets, read the PDFs back with the tools a
user has (pdftotext, pdffonts, pdfinfo, qpdf, pdftoppm) and check what a
reader, a printer and an editor would check.  Bad-input cases run pdfgen on
a mutated copy of content/ and check the exit status and file:line:col.

Usage: tests/integration.py --pdfgen build/pdfgen [--quick]
--quick skips the slower checks (used for the sanitizer build, which runs
the same cases)."""

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
import unittest

import fontTools.ttLib
import pikepdf
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTENT = os.path.join(ROOT, "content")
PDFGEN = None
QUICK = False
LETTER = (612.0, 792.0)
A4 = (595.28, 841.89)
TEMPLATE_KEYS = {"subject", "how_it_works", "last_revised", "page_of"}
# The last-revised date as each sheet must print it (ICU's long date; for
# Haitian Creole, which ICU lacks, the content's own month names).
EXPECTED_DATES = {
    "en": "August 17, 2021", "es": "17 de agosto de 2021", "fr": "17 août 2021",
    "pt": "17 de agosto de 2021", "ru": "17 августа 2021 г.", "vi": "17 tháng 8, 2021",
    "tl": "Agosto 17, 2021", "ht": "17 out 2021", "hi": "17 अगस्त 2021",
    "ar": "17 أغسطس 2021", "ja": "2021年8月17日", "ko": "2021년 8월 17일",
    "zh-Hans": "2021年8月17日", "zh-Hant": "2021年8月17日",
}
# Page numbers in the locale's digits (CLDR: Arabic-Indic for Arabic).
# (Arabic sheets choose Western digits in strings.yaml, as their content
# writes them: one digit system per sheet.)
DIGITS = {}
# The script each language's own words are in, for the rendering check.
SCRIPT_RANGES = {
    "ar": [(0x0600, 0x06FF)], "hi": [(0x0900, 0x097F)], "ru": [(0x0400, 0x04FF)],
    "ja": [(0x3040, 0x30FF), (0x4E00, 0x9FFF)], "ko": [(0xAC00, 0xD7AF)],
    "zh-Hans": [(0x4E00, 0x9FFF)], "zh-Hant": [(0x4E00, 0x9FFF)],
    "vi": [(0x1EA0, 0x1EFF), (0x00C0, 0x01B0)],
}
CJK_FACE = {"ja": "jp", "ko": "kr", "zh-Hans": "sc", "zh-Hant": "tc"}
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def pdfgen(*args, env=None):
    return run([PDFGEN, *args], env=env)


def languages():
    return sorted(d for d in os.listdir(CONTENT)
                  if os.path.isfile(os.path.join(CONTENT, d, "strings.yaml")))


NOT_DRUGS = ("strings.yaml", "glossary.yaml")


def drugs(lang):
    return sorted(f[:-5] for f in os.listdir(os.path.join(CONTENT, lang))
                  if f.endswith(".yaml") and f not in NOT_DRUGS)


def extras(lang):
    """The PDFs besides the sheets that a build of every drug writes for a
    language: its glossary and its booklet (tests/offering.py tests them)."""
    has_glossary = os.path.isfile(os.path.join(CONTENT, lang, "glossary.yaml"))
    return (["glossary"] if has_glossary else []) + ["all"]


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def text_values(node, key=None):
    """Every string in a YAML tree, with the key it sits under."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from text_values(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from text_values(v, key)
    elif isinstance(node, str):
        yield key, node


def normalize(s):
    """NFKC, one space for any whitespace, and a line break after a slash
    undone."""
    s = re.sub(r"\s+", " ", BIDI_CONTROLS.sub("", s)).strip()
    # Chinese and Japanese have no spaces: a line end between ideographs
    # comes back from pdftotext as one (before NFKC turns full-width
    # punctuation into ASCII)
    s = re.sub(r"(?<=[%s]) | (?=[%s])" % (CJK, CJK), "", s)
    s = unicodedata.normalize("NFKC", s)
    # ICU may break a line after a slash ("10.1016/ j.clinthera")
    return re.sub(r"(?<=\S/) (?=\S)", "", s)


def squeeze(s):
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", BIDI_CONTROLS.sub("", s)))


def digits(lang, n):
    table = DIGITS.get(lang)
    return "".join(table[int(c)] for c in str(n)) if table else str(n)


class Built:
    """One build of every sheet, shared by the tests."""
    dirs = {}

    @classmethod
    def get(cls, name, *extra):
        if name not in cls.dirs:
            out = tempfile.mkdtemp(prefix="pdfgen-" + name + "-")
            r = pdfgen("build", "--quiet", "--content", CONTENT, "--out", out, *extra)
            if r.returncode != 0:
                raise AssertionError("build failed:\n" + r.stderr)
            cls.dirs[name] = out
        return cls.dirs[name]


def sheets(out):
    for lang in languages():
        for drug in drugs(lang):
            yield lang, drug, os.path.join(out, lang, drug + ".pdf")


class SheetTests(unittest.TestCase):
    def test_every_sheet_exists_and_nothing_else(self):
        out = Built.get("letter")
        expected = {os.path.join(lang, d + ".pdf") for lang in languages()
                    for d in drugs(lang) + extras(lang)} | {"index.html", "manifest.json"}
        found = set()
        for dirpath, _, files in os.walk(out):
            for f in files:
                found.add(os.path.relpath(os.path.join(dirpath, f), out))
        self.assertEqual(found, expected)
        self.assertGreaterEqual(len(expected), 6)

    def test_text_round_trip(self):
        """pdftotext gives back every text value of the sheet's YAML."""
        out = Built.get("letter")
        refs = {r["id"]: r["text"] for r in load(os.path.join(CONTENT, "references.yaml"))["references"]}
        for lang, drug, pdf in sheets(out):
            with self.subTest(sheet=pdf):
                r = run(["pdftotext", "-enc", "UTF-8", pdf, "-"])
                self.assertEqual(r.returncode, 0)
                self.assertEqual(r.stderr, "", "poppler complained")
                text = normalize(r.stdout)
                strings = load(os.path.join(CONTENT, lang, "strings.yaml"))
                sheet = load(os.path.join(CONTENT, lang, drug + ".yaml"))
                expected = []
                for review in (strings, sheet):  # the review record, not text (tests/review.py)
                    review.pop("review", None)
                    review.pop("source", None)
                for key, value in text_values(strings):
                    if key in ("language", "locale", "language_name", "author", "subject",
                               "month_names", "date_format", "digits", "booklet"):
                        continue  # metadata (pdfinfo), date parts (EXPECTED_DATES), catalog page
                    if key == "stale_band" or (key == "draft_band" and lang == "en"):
                        continue  # the band of a stale sheet; English sheets have none
                    if key == "who_it_is_for" and "who_it_is_for" not in sheet:
                        continue  # the section is left out when the drug has none
                    expected += [p for p in re.split(r"\{\w+\}", value) if p.strip()]
                for key, value in text_values(sheet):
                    if key in ("id", "references"):
                        continue
                    expected.append(value)
                expected += [refs[i] for i in sheet["references"]]
                expected.append(EXPECTED_DATES[lang])
                for value in expected:
                    if "http" in value:
                        # URLs longer than the measure are broken between
                        # characters; only their characters can be compared.
                        self.assertIn(squeeze(value), squeeze(r.stdout))
                    else:
                        self.assertIn(normalize(value), text)
                pages = int(re.search(r"Pages:\s+(\d+)", run(["pdfinfo", pdf]).stdout).group(1))
                page_of = strings["page_of"].replace("{pages}", digits(lang, pages))
                for n in range(1, pages + 1):
                    self.assertIn(normalize(page_of.replace("{page}", digits(lang, n))), text)

    def test_minus_sign_from_fallback_survives(self):
        """U+2212, which Noto Sans lacks, comes from a fallback font and
        still extracts as itself (the references use en dashes now, so the
        content is edited to bring it back)."""
        tmp, content = mutate([("references.yaml", "364:501\u2013513", "364:501\u2212513")])
        out = os.path.join(tmp, "out")
        r = run([PDFGEN, "build", "--content", content, "--out", out, "--lang", "en",
                 "--drug", "sunitinib", "--quiet"])
        self.assertEqual(r.returncode, 0, r.stderr)
        pdf = os.path.join(out, "en", "sunitinib.pdf")
        r = run(["pdftotext", "-enc", "UTF-8", pdf, "-"])
        self.assertIn("364:501\u2212513", r.stdout)
        fonts = run(["pdffonts", pdf]).stdout
        self.assertIn("DejaVuSans", fonts)
        shutil.rmtree(tmp)

    def test_qpdf_check(self):
        for _, _, pdf in sheets(Built.get("letter")):
            with self.subTest(sheet=pdf):
                r = run(["qpdf", "--check", pdf])
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertIn("No syntax or stream encoding errors", r.stdout)
                self.assertEqual(r.stderr, "")

    def test_fonts_embedded_and_subset(self):
        for _, _, pdf in sheets(Built.get("letter")):
            with self.subTest(sheet=pdf):
                r = run(["pdffonts", pdf])
                self.assertEqual(r.stderr, "")
                rows = r.stdout.splitlines()[2:]
                self.assertGreaterEqual(len(rows), 2)
                for row in rows:
                    name, ftype, enc, emb, sub, uni = re.match(
                        r"(\S+)\s+(CID TrueType|CID Type 0C)\s+(\S+)\s+(yes|no)\s+(yes|no)\s+(yes|no)", row).groups()
                    self.assertEqual((emb, sub, uni), ("yes", "yes", "yes"), row)
                    self.assertEqual(enc, "Identity-H", row)
                    self.assertRegex(name, r"^[A-Z]{6}\+")
                # Chinese, Japanese and Korean each in their own regional
                # face, their Latin runs too (Noto Sans keeps only what the
                # CJK face draws full-width: quotes and bullets in Chinese);
                # every other language in Noto Sans
                lang = os.path.basename(os.path.dirname(pdf))
                if lang not in CJK_FACE:
                    self.assertTrue(any("NotoSans-Regular" in row for row in rows))
                self.assertEqual(any("NotoSans-Bold" in row for row in rows), lang not in CJK_FACE)
                cff = [row.split()[0] for row in rows if "CID Type 0C" in row]
                if lang in CJK_FACE:
                    self.assertTrue(cff)
                    for name in cff:
                        self.assertRegex(name, r"\+NotoSansCJK%s-(Regular|Bold)$" % CJK_FACE[lang])
                else:
                    self.assertEqual(cff, [])

    def test_metadata(self):
        for lang, drug, pdf in sheets(Built.get("letter")):
            with self.subTest(sheet=pdf):
                strings = load(os.path.join(CONTENT, lang, "strings.yaml"))
                sheet = load(os.path.join(CONTENT, lang, drug + ".yaml"))
                r = run(["pdfinfo", "-enc", "UTF-8", "-isodates", pdf])
                self.assertEqual(r.stderr, "")
                info = dict(re.findall(r"^(\w[\w ]*?):\s+(.*)$", r.stdout, re.M))
                self.assertIn(strings["sheet_title"], info["Title"])
                self.assertIn(sheet["name"], info["Title"])
                self.assertEqual(info["Author"], strings["author"])
                self.assertEqual(info["Subject"], strings["subject"].replace("{drug}", sheet["name"]))
                self.assertRegex(info["Creator"], r"^pdfgen \d+\.\d+\.\d+$")
                # both dates are the content's last_revised (midnight UTC)
                revised = "%sT00:00:00Z" % sheet["last_revised"].isoformat()
                self.assertEqual(info["CreationDate"], revised)
                self.assertEqual(info["ModDate"], info["CreationDate"])
                raw = subprocess.run(["qpdf", "--qdf", "--object-streams=disable", pdf, "-"],
                                     capture_output=True).stdout.decode("latin-1")
                self.assertIn("/Lang (%s)" % strings["locale"], raw)
                self.assertIn("/DisplayDocTitle true", raw)

    def test_one_bookmark_per_section(self):
        for lang, drug, pdf in sheets(Built.get("letter")):
            with self.subTest(sheet=pdf):
                strings = load(os.path.join(CONTENT, lang, "strings.yaml"))
                sheet = load(os.path.join(CONTENT, lang, drug + ".yaml"))
                labels = strings["labels"]
                want = [labels["targeted_drugs"],
                        labels["how_it_works"].replace("{drug}", sheet["name"]),
                        labels["how_it_is_taken"]]
                if "who_it_is_for" in sheet:
                    want.append(labels["who_it_is_for"])
                want += [labels["common_side_effects"], labels["serious_side_effects"],
                         strings["helpline"]["heading"], labels["references"]]
                r = run(["qpdf", "--json", "--json-key=outlines", pdf])
                got = [o["title"] for o in json.loads(r.stdout)["outlines"]]
                self.assertEqual(got, want)

    def test_paper_sizes(self):
        for name, size, extra in (("letter", LETTER, ()), ("a4", A4, ("--paper", "a4"))):
            for _, _, pdf in sheets(Built.get(name, *extra)):
                with self.subTest(sheet=pdf, paper=name):
                    r = run(["pdfinfo", "-box", pdf])
                    box = re.search(r"MediaBox:\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", r.stdout)
                    w, h = float(box.group(3)), float(box.group(4))
                    self.assertAlmostEqual(w, size[0], delta=0.01)
                    self.assertAlmostEqual(h, size[1], delta=0.01)

    def test_nothing_outside_the_margins(self):
        """Every word lies inside the page with a printer-safe margin."""
        for name, extra in (("letter", ()), ("a4", ("--paper", "a4"))):
            for _, _, pdf in sheets(Built.get(name, *extra)):
                with self.subTest(sheet=pdf):
                    r = run(["pdftotext", "-bbox", pdf, "-"])
                    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', r.stdout, re.S)
                    self.assertTrue(pages)
                    for w, h, body in pages:
                        w, h = float(w), float(h)
                        for x0, y0, x1, y1 in re.findall(
                                r'xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)"', body):
                            self.assertGreaterEqual(float(x0), 36)
                            self.assertLessEqual(float(x1), w - 36)
                            self.assertGreaterEqual(float(y0), 24)
                            self.assertLessEqual(float(y1), h - 24)

    def test_no_notdef_glyphs(self):
        """No glyph 0 (.notdef, an empty box in print) in any text operator."""
        for _, _, pdf in sheets(Built.get("letter")):
            with self.subTest(sheet=pdf), pikepdf.open(pdf) as doc:
                strings = [bytes(item) for page in doc.pages
                           for operands, op in pikepdf.parse_content_stream(page)
                           if str(op) == "TJ"
                           for item in operands[0] if isinstance(item, pikepdf.String)]
                self.assertTrue(strings)
                for codes in strings:
                    self.assertEqual(len(codes) % 2, 0)
                    gids = [codes[i:i + 2] for i in range(0, len(codes), 2)]
                    self.assertNotIn(b"\0\0", gids)

    def test_script_renders_where_its_words_are(self):
        """For each language's own script, the words pdftotext places on page 1
        really show ink when the page is rendered."""
        if QUICK:
            self.skipTest("quick")
        out = Built.get("letter")
        for lang in languages():
            ranges = SCRIPT_RANGES.get(lang)
            if not ranges:
                continue
            pdf = os.path.join(out, lang, drugs(lang)[0] + ".pdf")
            with self.subTest(lang=lang):
                bbox = run(["pdftotext", "-f", "1", "-l", "1", "-bbox", pdf, "-"]).stdout
                words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', bbox)
                ours = [w for w in words if any(lo <= ord(c) <= hi for c in w[4] for lo, hi in ranges)]
                self.assertGreaterEqual(len(ours), 10, "too few %s words found" % lang)
                r = subprocess.run(["pdftoppm", "-r", "72", "-gray", "-f", "1", "-l", "1", pdf],
                                   capture_output=True)
                m = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", r.stdout)
                w, h = int(m.group(1)), int(m.group(2))
                px = r.stdout[m.end():]
                for x0, y0, x1, y1, word in ours[:40]:
                    x0, y0, x1, y1 = int(float(x0)), int(float(y0)), int(float(x1)) + 1, int(float(y1)) + 1
                    region = [px[y * w + x] for y in range(y0, min(y1, h)) for x in range(x0, min(x1, w))]
                    # drawn text means contrast inside its box: glyph strokes
                    # against the background (dark on white, or white on the
                    # title band); an empty box is one flat colour
                    self.assertTrue(region)
                    self.assertGreater(max(region) - min(region), 100, "no glyphs drawn for %r" % word)

    def test_deterministic_bytes(self):
        if QUICK:
            self.skipTest("quick")
        a, b = Built.get("letter"), Built.get("letter-again")
        for lang, drug, pdf in sheets(a):
            with self.subTest(sheet=pdf):
                with open(pdf, "rb") as f1, open(os.path.join(b, lang, drug + ".pdf"), "rb") as f2:
                    self.assertEqual(f1.read(), f2.read())

    def test_source_date_epoch(self):
        out = tempfile.mkdtemp(prefix="pdfgen-sde-")
        env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
        r = pdfgen("build", "--quiet", "--lang", "en", "--drug", "everolimus", "--out", out,
                   "--content", CONTENT, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        info = run(["pdfinfo", os.path.join(out, "en", "everolimus.pdf")]).stdout
        # 1700000000 is 2023-11-14 22:13:20 UTC
        raw = subprocess.run(["qpdf", "--qdf", os.path.join(out, "en", "everolimus.pdf"), "-"],
                             capture_output=True).stdout.decode("latin-1")
        self.assertIn("/CreationDate (D:20231114221320Z", raw)

    def test_pages_render_with_ink(self):
        """Page 1 of every sheet renders, and carries text where text should be."""
        if QUICK:
            self.skipTest("quick")
        for _, _, pdf in sheets(Built.get("letter")):
            with self.subTest(sheet=pdf):
                r = subprocess.run(["pdftoppm", "-r", "30", "-gray", "-f", "1", "-l", "1", pdf],
                                   capture_output=True)
                self.assertEqual(r.stderr, b"")
                # PGM: header, then one byte per pixel
                m = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", r.stdout)
                w, h = int(m.group(1)), int(m.group(2))
                pixels = r.stdout[m.end():]
                body = pixels[w * h // 4: w * h * 3 // 4]  # the middle half of the page
                dark = sum(1 for p in body if p < 128)
                self.assertGreater(dark / len(body), 0.005)

    def test_progress_lines(self):
        out = tempfile.mkdtemp(prefix="pdfgen-progress-")
        r = pdfgen("build", "--content", CONTENT, "--out", out, "--lang", "es")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), len(drugs("es")) + len(extras("es")))
        for line in lines:
            self.assertRegex(line, r"^pdfgen: wrote .*/es/\w+\.pdf \(\d+ pages?, [\d.]+ KB, [\d.]+ ms\)$")


class ContentTests(unittest.TestCase):
    """What every translation must keep from the English content."""

    def test_translations_keep_names_phone_and_references(self):
        en_strings = load(os.path.join(CONTENT, "en", "strings.yaml"))
        for lang in languages():
            strings = load(os.path.join(CONTENT, lang, "strings.yaml"))
            with self.subTest(lang=lang):
                self.assertEqual(strings["helpline"]["phone"], en_strings["helpline"]["phone"])
                self.assertEqual(drugs(lang), drugs("en"))
                for drug in drugs(lang):
                    en = load(os.path.join(CONTENT, "en", drug + ".yaml"))
                    sheet = load(os.path.join(CONTENT, lang, drug + ".yaml"))
                    self.assertEqual(sheet["name"], en["name"])
                    self.assertEqual(sheet["references"], en["references"])
                    self.assertEqual(sheet["last_revised"], en["last_revised"])
                    self.assertEqual(len(sheet["common_side_effects"]), len(en["common_side_effects"]))
                    self.assertEqual(len(sheet["serious_side_effects"]), len(en["serious_side_effects"]))
                    self.assertEqual("who_it_is_for" in sheet, "who_it_is_for" in en)

    def test_every_translation_says_it_is_a_draft(self):
        """Until a qualified medical translator has reviewed them, every
        translation carries its draft notice, and it is on every sheet."""
        out = Built.get("letter")
        for lang in languages():
            strings = load(os.path.join(CONTENT, lang, "strings.yaml"))
            with self.subTest(lang=lang):
                if lang == "en":
                    self.assertNotIn("draft_notice", strings)
                    continue
                self.assertIn("draft_notice", strings)
                for drug in drugs(lang):
                    text = normalize(run(["pdftotext", "-enc", "UTF-8",
                                          os.path.join(out, lang, drug + ".pdf"), "-"]).stdout)
                    self.assertIn(normalize(strings["draft_notice"]), text)


STATS = re.compile(r"^(\S+)/(\S+): (\d+) pages, last (\d+)% full; (\d+) lines, (\d+) justified, "
                   r"(\d+) hyphenated, (\d+) runts, (\d+) overfull")


class TypesetTests(unittest.TestCase):
    """How the sheets are set, from `build --stats`, on both papers and in
    both sizes: no line overfull, no stranded last page."""

    def stats(self, *args):
        out = tempfile.mkdtemp(prefix="pdfgen-stats-")
        try:
            r = pdfgen("build", "--quiet", "--stats", "--content", CONTENT, "--out", out, *args)
            self.assertEqual(r.returncode, 0, r.stderr)
            rows = [STATS.match(line) for line in r.stdout.splitlines()]
            self.assertTrue(rows and all(rows), r.stdout[:500])
            return rows, out
        except BaseException:
            shutil.rmtree(out, ignore_errors=True)
            raise

    def test_no_overfull_no_stranded_page(self):
        for paper in ("letter", "a4"):
            rows, out = self.stats("--paper", paper)
            shutil.rmtree(out, ignore_errors=True)
            self.assertEqual(len(rows), 42)
            for m in rows:
                sheet, pages, fill = "%s/%s" % (m[1], m[2]), int(m[3]), int(m[4])
                with self.subTest(sheet=sheet, paper=paper):
                    self.assertEqual(int(m[9]), 0, "overfull lines")
                    self.assertEqual(int(m[8]), 0, "runts: one short word alone on a last line")
                    if pages > 1:
                        self.assertGreaterEqual(fill, 25, "last page %d%% full" % fill)
            # running text is justified, and the languages with a dictionary hyphenate
            total = {m[1]: 0 for m in rows}
            for m in rows:
                self.assertGreater(int(m[6]), 0)
                total[m[1]] += int(m[7])
            for lang in ("en", "es", "fr", "pt", "ru"):
                self.assertGreater(total[lang], 0, lang)

    def test_large_print(self):
        rows, out = self.stats("--size", "large", "--lang", "en", "--lang", "ar")
        try:
            for m in rows:
                with self.subTest(sheet=m[1] + "/" + m[2]):
                    self.assertEqual(int(m[9]), 0, "overfull lines")
                    self.assertEqual(int(m[6]), 0, "large print is ragged right")
                    path = os.path.join(out, m[1], "large", m[2] + ".pdf")
                    self.assertTrue(os.path.exists(path), path)
                    # nothing under 14 pt: word boxes are at least 14 pt tall
                    r = run(["pdftotext", "-bbox", path, "-"])
                    heights = [float(b) - float(a) for a, b in
                               re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', r.stdout)]
                    self.assertTrue(heights)
                    self.assertGreaterEqual(min(heights), 14 * 1.2)
                    text = run(["pdftotext", path, "-"]).stdout
                    self.assertIn(load(os.path.join(CONTENT, m[1], m[2] + ".yaml"))["name"], text)
        finally:
            shutil.rmtree(out, ignore_errors=True)


HAN_KANA = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u30a0-\u30ff"
HIRAGANA = "\u3041-\u309f"


def inside_phrase(before, after):
    """Would a line end between these two characters cut a Japanese phrase?
    Between two content characters (kanji, katakana, Latin letters,
    digits: a compound like 分子標的薬), before hiragana after one (an
    ending or a particle: 受け付けて, 薬の), between two hiragana (an
    ending and its auxiliary), or between a closing bracket and its
    particle."""
    def content(c):
        return re.match("[%s]" % HAN_KANA, c) is not None or c.isascii() and c.isalnum()

    def hira(c):
        return re.match("[%s]" % HIRAGANA, c) is not None
    return ((content(before) and (content(after) or hira(after))) or
            (hira(before) and hira(after)) or (before in ")）」』" and hira(after)))


class HeadingPhraseTests(unittest.TestCase):
    """Japanese titles and headings break between phrases (bunsetsu), not
    inside a word as running text may: read back line by line (pdftotext)
    from the sheets, the glossary and the booklet, on both papers and in
    large print."""

    def headings(self, drug):
        """The title band's lines and the section headings of a drug's
        sheet (a section only where the drug has it), or (drug None) those
        the booklet has without a drug's name."""
        strings = load(os.path.join(CONTENT, "ja", "strings.yaml"))
        sheets = [load(os.path.join(CONTENT, "ja", d + ".yaml"))
                  for d in ([drug] if drug else drugs("ja"))]
        name = sheets[0]["name"] if drug else None
        # the closing advice too: bold display type, set like a heading
        found = [strings["series"], strings["sheet_title"], strings["helpline"]["heading"],
                 strings["disclaimer"]]
        for key, label in strings["labels"].items():
            if (key == "references" or any(key in s for s in sheets)) and \
                    (name or "{drug}" not in label):
                found.append(label.replace("{drug}", name or ""))
        return found

    def check(self, pdf, headings):
        lines = [squeeze(line) for line in
                 run(["pdftotext", "-enc", "UTF-8", pdf, "-"]).stdout.splitlines()]
        lines = [line for line in lines if line]
        for heading in headings:
            want = squeeze(heading)
            windows = [lines[i:i + k] for k in range(1, 5) for i in range(len(lines) - k + 1)
                       if "".join(lines[i:i + k]) == want]
            self.assertTrue(windows, "%s: heading %r not found" % (pdf, heading))
            for w in windows:
                for a, b in zip(w, w[1:]):
                    self.assertFalse(inside_phrase(a[-1], b[0]),
                                     "%s: %r broken inside a phrase: %r" % (pdf, heading, w))
        text = "\n".join(lines)
        self.assertNotRegex(text, "分\n子|分子\n標|標\n的|的\n薬", pdf)

    def test_japanese_headings_whole_phrases(self):
        large = Built.get("ja-large", "--lang", "ja", "--size", "large")
        for name, extra in (("letter", ()), ("a4", ("--paper", "a4"))):
            out = Built.get(name, *extra)
            for drug in drugs("ja"):
                with self.subTest(paper=name, drug=drug):
                    self.check(os.path.join(out, "ja", drug + ".pdf"), self.headings(drug))
                    self.check(os.path.join(large, "ja", "large", drug + ".pdf"),
                               self.headings(drug))
            glossary = load(os.path.join(CONTENT, "ja", "glossary.yaml"))["title"]
            with self.subTest(paper=name, pdf="glossary"):
                self.check(os.path.join(out, "ja", "glossary.pdf"), [glossary])
            with self.subTest(paper=name, pdf="all"):
                # the cover's title band, then every sheet's headings
                self.check(os.path.join(out, "ja", "all.pdf"), self.headings(None) + [glossary])


class TreeTests(unittest.TestCase):
    """`pdfgen tree` against the golden dumps in tests/tree/: a change to the
    template or the tree shows up as a readable diff.  To accept one on
    purpose: build/pdfgen tree --lang L --drug D > tests/tree/L-D.tree"""

    def test_golden_trees(self):
        golden = os.path.join(ROOT, "tests", "tree")
        names = sorted(n for n in os.listdir(golden) if n.endswith(".tree"))
        self.assertGreaterEqual(len(names), 5)
        for name in names:
            lang, drug = name[:-len(".tree")].rsplit("-", 1)
            with self.subTest(tree=name):
                r = pdfgen("tree", "--lang", lang, "--drug", drug, "--content", CONTENT)
                self.assertEqual(r.returncode, 0, r.stderr)
                with open(os.path.join(golden, name), encoding="utf-8") as f:
                    self.assertEqual(r.stdout, f.read())

    def test_tree_kinds_and_languages(self):
        r = pdfgen("tree", "--lang", "ar", "--drug", "sunitinib", "--content", CONTENT)
        self.assertEqual(r.returncode, 0, r.stderr)
        first = r.stdout.splitlines()[0]
        self.assertTrue(first.startswith("Document lang=ar dir=rtl"), first)
        # English citations on an Arabic sheet carry their own language
        self.assertIn("LBody lang=en dir=from-text", r.stdout)
        self.assertIn("Link uri=https://www.cancer.gov/types/pancreatic/patient/pnet-treatment-pdq",
                      r.stdout)
        self.assertIn("Link uri=tel:+18002272345", r.stdout)

    def test_tree_usage(self):
        r = pdfgen("tree", "--lang", "en")
        self.assertEqual(r.returncode, 2)
        self.assertIn("'tree' needs exactly one --lang and one --drug", r.stderr)


class CommandLineTests(unittest.TestCase):
    def test_list(self):
        r = pdfgen("list", "--content", CONTENT)
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout, "languages: %s\ndrugs: %s\n" % (" ".join(languages()), " ".join(drugs("en"))))

    def test_check_writes_nothing(self):
        cwd = tempfile.mkdtemp(prefix="pdfgen-check-")
        r = run([PDFGEN, "check", "--content", CONTENT], cwd=cwd)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.listdir(cwd), [])

    def test_version_and_help(self):
        r = pdfgen("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^pdfgen \d+\.\d+\.\d+\n$")
        r = pdfgen("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("pdfgen build", r.stdout)

    def test_unwritable_stdout_fails(self):
        """Output that cannot be written is not success: list, tree, --help
        and --version into /dev/full exit 1 and say why."""
        if not os.path.exists("/dev/full"):
            self.skipTest("no /dev/full")
        for args in (["--help"], ["--version"], ["list", "--content", CONTENT],
                     ["tree", "--lang", "en", "--drug", "sunitinib", "--content", CONTENT]):
            with self.subTest(args=args[0]), open("/dev/full", "w") as full:
                r = subprocess.run([PDFGEN, *args], stdout=full, stderr=subprocess.PIPE, text=True)
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn("cannot write to standard output", r.stderr)

    def test_closed_stdout(self):
        """A closed standard output (>&-) fails the commands that write
        there, and not build, which writes nothing there (it used to write
        every sheet and then exit 1)."""
        out = tempfile.mkdtemp(prefix="pdfgen-closed-")
        try:
            for args, status in ((["build", "--lang", "en", "--drug", "sunitinib", "--out", out,
                                   "--content", CONTENT], 0),
                                 (["list", "--content", CONTENT], 1), (["--version"], 1)):
                with self.subTest(args=args[0]):
                    r = subprocess.run(["sh", "-c", 'exec "$0" "$@" >&-', PDFGEN, *args],
                                       stderr=subprocess.PIPE, text=True)
                    self.assertEqual(r.returncode, status, r.stderr)
                    self.assertEqual("cannot write to standard output" in r.stderr, status == 1)
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def test_link_ends_where_the_web_address_does(self):
        """A web address in a reference ends at the first character no URI
        holds: before a no-break space it used to take in the words after
        it, raw UTF-8 in the PDF's link (a PDF URI must be ASCII)."""
        tmp, content = mutate([("references.yaml", "pnet-treatment-pdq on October",
                                "pnet-treatment-pdq\u00a0on\u00a0October")])
        try:
            out = os.path.join(tmp, "out")
            r = pdfgen("build", "--quiet", "--content", content, "--out", out,
                       "--lang", "en", "--drug", "sunitinib")
            self.assertEqual(r.returncode, 0, r.stderr)
            import pikepdf
            with pikepdf.open(os.path.join(out, "en", "sunitinib.pdf")) as pdf:
                uris = [bytes(a.A.URI) for page in pdf.pages for a in page.get("/Annots", [])
                        if "/A" in a and "/URI" in a.A]
            self.assertIn(b"https://www.cancer.gov/types/pancreatic/patient/pnet-treatment-pdq", uris)
            for uri in uris:
                self.assertTrue(uri.isascii() and b" " not in uri, uri)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_usage_errors_exit_2(self):
        for args in (["build", "--paper", "legal"], ["frobnicate"], [], ["build", "--bogus"],
                     ["build", "--lang"], ["build", "--lang", "xx", "--content", CONTENT],
                     ["check", "--paper", "a4"]):
            with self.subTest(args=args):
                r = pdfgen(*args)
                self.assertEqual(r.returncode, 2, r.stderr)
                # GNU style: what is wrong on the first line, then where to look
                lines = r.stderr.splitlines()
                self.assertTrue(lines[0].startswith("pdfgen: "), r.stderr)
                self.assertEqual(lines[-1], "Try 'pdfgen --help' for more information.")

    def test_filters(self):
        out = tempfile.mkdtemp(prefix="pdfgen-filter-")
        r = pdfgen("build", "--quiet", "--content", CONTENT, "--out", out,
                   "--lang", "es", "--drug", "belzutifan")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(out)), ["es", "manifest.json"])
        self.assertEqual(os.listdir(os.path.join(out, "es")), ["belzutifan.pdf"])


def mutate(replacements):
    """A copy of content/ with (file, old, new) replacements applied."""
    tmp = tempfile.mkdtemp(prefix="pdfgen-bad-")
    dst = os.path.join(tmp, "content")
    shutil.copytree(CONTENT, dst)
    for rel, old, new in replacements:
        path = os.path.join(dst, rel)
        with open(path, "rb") as f:
            data = f.read()
        old_b = old.encode() if isinstance(old, str) else old
        new_b = new.encode() if isinstance(new, str) else new
        assert old_b in data, (rel, old)
        with open(path, "wb") as f:
            f.write(data.replace(old_b, new_b, 1))
    return tmp, dst


def position_of(path, needle, offset=0):
    """1-based line and column of needle (bytes) in a file, columns in characters."""
    with open(path, "rb") as f:
        data = f.read()
    i = data.index(needle.encode() if isinstance(needle, str) else needle) + offset
    line = data.count(b"\n", 0, i) + 1
    col = len(data[data.rfind(b"\n", 0, i) + 1:i].decode("utf-8", "replace")) + 1
    return line, col


class BadInputTests(unittest.TestCase):
    def check_fails(self, replacements, rel, needle, message, offset=0, command="check"):
        tmp, content = mutate(replacements)
        out = os.path.join(tmp, "out")
        line, col = position_of(os.path.join(content, rel), needle, offset)
        args = [command, "--content", content] + (["--out", out] if command == "build" else [])
        r = run([PDFGEN, *args], cwd=tmp)
        self.assertEqual(r.returncode, 1, r.stderr)
        want = "%s:%d:%d: error: " % (os.path.join(content, rel), line, col)
        self.assertIn(want, r.stderr)
        self.assertIn(message, r.stderr)
        self.assertNotIn("AddressSanitizer", r.stderr)
        if command == "build":
            self.assert_no_partial_files(out)
        return r

    def assert_no_partial_files(self, out):
        for dirpath, _, files in os.walk(out):
            for f in files:
                self.assertFalse(f.startswith("."), "temporary file left: " + f)

    def test_other_digits_warn(self):
        """One digit system per sheet: content that writes digits of another
        system than the language's strings choose gets a warning from check
        (file:line:col), and the build still works."""
        tmp, content = mutate([("ar/sunitinib.yaml", "يحجب Sunitinib", "يحجب Sunitinib ٢")])
        try:
            r = pdfgen("check", "--content", content)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stderr, r"ar/sunitinib\.yaml:\d+:\d+: warning: digit U\+0662 is not "
                             r"of this language's digit system \(latn\)")
            r = pdfgen("check", "--content", CONTENT)
            self.assertNotIn("warning: digit", r.stderr)
        finally:
            shutil.rmtree(tmp)

    def test_unknown_digit_system(self):
        tmp, content = mutate([("ar/strings.yaml", "digits: latn", "digits: klingon")])
        try:
            r = pdfgen("check", "--content", content)
            self.assertEqual(r.returncode, 1)
            self.assertIn("unknown digit system 'klingon'", r.stderr)
        finally:
            shutil.rmtree(tmp)

    def test_yaml_syntax_error(self):
        # libyaml notices the unclosed bracket at the colon on the next line,
        # and the message points back at the bracket
        tmp, content = mutate([("en/sunitinib.yaml", "name: Sunitinib", "name: [Sunitinib")])
        path = os.path.join(content, "en", "sunitinib.yaml")
        line, col = position_of(path, "\ndrug_class:", len("\ndrug_class"))
        open_line, open_col = position_of(path, "[Sunitinib")
        r = pdfgen("check", "--content", content)
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s:%d:%d: error: did not find expected ',' or ']' (while parsing a flow "
                      "sequence that starts at line %d, column %d)" % (path, line, col, open_line, open_col),
                      r.stderr)

    def test_wrong_type(self):
        self.check_fails([("en/everolimus.yaml", "name: Everolimus", "name: [Everolimus]")],
                         "en/everolimus.yaml", "[Everolimus]", "expected a string")

    def test_invalid_utf8(self):
        self.check_fails([("es/belzutifan.yaml", "name: Belzutifan", b"name: Belz\xffutifan")],
                         "es/belzutifan.yaml", b"\xff", "UTF-8")

    def test_missing_required_key(self):
        tmp, content = mutate([])
        path = os.path.join(content, "en", "sunitinib.yaml")
        with open(path) as f:
            lines = f.read().split("\n")
        lines = [l for l in lines if not l.startswith("drug_class:")]
        with open(path, "w") as f:
            f.write("\n".join(lines))
        r = pdfgen("check", "--content", content)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, re.escape(path) + r":\d+:\d+: error: missing required key 'drug_class'")

    def test_unknown_key(self):
        self.check_fails([("en/sunitinib.yaml", "name: Sunitinib", "name: Sunitinib\ncolour: red")],
                         "en/sunitinib.yaml", "colour", "unknown key 'colour'")

    def test_duplicate_key(self):
        self.check_fails([("es/sunitinib.yaml", "name: Sunitinib", "name: Sunitinib\nname: Otro")],
                         "es/sunitinib.yaml", "name: Otro", "duplicate key 'name'")

    def test_bad_date(self):
        self.check_fails([("en/belzutifan.yaml", "last_revised: 2021-08-17", "last_revised: 2021-02-30")],
                         "en/belzutifan.yaml", "2021-02-30",
                         "'last_revised' is not a calendar date: 2021-02-30 (2021-02 has 28 days)")

    def test_all_errors_reported(self):
        tmp, content = mutate([("en/sunitinib.yaml", "name: Sunitinib", "name: Sunitinib\nfoo: 1"),
                               ("es/everolimus.yaml", "name: Everolimus", "name: Everolimus\nbar: 2")])
        r = pdfgen("check", "--content", content)
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown key 'foo'", r.stderr)
        self.assertIn("unknown key 'bar'", r.stderr)

    def test_character_no_font_has(self):
        for command in ("check", "build"):
            with self.subTest(command=command):
                self.check_fails([("en/sunitinib.yaml", "name: Sunitinib", "name: Suni\u0378tinib")],
                                 "en/sunitinib.yaml", "Suni", "no installed font has U+0378",
                                 command=command)

    def test_build_with_errors_writes_nothing(self):
        tmp, content = mutate([("en/sunitinib.yaml", "name: Sunitinib", "name: [x")])
        out = os.path.join(tmp, "out")
        r = pdfgen("build", "--content", content, "--out", out)
        self.assertEqual(r.returncode, 1)
        self.assertFalse(os.path.exists(out))

    def test_unwritable_output_folder(self):
        tmp = tempfile.mkdtemp(prefix="pdfgen-unwritable-")
        blocker = os.path.join(tmp, "file")
        open(blocker, "w").close()
        r = pdfgen("build", "--content", CONTENT, "--out", os.path.join(blocker, "out"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot create folder", r.stderr)

    def test_repeated_placeholder(self):
        """A template may repeat its placeholder any number of times; the
        expansion is sized for all of them (the sanitizer run would report
        a write past it)."""
        for times in (9, 3000):
            with self.subTest(times=times):
                tmp, content = mutate([("en/strings.yaml", 'last_revised: "Last revised: {date}"',
                                        'last_revised: "%s"' % ("{date} " * times))])
                out = os.path.join(tmp, "out")
                r = pdfgen("build", "--quiet", "--lang", "en", "--drug", "everolimus",
                           "--content", content, "--out", out)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stderr, "")
                pdf = os.path.join(out, "en", "everolimus.pdf")
                self.assertEqual(run(["qpdf", "--check", pdf]).returncode, 0)
                text = run(["pdftotext", "-enc", "UTF-8", pdf, "-"]).stdout
                self.assertIn("August 17, 2021 August 17, 2021 August 17, 2021", text)

    def interrupt_build(self, out, sig, wait_for):
        """Start a build of every sheet, wait until wait_for(process) says
        it is mid-build, send sig, and check what it leaves behind."""
        p = subprocess.Popen([PDFGEN, "build", "--content", CONTENT, "--out", out],
                             stderr=subprocess.PIPE, text=True)
        try:
            wait_for(p)
            p.send_signal(sig)
            p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        # it really was cut short by the signal, not finished first
        self.assertEqual(p.returncode, -sig)
        pdfs = 0
        for dirpath, _, files in os.walk(out):
            for f in files:
                self.assertFalse(f.startswith("."), "temporary file left: " + f)
                self.assertTrue(f.endswith(".pdf"), f)
                r = run(["qpdf", "--check", os.path.join(dirpath, f)])
                self.assertEqual(r.returncode, 0, f + r.stdout + r.stderr)
                pdfs += 1
        total = sum(len(drugs(lang)) for lang in languages())
        self.assertLess(pdfs, total)

    @staticmethod
    def first_progress_line(p):
        line = p.stderr.readline()
        assert line.startswith("pdfgen: wrote "), line

    @staticmethod
    def poll_for_temporary_file(out):
        def wait(p):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                for _, _, files in os.walk(out):
                    if any(re.match(r"^\..+\.pdf\..{6}$", f) for f in files):
                        return
                assert p.poll() is None, "build ended before a temporary file was seen"
            raise AssertionError("no temporary file within 60 s")
        return wait

    def test_interrupted_build_leaves_only_whole_pdfs(self):
        """Stopped by a signal, after a finished sheet or while a sheet's
        temporary file exists, a build leaves no temporary files and no
        half-written PDF: every file in out/ is a complete, valid PDF."""
        if QUICK:
            self.skipTest("quick")
        tmp = tempfile.mkdtemp(prefix="pdfgen-interrupt-")
        rounds = [(signal.SIGTERM, None), (signal.SIGINT, "temp"), (signal.SIGHUP, "temp"),
                  (signal.SIGTERM, "temp")]
        for i, (sig, when) in enumerate(rounds):
            out = os.path.join(tmp, "out%d" % i)
            with self.subTest(signal=sig.name, at=when or "first progress line"):
                wait = self.poll_for_temporary_file(out) if when else self.first_progress_line
                self.interrupt_build(out, sig, wait)

    def test_missing_font(self):
        tmp = tempfile.mkdtemp(prefix="pdfgen-nofonts-")
        conf = os.path.join(tmp, "fonts.conf")
        with open(conf, "w") as f:
            f.write('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
                    '<fontconfig><dir>%s</dir><cachedir>%s</cachedir></fontconfig>' % (tmp, tmp))
        out = os.path.join(tmp, "out")
        env = dict(os.environ, FONTCONFIG_FILE=conf)
        r = pdfgen("build", "--content", CONTENT, "--out", out, env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("font 'Noto Sans Regular' not found", r.stderr)
        # not "apt-get install fonts-noto-core", which would change nothing
        self.assertIn("pointed at by FONTCONFIG_FILE='%s'" % conf, r.stderr)
        self.assertNotIn("apt-get", r.stderr)
        for dirpath, _, files in os.walk(out):
            self.assertEqual(files, [])

    def test_damaged_font(self):
        """A face fontconfig names for a family pdfgen asks for, with
        garbage over its character map: Noto Sans Regular mapped nothing,
        and fallback silently set every sheet in Noto Sans Bold and DejaVu
        Sans, exit 0.  Noto Sans Arabic so: the Arabic sheet in DejaVu
        Sans.  Now an error naming the file."""
        for name, family, lang in (("NotoSans-Regular.ttf", "Noto Sans", "en"),
                                   ("NotoSansArabic-Regular.ttf", "Noto Sans Arabic", "ar")):
            with self.subTest(font=name):
                tmp = tempfile.mkdtemp(prefix="pdfgen-damaged-font-")
                fonts = os.path.join(tmp, "fonts")
                os.makedirs(fonts)
                found = run(["fc-match", "-f", "%{file}", family + ":regular"]).stdout
                self.assertTrue(found.endswith(name), found)
                damaged = os.path.join(fonts, name)
                with open(found, "rb") as f:
                    data = bytearray(f.read())
                cmap = fontTools.ttLib.TTFont(found).reader.tables["cmap"]
                rng = random.Random(1)
                for i in range(cmap.offset, cmap.offset + cmap.length):
                    data[i] = rng.randrange(256)
                with open(damaged, "wb") as f:
                    f.write(data)
                conf = os.path.join(tmp, "fonts.conf")
                with open(conf, "w") as f:
                    f.write('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM '
                            '"urn:fontconfig:fonts.dtd">\n<fontconfig><cachedir>%s</cachedir>'
                            '<dir>%s</dir><include ignore_missing="yes">/etc/fonts/fonts.conf'
                            '</include></fontconfig>\n' % (os.path.join(tmp, "cache"), fonts))
                env = dict(os.environ, FONTCONFIG_FILE=conf)
                self.assertEqual(run(["fc-match", "-f", "%{file}", family + ":regular"],
                                     env=env).stdout, damaged)
                out = os.path.join(tmp, "out")
                r = pdfgen("build", "--content", CONTENT, "--out", out, "--lang", lang,
                           "--drug", "sunitinib", env=env)
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn("font file '%s', fontconfig's '%s Regular', cannot be used: its "
                              "character map (cmap) is damaged or maps no character"
                              % (damaged, family), r.stderr)
                self.assertFalse(os.path.exists(os.path.join(out, lang, "sunitinib.pdf")))
                shutil.rmtree(tmp, ignore_errors=True)

    def test_missing_content_folder(self):
        r = pdfgen("check", "--content", "/nonexistent/content")
        self.assertEqual(r.returncode, 1)
        self.assertIn("/nonexistent/content", r.stderr)



class LanguageFilterTests(unittest.TestCase):
    """build --lang L parses only L's files, but still checks every
    language's file list; check reads everything."""

    def test_other_languages_are_not_parsed(self):
        tmp, content = mutate([("fr/sunitinib.yaml", "name: Sunitinib", "name: [Sunitinib")])
        out = os.path.join(tmp, "out")
        r = pdfgen("build", "--quiet", "--content", content, "--out", out, "--lang", "es")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("sunitinib.pdf", os.listdir(os.path.join(out, "es")))
        for args in (["check"], ["build", "--lang", "fr", "--out", out]):
            with self.subTest(args=args[0]):
                r = pdfgen(*args, "--content", content)
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn("fr/sunitinib.yaml:", r.stderr)
        shutil.rmtree(tmp, ignore_errors=True)

    def test_english_is_read_as_the_source(self):
        """English is the source of every translation's digests and of the
        band's English line, so --lang es reads it too: a sheet built alone
        is the sheet a whole build makes."""
        out = tempfile.mkdtemp(prefix="pdfgen-source-")
        r = pdfgen("build", "--quiet", "--content", CONTENT, "--out", out, "--lang", "es",
                   "--drug", "sunitinib")
        self.assertEqual(r.returncode, 0, r.stderr)
        alone = os.path.join(out, "es", "sunitinib.pdf")
        text = run(["pdftotext", alone, "-"]).stdout
        self.assertIn("Draft translation, not yet medically reviewed", text)
        with open(alone, "rb") as f, open(os.path.join(Built.get("letter"), "es", "sunitinib.pdf"), "rb") as g:
            self.assertEqual(f.read(), g.read())
        shutil.rmtree(out, ignore_errors=True)

    def test_file_list_is_still_checked(self):
        tmp, content = mutate([])
        os.remove(os.path.join(content, "fr", "sunitinib.yaml"))
        r = pdfgen("build", "--quiet", "--content", content, "--out", os.path.join(tmp, "out"),
                   "--lang", "es")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("drug 'sunitinib' has no sheet in language 'fr'", r.stderr)
        shutil.rmtree(tmp, ignore_errors=True)

    def test_any_number_of_filters(self):
        out = tempfile.mkdtemp(prefix="pdfgen-filters-")
        r = pdfgen("build", "--quiet", "--content", CONTENT, "--out", out,
                   *(["--lang", "en"] * 100), *(["--drug", "sunitinib"] * 100))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.listdir(os.path.join(out, "en")), ["sunitinib.pdf"])
        shutil.rmtree(out, ignore_errors=True)


class FallbackFontTests(unittest.TestCase):
    def test_name_keyed_cff_font_is_passed_over(self):
        """A fallback font the PDF writer cannot embed (a name-keyed CFF
        font, like URW's Nimbus) is passed over: the character is reported
        as one no usable font has, and the sheet never reaches the writer
        with a font it must refuse."""
        from fontTools.fontBuilder import FontBuilder
        from fontTools.pens.t2CharStringPen import T2CharStringPen
        tmp, content = mutate([("en/sunitinib.yaml", "name: Sunitinib", "name: Suni\u0378tinib")])
        fonts = os.path.join(tmp, "fonts")
        os.makedirs(fonts)
        builder = FontBuilder(1000, isTTF=False)
        builder.setupGlyphOrder([".notdef", "uni0378"])
        builder.setupCharacterMap({0x0378: "uni0378"})
        pen = T2CharStringPen(600, None)
        pen.moveTo((100, 0))
        pen.lineTo((100, 500))
        pen.lineTo((500, 500))
        pen.closePath()
        empty = T2CharStringPen(600, None)
        builder.setupCFF("PdfgenNameKeyed-Regular", {"FullName": "PdfgenNameKeyed"},
                         {".notdef": empty.getCharString(), "uni0378": pen.getCharString()}, {})
        builder.setupHorizontalMetrics({".notdef": (600, 0), "uni0378": (600, 100)})
        builder.setupHorizontalHeader(ascent=800, descent=-200)
        builder.setupNameTable({"familyName": "PdfgenNameKeyed", "styleName": "Regular"})
        builder.setupOS2()
        builder.setupPost()
        builder.save(os.path.join(fonts, "PdfgenNameKeyed-Regular.otf"))
        conf = os.path.join(tmp, "fonts.conf")
        with open(conf, "w") as f:
            f.write('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
                    '<fontconfig><cachedir>%s</cachedir><dir>%s</dir>'
                    '<include ignore_missing="yes">/etc/fonts/fonts.conf</include></fontconfig>\n'
                    % (os.path.join(tmp, "cache"), fonts))
        env = dict(os.environ, FONTCONFIG_FILE=conf)
        listed = run(["fc-list", ":charset=0378", "family"], env=env).stdout
        self.assertIn("PdfgenNameKeyed", listed)  # fontconfig offers it
        out = os.path.join(tmp, "out")
        r = pdfgen("build", "--content", content, "--out", out, "--lang", "en", "--drug", "sunitinib",
                   env=env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("no installed font has U+0378", r.stderr)
        self.assertNotIn("not CID-keyed", r.stderr)
        shutil.rmtree(tmp, ignore_errors=True)


def run_suite(name, rest):
    """Runs the tests of the script being run (rest: unittest's own
    arguments), removes the builds they shared, prints "name: OK" or
    "name: FAILED" (when named) and exits with the result."""
    result = unittest.main(module="__main__", argv=[sys.argv[0], "-v"] + rest, exit=False).result
    for d in Built.dirs.values():
        shutil.rmtree(d, ignore_errors=True)
    if name:
        print("%s: %s" % (name, "OK" if result.wasSuccessful() else "FAILED"))
    sys.exit(0 if result.wasSuccessful() else 1)


def main():
    global PDFGEN, QUICK
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdfgen", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--content", help="another content folder (default: content/)")
    args, rest = parser.parse_known_args()
    global CONTENT
    if args.content:
        CONTENT = os.path.abspath(args.content)
    PDFGEN = os.path.abspath(args.pdfgen)
    QUICK = args.quick
    run_suite(None, rest)



if __name__ == "__main__":
    main()
