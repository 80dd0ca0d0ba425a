#!/usr/bin/python3
"""Tagged-PDF (PDF/UA-1) integration tests: build every sheet, Letter and
A4, and check what assistive technology relies on: tests/pdfua.py passes,
the structure tree reads in order (pdfinfo -struct-text), every glyph
extracts (mutool), and references and the helpline are real links.

The layout tests at the end (LayoutTests) need no tags and hold for
today's untagged output: right-to-left alignment of Arabic sheets and the
margins of Chinese, Japanese and Korean sheets, read back with
pdftotext -bbox-layout.

Usage: tests/tagged.py --pdfgen build/pdfgen [unittest arguments]"""

import argparse
import os
import re
import subprocess
import sys
import unittest

import pikepdf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import integration  # noqa: E402  (its content helpers, normalisation and build cache)
import pdfua  # noqa: E402
from integration import CONTENT, drugs, load, run  # noqa: E402

MARGIN = 54.0          # the sheets' side margin, in points
TOLERANCE = 1.0        # how far a line end may sit from where it belongs
PAPERS = (("letter", ()), ("a4", ("--paper", "a4")))
HELPLINE_URI = "tel:+18002272345"
STRUCT_TEXT_LANGS = ("en", "ar", "hi", "ja")
CJK_LANGS = ("ja", "ko", "zh-Hans", "zh-Hant")
# Words made only of bidi marks (the invisible RTL-mark glyph of Arabic
# pages) have a box but no ink: they are left out of every measurement.
INVISIBLE = re.compile(r"^[\s\u200e\u200f\u202a-\u202e\u2066-\u2069]*$")
BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# A list label once bidi marks are gone: a bullet, or a number with its
# period on either side (Arabic pages show "١." as ".١").
LABEL = re.compile(r"^(\u2022|\d+[.)]|[.)]\d+)$")
URL = re.compile(r"https?://\S+")
ARABIC = re.compile("[\u0621-\u064a\u0671-\u06d3]")  # letters, not digits


def all_sheets():
    """(paper, lang, drug, path) of every sheet in both paper sizes."""
    for paper, extra in PAPERS:
        out = integration.Built.get(paper, *extra)
        for lang, drug, path in integration.sheets(out):
            yield paper, lang, drug, path


def squeeze(s):
    """integration.squeeze: NFKC, no bidi marks, no whitespace at all.  Used
    for order checks: a line break may come back as a space, a newline or
    nothing (inside a URL, between ideographs), so spacing is not compared."""
    return integration.squeeze(s)


def reference_texts(drug_yaml):
    refs = {r["id"]: r["text"] for r in load(os.path.join(CONTENT, "references.yaml"))["references"]}
    return [refs[i] for i in drug_yaml["references"]]


def urls(text):
    return [u.rstrip(".,;)") for u in URL.findall(text)]


# ---- reading back ----

def struct_text(path):
    """The quoted text lines of pdfinfo -struct-text, in tree order."""
    r = run(["pdfinfo", "-struct-text", path])
    return re.findall(r'^\s*"(.*?)"\s*$', r.stdout, re.M | re.S), r


def layout(path):
    """Pages of pdftotext -bbox-layout: [(width, height, [line])], each line
    a list of words (xMin, yMin, xMax, yMax, text) with y from the top."""
    out = run(["pdftotext", "-bbox-layout", path, "-"]).stdout
    pages = []
    for w, h, body in re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S):
        lines = []
        for line in re.findall(r"<line [^>]*>(.*?)</line>", body, re.S):
            words = [(float(a), float(b), float(c), float(d), t.replace("&amp;", "&"))
                     for a, b, c, d, t in re.findall(
                         r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">([^<]*)</word>',
                         line)]
            words = [wd for wd in words if not INVISIBLE.match(wd[4])]
            if words:
                lines.append(words)
        pages.append((float(w), float(h), lines))
    return pages


PATH_OPS = {"m", "l", "c", "v", "y", "re", "f", "F", "f*", "B", "B*", "b", "b*", "S", "s", "n"}


def filled_boxes(path):
    """Bounding boxes (x0, top, x1, bottom; y from the top) of the filled
    shapes of each page: the title banner, the draft notice and the helpline
    box.  Text inside them has its own inset, so it is left out of margin
    checks.  pdfgen draws them without any cm, so no CTM is tracked."""
    boxes = []
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            height = float(page.mediabox[3])
            points, found = [], []
            for inst in pikepdf.parse_content_stream(page):
                op = str(inst.operator)
                if op not in PATH_OPS:
                    continue
                a = [float(x) for x in inst.operands]
                if op in ("m", "l"):
                    points.append(a[:2])
                elif op == "c":
                    points += [a[0:2], a[2:4], a[4:6]]
                elif op in ("v", "y"):
                    points += [a[0:2], a[2:4]]
                elif op == "re":
                    points += [[a[0], a[1]], [a[0] + a[2], a[1] + a[3]]]
                elif op in ("f", "F", "f*", "B", "B*", "b", "b*") and points:
                    xs, ys = [p[0] for p in points], [p[1] for p in points]
                    found.append((min(xs), height - max(ys), max(xs), height - min(ys)))
                    points = []
                elif op in ("S", "s", "n"):
                    points = []
            boxes.append(found)
    return boxes


def body_lines(path):
    """Per page: (width, height, lines) without the footer (below the bottom
    margin) and without lines inside a filled box."""
    for (w, h, lines), boxes in zip(layout(path), filled_boxes(path)):
        kept = []
        for line in lines:
            top = min(wd[1] for wd in line)
            mid_y = (top + max(wd[3] for wd in line)) / 2
            mid_x = (min(wd[0] for wd in line) + max(wd[2] for wd in line)) / 2
            if top > h - MARGIN:
                continue  # footer
            if any(x0 <= mid_x <= x1 and y0 <= mid_y <= y1 for x0, y0, x1, y1 in boxes):
                continue
            kept.append(line)
        yield w, h, kept


def is_label(text):
    return bool(LABEL.match(BIDI_MARKS.sub("", text)))


def join_label_words(line):
    """A number label drawn right to left ("١." as "." then "١") can come
    as two words; make it one again, wherever it sits on the line."""
    words = sorted(line, key=lambda wd: wd[0])
    for i in range(len(words) - 1):
        a, b = words[i], words[i + 1]
        if abs(a[2] - b[0]) < 0.5 and is_label(a[4] + b[4]):
            joined = (a[0], min(a[1], b[1]), b[2], max(a[3], b[3]), a[4] + b[4])
            return words[:i] + [joined] + words[i + 2:]
    return list(line)


def merge_labels(lines):
    """pdftotext puts a label in another font (an Arabic-Indic number before
    a Latin citation) on a line of its own, a few points off its text line;
    put it back on the nearest line whose middle is within 8 pt."""
    mid = lambda ln: (min(wd[1] for wd in ln) + max(wd[3] for wd in ln)) / 2
    # A label may come as more than one word: poppler takes "١." drawn in
    # logical order (right to left) for two.
    lines = [join_label_words(ln) for ln in lines]
    only_label = lambda ln: len(ln) <= 3 and is_label("".join(wd[4] for wd in ln))
    labels = [ln for ln in lines if only_label(ln)]
    rest = [list(ln) for ln in lines if not only_label(ln)]
    for label in labels:
        word = (min(wd[0] for wd in label), min(wd[1] for wd in label),
                max(wd[2] for wd in label), max(wd[3] for wd in label),
                "".join(wd[4] for wd in sorted(label, key=lambda wd: wd[0])))
        near = min(rest, key=lambda ln: abs(mid(ln) - mid(label)), default=None)
        if near is not None and abs(mid(near) - mid(label)) < 8:
            near.append(word)
        else:
            rest.append([word])
    return sorted(rest, key=lambda ln: min(wd[1] for wd in ln))


# ---- the tests ----



class TaggedTests(unittest.TestCase):

    def test_pdfua_checker_passes(self):
        for paper, lang, drug, path in all_sheets():
            with self.subTest(sheet=path):
                failures = pdfua.check_file(path)
                self.assertEqual(failures, [], "\n" + "\n".join(failures[:12]))

    def test_struct_text_reading_order(self):
        """The structure tree gives the sheet's words in reading order: the
        drug's paragraphs and list items, the helpline and the references,
        each in content order."""
        out = integration.Built.get("letter")
        for lang in STRUCT_TEXT_LANGS:
            strings = load(os.path.join(CONTENT, lang, "strings.yaml"))
            for drug in drugs(lang):
                path = os.path.join(out, lang, drug + ".pdf")
                with self.subTest(sheet=path):
                    texts, r = struct_text(path)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertTrue(texts, "pdfinfo -struct-text gives no text (not tagged?)")
                    sheet = load(os.path.join(CONTENT, lang, drug + ".yaml"))
                    expected = [sheet["name"], sheet["drug_class"], sheet["targeted_drugs"],
                                sheet["how_it_works"], sheet["how_it_is_taken"]]
                    if "who_it_is_for" in sheet:
                        expected.append(sheet["who_it_is_for"])
                    expected += sheet["common_side_effects"] + sheet["serious_side_effects"]
                    expected += [strings["helpline"]["text"], strings["helpline"]["phone"],
                                 strings["helpline"]["reach"], strings["disclaimer"]]
                    expected += reference_texts(sheet)
                    haystack = squeeze(" ".join(texts))
                    at = 0
                    for value in expected:
                        found = haystack.find(squeeze(value), at)
                        self.assertGreaterEqual(found, 0, "not found in order after position %d: %r"
                                                % (at, value[:60]))
                        at = found + len(squeeze(value))

    def test_every_glyph_maps_to_unicode_without_actualtext(self):
        """Stricter than the checker's default (PDF/UA 7.21.7 as veraPDF
        reads it): every code shown has a ToUnicode entry, also inside
        ActualText, for readers that ignore ActualText."""
        for paper, lang, drug, path in all_sheets():
            with self.subTest(sheet=path):
                with pikepdf.open(path) as pdf:
                    failures = [str(f) for f in pdfua.check_tounicode(pdf, excuse_actualtext=False)]
                self.assertEqual(failures, [])

    def test_mutool_extracts_no_replacement_characters(self):
        for paper, lang, drug, path in all_sheets():
            if paper != "letter":
                continue
            with self.subTest(sheet=path):
                r = subprocess.run(["mutool", "draw", "-F", "txt", "-o", "-", path],
                                   capture_output=True)
                text = r.stdout.decode("utf-8", "replace")
                self.assertEqual(r.returncode, 0)
                self.assertEqual(text.count("\ufffd"), 0, "U+FFFD near: %r"
                                 % text[max(0, text.find("\ufffd") - 30):text.find("\ufffd") + 10])

    def test_references_and_helpline_are_links(self):
        for paper, lang, drug, path in all_sheets():
            with self.subTest(sheet=path):
                sheet = load(os.path.join(CONTENT, lang, drug + ".yaml"))
                links = {}  # URI -> [(page index, annotation)]
                with pikepdf.open(path) as pdf:
                    for i, page in enumerate(pdf.pages):
                        for annot in page.obj.get("/Annots", pikepdf.Array()):
                            if annot.get("/Subtype") != "/Link":
                                continue
                            action = annot.get("/A", pikepdf.Dictionary())
                            self.assertEqual(action.get("/S"), "/URI", "Link without a URI action")
                            quads = [float(q) for q in annot.get("/QuadPoints", [])]
                            links.setdefault(str(action.URI), []).append((i, quads))
                self.assertIn(HELPLINE_URI, links, "the helpline number is not a tel: link")
                pages = layout(path)
                for url in [u for text in reference_texts(sheet) for u in urls(text)]:
                    found = links.get(url, [])
                    self.assertEqual(len(found), 1, "%s: %d Link annotations, expected one" % (url, len(found)))
                    page, quads = found[0]
                    nlines = lines_spanned(pages[page][2], url)
                    self.assertTrue(nlines, "%s not found on page %d" % (url, page + 1))
                    # a link on one line is its /Rect, without QuadPoints
                    expected = 8 * nlines if nlines > 1 else 0
                    self.assertEqual(len(quads), expected,
                                     "%s is on %d lines: expected %d QuadPoints numbers, got %d"
                                     % (url, nlines, expected, len(quads)))


def lines_spanned(lines, url):
    """How many lines of a page the URL's characters are on (0 if absent)."""
    chars, owner = [], []
    for n, line in enumerate(lines):
        for wd in line:
            s = squeeze(wd[4])
            chars.append(s)
            owner += [n] * len(s)
    text = "".join(chars)
    at = text.find(squeeze(url))
    if at < 0:
        return 0
    return len(set(owner[at:at + len(squeeze(url))]))


class LayoutTests(unittest.TestCase):
    """Need no tags; hold for today's output."""

    def check_list_line(self, line, rtl):
        """A bullet or number sits on the reading-start side of its text."""
        if rtl:
            label = max(line, key=lambda wd: wd[2])
            rest = [wd for wd in line if wd is not label]
            if is_label(label[4]) and rest:
                self.assertGreaterEqual(label[0], max(wd[2] for wd in rest) - 0.01,
                                        "label %r not right of its text" % label[4])
                return label, max(wd[2] for wd in rest)
        else:
            label = min(line, key=lambda wd: wd[0])
            rest = [wd for wd in line if wd is not label]
            if is_label(label[4]) and rest:
                self.assertLessEqual(label[2], min(wd[0] for wd in rest) + 0.01,
                                     "label %r not left of its text" % label[4])
                return label, min(wd[0] for wd in rest)
        return None

    def test_arabic_lines_end_at_the_right_margin(self):
        """Right to left: every body line ends at the right margin; a list
        item's bullet or number is at its right, and the item's further lines
        end where its first line's text does (hanging indent)."""
        checked = 0
        for paper, lang, drug, path in all_sheets():
            if lang != "ar":
                continue
            with self.subTest(sheet=path):
                # the labels must not simply be missing
                labels = 0
                for w, h, lines in body_lines(path):
                    edge, item_edge = w - MARGIN, None
                    for line in merge_labels(lines):
                        right = max(wd[2] for wd in line)
                        small = min(wd[3] - wd[1] for wd in line) < 14  # 9 pt citations
                        if small and not ARABIC.search("".join(wd[4] for wd in line)):
                            # an English citation: set left to right, from
                            # the left margin, its number on the left
                            left = min(wd[0] for wd in line)
                            self.assertGreaterEqual(left, MARGIN - TOLERANCE)
                            self.assertLessEqual(left, MARGIN + 16 + TOLERANCE,
                                                 "citation line %r does not start at the left"
                                                 % " ".join(wd[4] for wd in line)[:50])
                            item_edge = None
                            continue
                        item = self.check_list_line(line, rtl=True)
                        if item:
                            labels += 1
                            item_edge = item[1]
                            continue
                        if item_edge is not None and abs(right - item_edge) <= TOLERANCE:
                            continue  # a further line of a list item
                        item_edge = None
                        checked += 1
                        self.assertAlmostEqual(right, edge, delta=TOLERANCE,
                                               msg="line %r ends at %.2f, not at the right margin %.2f"
                                               % (" ".join(wd[4] for wd in line)[:50], right, edge))
                self.assertGreater(labels, 5)
        self.assertGreater(checked, 50)

    def test_cjk_words_inside_the_side_margins(self):
        for paper, lang, drug, path in all_sheets():
            if lang not in CJK_LANGS:
                continue
            with self.subTest(sheet=path):
                for n, (w, h, lines) in enumerate(layout(path), 1):
                    for line in lines:
                        for wd in line:
                            self.assertGreaterEqual(wd[0], MARGIN - 0.01, "page %d: %r" % (n, wd[4]))
                            self.assertLessEqual(wd[2], w - MARGIN + 0.01, "page %d: %r" % (n, wd[4]))

    def test_cjk_lines_start_at_the_left_margin(self):
        """Left to right: every body line starts at the left margin; list
        items have their label left of the text, and an item's further lines
        start where its first line's text does."""
        for paper, lang, drug, path in all_sheets():
            if lang not in CJK_LANGS:
                continue
            with self.subTest(sheet=path):
                checked = 0
                for w, h, lines in body_lines(path):
                    item_edge = None
                    for line in merge_labels(lines):
                        left = min(wd[0] for wd in line)
                        item = self.check_list_line(line, rtl=False)
                        if item:
                            item_edge = item[1]
                            continue
                        if item_edge is not None and abs(left - item_edge) <= TOLERANCE:
                            continue
                        item_edge = None
                        if left > w / 2:
                            continue  # the right-hand half of a split line (none today)
                        checked += 1
                        self.assertAlmostEqual(left, MARGIN, delta=TOLERANCE,
                                               msg="line %r starts at %.2f, not at the left margin"
                                               % (" ".join(wd[4] for wd in line)[:40], left))
                self.assertGreater(checked, 10)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdfgen", required=True)
    args, rest = parser.parse_known_args()
    integration.PDFGEN = os.path.abspath(args.pdfgen)
    integration.run_suite("tagged", rest)


if __name__ == "__main__":
    main()
