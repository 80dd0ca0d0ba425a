#!/usr/bin/python3
"""Compares two builds' PDFs, e.g. out/ before and after a change to the
writer that must not change what a reader sees: for every PDF in OLD, the
same path in NEW must render pixel-identical (pdftoppm -r 50 -gray), give
the same text (pdftotext) and pass qpdf --check.  Prints sizes old/new.

    tests/compare_out.py OLD_OUT NEW_OUT [--jobs N]
"""
import argparse
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor


def render(pdf, tmp, tag):
    prefix = os.path.join(tmp, tag)
    subprocess.run(["pdftoppm", "-r", "50", "-gray", pdf, prefix], check=True)
    pages = sorted(f for f in os.listdir(tmp) if f.startswith(tag + "-"))
    return [open(os.path.join(tmp, f), "rb").read() for f in pages]


def text(pdf):
    return subprocess.run(["pdftotext", "-enc", "UTF-8", pdf, "-"], check=True,
                          capture_output=True).stdout


def compare(rel, old_root, new_root):
    old, new = os.path.join(old_root, rel), os.path.join(new_root, rel)
    if not os.path.exists(new):
        return rel, ["missing in new"]
    problems = []
    check = subprocess.run(["qpdf", "--check", new], capture_output=True, text=True)
    if check.returncode != 0:
        problems.append("qpdf --check: " + check.stdout.strip().splitlines()[-1])
    if text(old) != text(new):
        problems.append("pdftotext differs")
    with tempfile.TemporaryDirectory() as tmp:
        a, b = render(old, tmp, "old"), render(new, tmp, "new")
    if len(a) != len(b):
        problems.append("page count %d != %d" % (len(a), len(b)))
    else:
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                problems.append("page %d renders differently" % (i + 1))
    return rel, problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    rels = []
    for d, _, files in os.walk(args.old):
        rels += [os.path.relpath(os.path.join(d, f), args.old) for f in files if f.endswith(".pdf")]
    rels.sort()
    old_total = new_total = 0
    bad = 0
    with ThreadPoolExecutor(args.jobs) as ex:
        for rel, problems in ex.map(lambda r: compare(r, args.old, args.new), rels):
            o = os.path.getsize(os.path.join(args.old, rel))
            n = os.path.getsize(os.path.join(args.new, rel)) if os.path.exists(os.path.join(args.new, rel)) else 0
            old_total += o
            new_total += n
            print("%-28s %8d -> %8d  %5.1f%%  %s" % (rel, o, n, 100.0 * (n - o) / o,
                                                    "; ".join(problems) or "same"))
            bad += bool(problems)
    print("%d PDFs, %d differ; PDF bytes %d -> %d (%.1f%%)" % (
        len(rels), bad, old_total, new_total, 100.0 * (new_total - old_total) / old_total))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
