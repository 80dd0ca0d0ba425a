#!/usr/bin/python3
"""`make bench`: how fast pdfgen builds every sheet and how big they are.
Measures, never asserts: timing belongs in a report, not in a test."""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdfgen", required=True)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    content = os.path.join(ROOT, "content")
    tmp = tempfile.mkdtemp(prefix="pdfgen-bench-")
    times = []
    for paper in ("letter", "a4"):
        for i in range(args.runs):
            out = os.path.join(tmp, "%s-%d" % (paper, i))
            start = time.perf_counter()
            subprocess.run([args.pdfgen, "build", "--quiet", "--paper", paper,
                            "--content", content, "--out", out], check=True)
            times.append((paper, time.perf_counter() - start))
    sizes = {}
    for dirpath, _, files in os.walk(os.path.join(tmp, "letter-0")):
        for f in files:
            path = os.path.join(dirpath, f)
            sizes[os.path.relpath(path, os.path.join(tmp, "letter-0"))] = os.path.getsize(path)
    n = len(sizes)
    langs = sorted({name.split("/")[0] for name in sizes})
    print("sheets: %d (%d languages: %s)" % (n, len(langs), " ".join(langs)))
    for paper in ("letter", "a4"):
        t = sorted(x for p, x in times if p == paper)
        print("%-6s whole build, one process: median %.1f ms, min %.1f ms -> %.1f ms per sheet"
              % (paper, statistics.median(t) * 1e3, t[0] * 1e3, statistics.median(t) * 1e3 / n))
    print("sizes (letter):")
    for name, size in sorted(sizes.items()):
        pages = re.search(r"Pages:\s+(\d+)", subprocess.run(
            ["pdfinfo", os.path.join(tmp, "letter-0", name)], capture_output=True, text=True).stdout)
        print("  %-24s %6.1f KB  %s page(s)" % (name, size / 1024, pages.group(1) if pages else "?"))
    print("  mean %.1f KB, total %.1f KB" % (sum(sizes.values()) / n / 1024, sum(sizes.values()) / 1024))
    # Per-sheet time as pdfgen itself reports it (layout + PDF, excluding startup)
    r = subprocess.run([args.pdfgen, "build", "--content", content, "--out", os.path.join(tmp, "x")],
                       capture_output=True, text=True)
    ms = [float(m) for m in re.findall(r"([\d.]+) ms\)", r.stderr)]
    if ms:
        print("per sheet as reported by pdfgen: median %.1f ms, max %.1f ms" % (statistics.median(ms), max(ms)))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
