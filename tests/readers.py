#!/usr/bin/python3
"""Every reader at hand opens every PDF pdfgen writes, object streams and
cross-reference stream included, and gives its text back.

Builds every sheet, glossary and booklet (or reads --out DIR), then for
each PDF:
- the file is PDF 1.5+ in form: a cross-reference stream, no table or
  trailer dictionary, its non-stream objects in object streams;
- qpdf --check passes without a warning;
- poppler: pdfinfo sees the pages pikepdf sees, pdffonts lists every font
  embedded, pdftotext gives the text, pdftoppm renders every page, each
  with something on it; none of them says a word on stderr;
- mupdf: mutool info opens it, mutool draw renders every page and its
  text matches poppler's;
- pikepdf opens it without a warning;
- ghostscript (when gs is installed) renders every page without an error
  and its text matches poppler's (see GS_AGREEMENT).
Text "matches" when the two readers' characters agree to 95% (as
multisets, spaces and format characters left out: readers order columns
and place spaces their own way, and poppler reads ActualText).

Chromium's PDF viewer (pdfium) is not among them: headless Chromium shows
the viewer's empty frame, not the page, so there is nothing to assert.

Usage: tests/readers.py --pdfgen build/pdfgen [--out DIR] [--jobs N]"""

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
import warnings
from concurrent.futures import ThreadPoolExecutor

import pikepdf
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from subsets import built_out  # noqa: E402
AGREEMENT = 0.95
# Ghostscript's txtwrite garbles a glyph whose ToUnicode entry is several
# characters (Devanagari conjuncts: hi/glossary.pdf agrees to 0.89, the
# same in the PDF 1.4 files libharu wrote before object streams).
GS_AGREEMENT = 0.85


# What Debian's mupdf says of itself, whatever the file.
BENIGN = ("warning: ICC support is not available",)


def run(cmd, problems, what, quiet=True):
    """Runs cmd; records a failure or (when quiet) any stderr; returns stdout."""
    r = subprocess.run(cmd, capture_output=True)
    err = "\n".join(line for line in r.stderr.decode("utf-8", "replace").splitlines()
                    if line.strip() and line.strip() not in BENIGN)
    if r.returncode != 0:
        problems.append("%s failed (%d): %s" % (what, r.returncode, err[-300:]))
    elif quiet and err:
        problems.append("%s said: %s" % (what, err[-300:]))
    return r.stdout


def chars(text):
    """Characters as a multiset, without spaces and format characters
    (bidi marks, joiners: poppler gives ActualText's, others the glyphs'),
    compatibility forms folded."""
    text = unicodedata.normalize("NFKC", text)
    return collections.Counter(c for c in text
                               if not c.isspace() and unicodedata.category(c) != "Cf")


def agreement(ref, other):
    """How much of ref's characters other has, and other's ref has (the lower)."""
    a, b = chars(ref), chars(other)
    common = sum((a & b).values())
    return min(common / max(1, sum(a.values())), common / max(1, sum(b.values())))


def rendered(png_dir, prefix, page_texts, problems, what):
    """Every page rendered, and blank only where it has no text (a
    booklet's empty left-hand page)."""
    files = sorted((f for f in os.listdir(png_dir) if f.startswith(prefix)),
                   key=lambda f: int(re.findall(r"\d+", f)[-1]))
    if len(files) != len(page_texts):
        problems.append("%s rendered %d of %d pages" % (what, len(files), len(page_texts)))
    for f, text in zip(files, page_texts):
        with Image.open(os.path.join(png_dir, f)) as im:
            lo, hi = im.convert("L").getextrema()
        if lo == hi and text.strip():
            problems.append("%s: %s is blank" % (what, f))


def check_structure(path, problems):
    data = open(path, "rb").read()
    if not data.startswith(b"%PDF-1.7\n"):
        problems.append("header is not %PDF-1.7: " + repr(data[:9]))
    if b"/Type/XRef" not in data or b"\ntrailer" in data or b"\nxref\n" in data:
        problems.append("no cross-reference stream, or a table as well")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pikepdf.open(path) as pdf:
            pages = len(pdf.pages)
            stms = [o for o in pdf.objects
                    if isinstance(o, pikepdf.Stream) and o.get("/Type") == "/ObjStm"]
            if not stms:
                problems.append("no object streams")
        for w in caught:
            if not issubclass(w.category, ResourceWarning):  # other threads' files
                problems.append("pikepdf: %s" % w.message)
    # qpdf lists objects kept out of object streams as "uncompressed".
    xref = subprocess.run(["qpdf", "--show-xref", path], capture_output=True, text=True).stdout
    outside = [line for line in xref.splitlines() if "uncompressed" in line]
    if len(outside) > len(xref.splitlines()) // 2:
        problems.append("most objects are outside object streams (%d)" % len(outside))
    return pages


def check(path, tmp):
    problems = []
    pages = check_structure(path, problems)
    out = run(["qpdf", "--check", path], problems, "qpdf --check").decode()
    if "No syntax or stream encoding errors" not in out or "WARNING" in out:
        problems.append("qpdf --check: " + out.strip().splitlines()[-1])

    info = run(["pdfinfo", path], problems, "pdfinfo").decode()
    if not re.search(r"^Pages: +%d$" % pages, info, re.M):
        problems.append("pdfinfo sees other pages than pikepdf's %d" % pages)
    fonts = run(["pdffonts", path], problems, "pdffonts").decode().splitlines()[2:]
    if not fonts or any(line.split()[-5] != "yes" for line in fonts):
        problems.append("pdffonts: a font is not embedded:\n" + "\n".join(fonts))
    text = run(["pdftotext", "-enc", "UTF-8", path, "-"], problems, "pdftotext").decode()
    page_texts = text.split("\f")[:pages]
    if sum(chars(text).values()) < 200:
        problems.append("pdftotext gives %d characters" % sum(chars(text).values()))
    run(["pdftoppm", "-r", "20", "-gray", "-png", path, os.path.join(tmp, "poppler")],
        problems, "pdftoppm")
    rendered(tmp, "poppler", page_texts, problems, "pdftoppm")

    run(["mutool", "info", path], problems, "mutool info", quiet=False)
    run(["mutool", "draw", "-q", "-r", "20", "-o", os.path.join(tmp, "mupdf-%d.png"), path],
        problems, "mutool draw")
    rendered(tmp, "mupdf", page_texts, problems, "mutool draw")
    mu_text = run(["mutool", "draw", "-q", "-F", "txt", "-o", "-", path], problems,
                  "mutool draw -F txt").decode("utf-8", "replace")
    if agreement(text, mu_text) < AGREEMENT:
        problems.append("mupdf's text agrees with poppler's to %.2f" % agreement(text, mu_text))

    if shutil.which("gs"):
        gs = ["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-dPDFSTOPONERROR"]
        run(gs + ["-sDEVICE=pnggray", "-r20", "-o", os.path.join(tmp, "gs-%d.png"), path],
            problems, "gs")
        rendered(tmp, "gs", page_texts, problems, "gs")
        gs_text = run(gs + ["-sDEVICE=txtwrite", "-o", "-", path], problems,
                      "gs txtwrite").decode("utf-8", "replace")
        if agreement(text, gs_text) < GS_AGREEMENT:
            problems.append("ghostscript's text agrees with poppler's to %.2f"
                            % agreement(text, gs_text))
    return problems


def check_in_tmp(path):
    with tempfile.TemporaryDirectory(prefix="pdfgen-readers-") as tmp:
        return check(path, tmp)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdfgen")
    parser.add_argument("--out", help="read the PDFs in DIR instead of building")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    out, tmp = built_out(args, "readers")
    paths = sorted(os.path.join(d, f) for d, _, files in os.walk(out)
                   for f in files if f.endswith(".pdf"))
    failed = 0
    try:
        with ThreadPoolExecutor(args.jobs) as ex:
            for path, problems in zip(paths, ex.map(check_in_tmp, paths)):
                rel = os.path.relpath(path, out)
                for p in problems:
                    print("readers: %s: %s" % (rel, p))
                failed += bool(problems)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    readers = "qpdf, poppler, mupdf, pikepdf" + (", ghostscript" if shutil.which("gs") else "")
    print("readers: %d PDFs, %d with problems (%s)" % (len(paths), failed, readers))
    print("readers: %s" % ("OK" if not failed and paths else "FAILED"))
    return 0 if not failed and paths else 1


if __name__ == "__main__":
    sys.exit(main())
