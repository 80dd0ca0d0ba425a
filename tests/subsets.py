#!/usr/bin/python3
"""Embedded font subsets carry exactly the glyphs the sheet draws.

Builds every sheet, reads each PDF's content streams (pikepdf) for the
codes shown with each CIDFont, and reads each embedded font program
(fontTools): a CFF subset's charset must hold exactly the drawn CIDs plus
.notdef; a TrueType subset (glyph ids kept, so /CIDToGIDMap /Identity) may
have outlines only for drawn glyphs, .notdef and the components of drawn
composite glyphs.

Usage: tests/subsets.py --pdfgen build/pdfgen [--out DIR] [--report]
--out reads the PDFs already in DIR instead of building; --report prints,
per language, the glyphs embedded against the glyphs drawn."""

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict

import pikepdf
from fontTools.cffLib import CFFFontSet
from fontTools.ttLib import TTFont

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def codes(data):
    """Identity-H: two bytes a code."""
    data = bytes(data)
    return {data[i] << 8 | data[i + 1] for i in range(0, len(data) - 1, 2)}


def drawn_codes(pdf):
    """CIDFont object id -> (the font's name, the set of codes drawn)."""
    drawn = {}

    def walk(instructions, resources, seen_forms):
        fonts = resources.get("/Font", {}) if resources is not None else {}
        xobjects = resources.get("/XObject", {}) if resources is not None else {}
        font, stack = None, []
        for operands, op in instructions:
            op = str(op)
            if op == "q":
                stack.append(font)
            elif op == "Q":
                font = stack.pop() if stack else None
            elif op == "Tf":
                t0 = fonts[str(operands[0])]
                cid = t0.DescendantFonts[0]
                key = cid.objgen
                font = drawn.setdefault(key, (str(cid.BaseFont), set(), cid))[1]
            elif op in ("Tj", "'"):
                font.update(codes(operands[0]))
            elif op == '"':
                font.update(codes(operands[2]))
            elif op == "TJ":
                for item in operands[0]:
                    if isinstance(item, pikepdf.String):
                        font.update(codes(item))
            elif op == "Do":
                xo = xobjects[str(operands[0])]
                if xo.get("/Subtype") == "/Form" and xo.objgen not in seen_forms:
                    walk(pikepdf.parse_content_stream(xo), xo.get("/Resources"),
                         seen_forms | {xo.objgen})

    for page in pdf.pages:
        walk(pikepdf.parse_content_stream(page), page.obj.get("/Resources"), frozenset())
    return drawn


def cff_cids(data):
    cff = CFFFontSet()
    cff.decompile(io.BytesIO(data), None)
    top = cff[cff.fontNames[0]]
    names = top.charset
    if not hasattr(top, "ROS"):
        raise AssertionError("CFF font is not CID-keyed")
    return [0 if n == ".notdef" else int(n[3:]) for n in names]


def truetype_outlines(data):
    """Glyph ids with outlines, and each composite's components."""
    font = TTFont(io.BytesIO(data))
    glyf = font["glyf"]
    order = font.getGlyphOrder()
    gid_of = {name: i for i, name in enumerate(order)}
    outlines, components = set(), {}
    for gid, name in enumerate(order):
        g = glyf[name]
        if g.numberOfContours != 0:
            outlines.add(gid)
        if g.isComposite():
            components[gid] = {gid_of[c.glyphName] for c in g.components}
    return outlines, components


def with_components(gids, components):
    todo, seen = list(gids), set(gids)
    while todo:
        for c in components.get(todo.pop(), ()):
            if c not in seen:
                seen.add(c)
                todo.append(c)
    return seen


def check_pdf(path):
    """Problems found, and (font, embedded, drawn) per font."""
    problems, counts = [], []
    with pikepdf.open(path) as pdf:
        for name, drawn, cid in drawn_codes(pdf).values():
            desc = cid.FontDescriptor
            if "/FontFile3" in desc:
                embedded = cff_cids(desc.FontFile3.read_bytes())
                if len(set(embedded)) != len(embedded):
                    problems.append("%s: %s repeats a CID" % (path, name))
                extra = set(embedded) - drawn - {0}
                missing = drawn - set(embedded)
                counts.append((name, len(embedded), len(drawn | {0})))
            else:
                outlines, components = truetype_outlines(desc.FontFile2.read_bytes())
                needed = with_components(drawn | {0}, components)
                extra = outlines - needed
                missing = set()
                counts.append((name, len(outlines), len(needed & outlines)))
            if extra:
                problems.append("%s: %s embeds %d glyphs never drawn: %s"
                                % (path, name, len(extra), sorted(extra)[:20]))
            if missing:
                problems.append("%s: %s lacks drawn CIDs %s" % (path, name, sorted(missing)[:20]))
    return problems, counts


def built_out(args, name):
    """The folder of PDFs to read: args.out, or every sheet, glossary and
    booklet built afresh with args.pdfgen into a temporary folder, which
    the caller removes (the second value; None for args.out)."""
    if args.out:
        return args.out, None
    if not args.pdfgen:
        sys.exit("%s: --pdfgen or --out is needed" % name)
    tmp = tempfile.mkdtemp(prefix="pdfgen-%s-" % name)
    out = os.path.join(tmp, "out")
    r = subprocess.run([os.path.abspath(args.pdfgen), "build", "--quiet", "--content",
                        os.path.join(ROOT, "content"), "--out", out],
                       capture_output=True, text=True)
    if r.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        sys.exit("%s: build failed:\n%s" % (name, r.stderr))
    return out, tmp


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdfgen")
    parser.add_argument("--out")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    out, tmp = built_out(args, "subsets")
    problems, report = [], defaultdict(list)
    pdfs = 0
    for dirpath, _, files in sorted(os.walk(out)):
        for f in sorted(files):
            if f.endswith(".pdf"):
                path = os.path.join(dirpath, f)
                p, counts = check_pdf(path)
                problems += p
                pdfs += 1
                report[os.path.relpath(path, out)] = counts
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.report:
        for sheet, counts in sorted(report.items()):
            print(sheet + ": " + ", ".join("%s %d embedded/%d drawn" % (n.split("+")[-1], e, d)
                                           for n, e, d in counts))
    for p in problems:
        print(p)
    if pdfs == 0:
        print("subsets: no PDF found in " + out)
        sys.exit(1)
    print("subsets: %d PDFs, %s" % (pdfs, "%d problems" % len(problems) if problems else "ok"))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
