#!/usr/bin/python3
"""The catalog page out/index.html (issue 8): built by a whole
`pdfgen build`, checked as HTML here (html5lib's strict parser: any parse
error fails; languages in the order the page states, each under its own
name with the English one beside it; lang and dir; drugs in collation
order; page counts and sizes true to the files; no script), then in
Debian's headless Chromium by tests/browser/catalog.mjs (every link to an
existing PDF, axe-core with no violations, screenshots at phone and
desktop widths into build/screenshots/).

Usage: tests/catalog.py --pdfgen build/pdfgen [--node-dir tests/browser]
                        [--screenshots DIR] [unittest arguments]"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import unittest
import urllib.parse

import tempfile

import html5lib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import integration  # noqa: E402
from integration import CONTENT, drugs, languages, load, run  # noqa: E402

NODE_DIR = None
SCREENSHOTS = None
NS = "{http://www.w3.org/1999/xhtml}"
ENGLISH_NAMES = {"ar": "Arabic", "en": "English", "es": "Spanish", "fr": "French",
                 "hi": "Hindi", "ht": "Haitian Creole", "ja": "Japanese", "ko": "Korean",
                 "pt": "Portuguese", "ru": "Russian", "tl": "Tagalog", "vi": "Vietnamese",
                 "zh-Hans": "Chinese (Simplified)", "zh-Hant": "Chinese (Traditional)"}
OWN_NAMES = {"ar": "العربية", "es": "Español", "fr": "Français", "ht": "Kreyòl ayisyen",
             "ja": "日本語", "ru": "Русский", "zh-Hans": "中文（简体）", "zh-Hant": "中文（繁體）"}


def text_of(el):
    return "".join(el.itertext()).strip()


class CatalogTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = integration.Built.get("letter")
        cls.path = os.path.join(cls.out, "index.html")
        with open(cls.path, "rb") as f:
            cls.source = f.read()
        parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True)
        cls.doc = parser.parse(cls.source)  # raises on any parse error
        cls.sections = cls.doc.findall(".//%smain/%ssection" % (NS, NS))

    def test_valid_html_no_script(self):
        self.assertTrue(self.source.startswith(b"<!DOCTYPE html>\n<html lang=\"en\">"))
        self.assertIsNone(self.doc.find(".//%sscript" % NS))
        self.assertNotIn(b"javascript:", self.source)
        for el in self.doc.iter():
            self.assertFalse([k for k in el.attrib if k.lower().startswith("on")], el.tag)
        self.assertIsNotNone(self.doc.find(".//%smeta[@name='viewport']" % NS))
        self.assertIn(b"@media print", self.source)

    def test_languages_in_the_stated_order(self):
        ids = [s.get("id") for s in self.sections]
        self.assertEqual(sorted(ids), sorted(languages()))
        self.assertEqual([ENGLISH_NAMES[i] for i in ids], sorted(ENGLISH_NAMES[i] for i in ids))
        self.assertIn(b"alphabetical order of their English names", self.source)

    def test_own_name_and_english_name(self):
        for s in self.sections:
            lang = s.get("id")
            with self.subTest(lang=lang):
                h2 = s.find("%sh2" % NS)
                self.assertTrue(text_of(h2).startswith(OWN_NAMES.get(lang, "")))
                if lang != "en":
                    en = h2.find("%sspan" % NS)
                    self.assertEqual(en.get("lang"), "en")
                    self.assertEqual(text_of(en), ENGLISH_NAMES[lang])

    def test_lang_and_dir(self):
        """Every section says its language; Arabic is right to left; every
        element with English text inside another language says so."""
        for s in self.sections:
            lang = s.get("id")
            self.assertEqual(s.get("lang"), lang)
            self.assertEqual(s.get("dir"), "rtl" if lang == "ar" else None)
            for el in s.iter():
                if el.get("class") == "meta":
                    self.assertEqual(el.get("lang"), None if lang == "en" else "en")
                    if lang == "ar":
                        self.assertEqual(el.get("dir"), "ltr")
        nav = [a for a in self.doc.iter("%sa" % NS) if a.get("href", "").startswith("#")]
        self.assertEqual(len(nav), len(languages()))
        for a in nav:
            self.assertEqual(a.get("lang"), a.get("href")[1:])

    def test_links_titles_pages_sizes(self):
        for s in self.sections:
            lang = s.get("id")
            with self.subTest(lang=lang):
                strings = load(os.path.join(CONTENT, lang, "strings.yaml"))
                items = s.findall(".//%sli" % NS)
                names = {load(os.path.join(CONTENT, lang, d + ".yaml"))["name"]: d for d in drugs(lang)}
                hrefs = [li.find("%sa" % NS).get("href") for li in items]
                expected = ["%s/%s.pdf" % (lang, names[n]) for n in sorted(names)] + \
                           ["%s/glossary.pdf" % lang, "%s/all.pdf" % lang]
                self.assertEqual(hrefs, expected)
                for li, href in zip(items, hrefs):
                    path = os.path.join(self.out, href)
                    pages = int(re.search(r"Pages:\s+(\d+)", run(["pdfinfo", path]).stdout).group(1))
                    meta = text_of(li.find("%sspan" % NS))
                    kb = (os.path.getsize(path) + 512) // 1024
                    self.assertEqual(meta, "(PDF, %d page%s, %d\u00a0KB)" % (pages, "" if pages == 1 else "s", kb))
                first = text_of(items[0].find("%sa" % NS))
                self.assertTrue(first.endswith(strings["sheet_title"]), first)
                self.assertEqual(text_of(items[-1].find("%sa" % NS)), strings["booklet"])

    def test_filtered_build_writes_no_catalog(self):
        out = tempfile.mkdtemp(prefix="pdfgen-catalog-")
        try:
            r = run([integration.PDFGEN, "build", "--quiet", "--content", CONTENT, "--out", out,
                     "--lang", "es"])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertFalse(os.path.exists(os.path.join(out, "index.html")))
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def test_link_to_a_drug_id_of_any_characters(self):
        """A drug id may be any name of a file; its link used to go out
        raw, so '"' ended the href and '#', '?', '%' and spaces broke it."""
        tmp = tempfile.mkdtemp(prefix="pdfgen-catalog-id-")
        try:
            content, out = os.path.join(tmp, "content"), os.path.join(tmp, "out")
            shutil.copytree(CONTENT, content)
            new = 'Su ni#t?i%n&i"b<\u00e9'
            for lang in languages():
                old = os.path.join(content, lang, "sunitinib.yaml")
                with open(old, encoding="utf-8") as f:
                    text = f.read().replace("id: sunitinib", "id: '%s'" % new, 1)
                os.remove(old)
                with open(os.path.join(content, lang, new + ".yaml"), "w", encoding="utf-8") as f:
                    f.write(text)
            r = run([integration.PDFGEN, "build", "--quiet", "--content", content, "--out", out])
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(out, "index.html"), "rb") as f:
                doc = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True).parse(f.read())
            hrefs = [a.get("href") for a in doc.iter("%sa" % NS) if "Su" in a.get("href", "")]
            self.assertEqual(len(hrefs), len(languages()))
            for href in hrefs:
                self.assertTrue(os.path.isfile(os.path.join(out, urllib.parse.unquote(href))), href)
                self.assertEqual(urllib.parse.unquote(href).split("/")[1], new + ".pdf")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_in_chromium_with_axe(self):
        r = subprocess.run(["node", os.path.join(NODE_DIR, "catalog.mjs"), self.out, SCREENSHOTS],
                           capture_output=True, text=True, timeout=300)
        sys.stderr.write(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for name in ("phone", "desktop"):
            self.assertTrue(os.path.getsize(os.path.join(SCREENSHOTS, "catalog-%s.png" % name)) > 10000)


def main():
    global NODE_DIR, SCREENSHOTS
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdfgen", required=True)
    parser.add_argument("--node-dir", default=os.path.join(integration.ROOT, "tests", "browser"))
    parser.add_argument("--screenshots", default=os.path.join(integration.ROOT, "build", "screenshots"))
    args, rest = parser.parse_known_args()
    integration.PDFGEN = os.path.abspath(args.pdfgen)
    NODE_DIR = os.path.abspath(args.node_dir)
    SCREENSHOTS = os.path.abspath(args.screenshots)
    integration.run_suite("catalog", rest)


if __name__ == "__main__":
    main()
