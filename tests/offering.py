#!/usr/bin/python3
"""The "PDFs by language" offering (issue 8): the glossary ("Words to
know") of every language, read back from the PDFs: every term and
definition extracts, the terms come in the language's collation order
under ICU's letter headings (one bookmark per letter), the translation
says it is a draft, and the file passes the PDF/UA checker.

Usage: tests/offering.py --pdfgen build/pdfgen [unittest arguments]"""

import argparse
import os
import re
import shutil
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdfgen", required=True)
    args, rest = parser.parse_known_args()
    integration.PDFGEN = os.path.abspath(args.pdfgen)
    result = unittest.main(argv=[sys.argv[0], "-v"] + rest, exit=False).result
    for d in integration.Built.dirs.values():
        shutil.rmtree(d, ignore_errors=True)
    print("offering: %s" % ("OK" if result.wasSuccessful() else "FAILED"))
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
