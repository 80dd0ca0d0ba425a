#!/usr/bin/python3
"""`make bench`: how fast pdfgen builds sheets, how big they are and how
much memory it takes.  Measures, never asserts: timing belongs in a report,
not in a test (this machine is shared and noisy; compare medians, or use
--callgrind for instruction counts, which are stable).

What it runs (every figure of a process comes from os.wait4: wall clock
around the child, CPU = user + system of the child and its reaped
children, peak RSS = ru_maxrss, the largest of the child and its reaped
children, not their sum):

1. the whole default build (every language and drug, glossaries, booklets,
   catalog page) with pdfgen's default -j (a worker process per core), for
   Letter and for A4, and for Letter with -j 1, --runs times each (CPU/wall
   shows what the workers gain);
2. each language on its own, sheets only (`--lang L --drug D ...`, so
   neither its glossary nor its booklet), --runs times each;
3. a single sheet (`--lang en --drug sunitinib`);
4. a synthetic workload from tests/bench_synthetic.py (N drugs x en, es,
   ja, made from the real content), one build per size, to show whether
   time grows linearly with the sheets and whether memory stays flat: sheets
   only (--drug for each), then the whole build
   (a booklet of every sheet per language, too) of 10 up to 1,000 drugs;
   then the flat-memory verdict of issue 10: the largest of those against
   the real whole build, beyond what its content itself takes (`pdfgen
   list`, which loads the content and lays nothing out);
5. with --callgrind, the whole build under valgrind's callgrind: the top
   functions by inclusive instructions and the libraries by their own.

Results go to stdout as tables and to out/bench.json (keys in a fixed
order).  Sizes of the synthetic workload that would overrun --budget
(predicted from the size before) are skipped and reported as skipped.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_synthetic  # noqa: E402

# pdfgen's progress line: "pdfgen: wrote out/en/x.pdf (2 pages, 23.1 KB, 12.3 ms)"
WROTE = re.compile(r"wrote (\S+) \((\d+) pages?, ([\d.]+) KB, ([\d.]+) ms\)")
EXTRAS = ("glossary", "all")  # out/<lang>/glossary.pdf and all.pdf are not sheets


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def run(cmd, tmp):
    """Runs cmd; returns wall and CPU seconds, peak RSS (KiB), exit code and
    stderr.  Output goes to files, so a chatty child never blocks on a pipe
    while we wait for it."""
    err_path = os.path.join(tmp, "stderr.txt")
    with open(err_path, "w+b") as err:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "user": ru.ru_utime,
            "sys": ru.ru_stime, "rss_kb": ru.ru_maxrss, "rc": p.returncode, "stderr": text}


def check_rc(r, what):
    if r["rc"] != 0:
        tail = "\n".join(r["stderr"].strip().splitlines()[-15:])
        raise SystemExit("bench: %s failed (exit %d):\n%s" % (what, r["rc"], tail))


def sheet_sizes(out, drugs):
    """{"lang/drug.pdf": bytes} for every sheet (not glossary or booklet) under out."""
    sizes = {}
    for lang in sorted(os.listdir(out)):
        folder = os.path.join(out, lang)
        if not os.path.isdir(folder):
            continue
        for f in sorted(os.listdir(folder)):
            if f.endswith(".pdf") and f[:-4] in drugs:
                sizes[lang + "/" + f] = os.path.getsize(os.path.join(folder, f))
    return sizes


def output_bytes(out):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs)


def stages(stderr, sheets):
    """pdfgen's own per-document milliseconds, by kind of document."""
    ms = {"sheet": [], "glossary": [], "all": []}
    for path, _, _, t in WROTE.findall(stderr):
        stem = os.path.basename(path)[:-4]
        ms[stem if stem in EXTRAS else "sheet"].append(float(t))
    if len(ms["sheet"]) != sheets:
        return None  # the progress lines changed; say nothing rather than something wrong
    return {"sheets_ms": sum(ms["sheet"]), "sheet_median_ms": statistics.median(ms["sheet"]),
            "sheet_max_ms": max(ms["sheet"]),
            "glossaries_ms": sum(ms["glossary"]), "glossaries": len(ms["glossary"]),
            "booklets_ms": sum(ms["all"]), "booklets": len(ms["all"])}


def med(runs, key):
    return statistics.median(r[key] for r in runs)


def r1(x):
    return round(x, 1)


def r2(x):
    return round(x, 2)


def summary(runs, sheets):
    """Medians over runs of one workload of `sheets` sheets."""
    wall, cpu = med(runs, "wall"), med(runs, "cpu")
    return {"runs": len(runs), "sheets": sheets,
            "wall_s": round(wall, 3), "wall_min_s": round(min(r["wall"] for r in runs), 3),
            "cpu_s": round(cpu, 3), "cpu_per_wall": r2(cpu / wall),
            "sheets_per_s": r1(sheets / wall),
            "wall_ms_per_sheet": r2(wall * 1e3 / sheets), "cpu_ms_per_sheet": r2(cpu * 1e3 / sheets),
            "peak_rss_mb": r1(max(r["rss_kb"] for r in runs) / 1024)}


def size_stats(sizes):
    if not sizes:
        raise SystemExit("bench: the build wrote no sheets where expected (out/<lang>/<drug>.pdf)")
    values = sorted(sizes.values())
    largest = max(sizes, key=lambda k: (sizes[k], k))
    return {"median_bytes": int(statistics.median(values)), "largest_bytes": sizes[largest],
            "largest": largest, "total_bytes": sum(values)}


def kb(b):
    return "%.1f" % (b / 1024)


# ---- 1. whole build -----------------------------------------------------------

def bench_whole(args, tmp, sheets, drugs):
    result = {}
    # pdfgen's default -j (a worker per core), and -j 1 to compare with
    for name, paper, jobs in (("letter", "letter", []), ("a4", "a4", []),
                              ("letter-j1", "letter", ["-j", "1"])):
        runs, sizes = [], None
        for i in range(args.runs):
            log("whole build, %s, run %d/%d" % (name, i + 1, args.runs))
            out = os.path.join(tmp, "whole")
            r = run([args.pdfgen, "build", "--paper", paper, "--content", args.content,
                     "--out", out] + jobs, tmp)
            check_rc(r, "the whole build (%s)" % paper)
            runs.append(r)
            if sizes is None:
                sizes = sheet_sizes(out, drugs)
                total = output_bytes(out)
            shutil.rmtree(out)
        entry = summary(runs, sheets)
        entry["sheet_bytes"] = size_stats(sizes)
        entry["output_bytes"] = total
        # pdfgen's own ms per document, from the run of median wall time
        s = stages(sorted(runs, key=lambda x: x["wall"])[len(runs) // 2]["stderr"], sheets)
        if s:
            entry["pdfgen_reported"] = {k: (r1(v) if isinstance(v, float) else v)
                                        for k, v in s.items()}
        entry["jobs"] = " ".join(jobs) or "-j %d, one per core" % os.cpu_count()
        result[name] = entry
    return result


def print_whole(whole, sheets):
    print("\n== Whole default build (letter, a4: pdfgen's default, %s; letter-j1: -j 1): "
          "every language and drug, glossaries, booklets, catalog (%d runs; medians)"
          % (whole["letter"].get("jobs", "?"), whole["letter"]["runs"]))
    print("%-9s %7s %7s %8s %8s %9s %9s %9s %9s %9s %8s" % (
        "paper", "wall s", "CPU s", "CPU/wall", "sheets/s", "wall ms", "CPU ms",
        "median KB", "largest KB", "RSS MB", "out KB"))
    print("%-9s %7s %7s %8s %8s %9s %9s %9s %9s %9s %8s" % (
        "", "", "", "", "", "/sheet", "/sheet", "/sheet", "/sheet", "peak", "total"))
    for paper, e in whole.items():
        print("%-9s %7.2f %7.2f %8.2f %8.1f %9.1f %9.1f %9s %9s %9.1f %8s" % (
            paper, e["wall_s"], e["cpu_s"], e["cpu_per_wall"], e["sheets_per_s"],
            e["wall_ms_per_sheet"], e["cpu_ms_per_sheet"], kb(e["sheet_bytes"]["median_bytes"]),
            kb(e["sheet_bytes"]["largest_bytes"]), e["peak_rss_mb"], kb(e["output_bytes"])))
    for paper, e in whole.items():
        print("  %s: largest sheet %s; fastest run %.2f s wall"
              % (paper, e["sheet_bytes"]["largest"], e["wall_min_s"]))
    # in one process (-j 1), where the documents' times add up to the wall time
    serial = whole.get("letter-j1", whole["letter"])
    p = serial.get("pdfgen_reported")
    if p:
        total_ms = serial["wall_s"] * 1e3
        rest = total_ms - p["sheets_ms"] - p["glossaries_ms"] - p["booklets_ms"]
        print("  where the wall time goes (letter -j 1, pdfgen's own ms per document): "
              "%d sheets %.0f ms (%.0f%%; median %.1f, max %.1f ms a sheet), "
              "%d glossaries %.0f ms (%.0f%%), %d booklets %.0f ms (%.0f%%), "
              "rest (start-up, content, catalog) %.0f ms (%.0f%%)"
              % (sheets, p["sheets_ms"], 100 * p["sheets_ms"] / total_ms, p["sheet_median_ms"],
                 p["sheet_max_ms"], p["glossaries"], p["glossaries_ms"],
                 100 * p["glossaries_ms"] / total_ms, p["booklets"], p["booklets_ms"],
                 100 * p["booklets_ms"] / total_ms, rest, 100 * rest / total_ms))


# ---- 2. per language ----------------------------------------------------------

def bench_languages(args, tmp, langs, drugs):
    result, all_runs, all_sizes = {}, [], {}
    filters = [a for d in drugs for a in ("--drug", d)]
    for lang in langs:
        log("language %s, %d runs" % (lang, args.runs))
        runs, sizes = [], None
        for _ in range(args.runs):
            out = os.path.join(tmp, "lang")
            r = run([args.pdfgen, "build", "--lang", lang] + filters +
                    ["--content", args.content, "--out", out], tmp)
            check_rc(r, "the build of %s" % lang)
            runs.append(r)
            if sizes is None:
                sizes = sheet_sizes(out, drugs)
            shutil.rmtree(out)
        entry = summary(runs, len(sizes))
        entry["sheet_bytes"] = size_stats(sizes)
        reported = [float(t) for r in runs for _, _, _, t in WROTE.findall(r["stderr"])]
        if len(reported) == len(sizes) * len(runs):
            entry["pdfgen_sheet_median_ms"] = r1(statistics.median(reported))
            entry["pdfgen_sheet_max_ms"] = r1(max(reported))
        result[lang] = entry
        all_runs.append(entry)
        all_sizes.update(sizes)
    n = sum(e["sheets"] for e in all_runs)
    wall = sum(e["wall_s"] for e in all_runs)
    cpu = sum(e["cpu_s"] for e in all_runs)
    total = {"runs": args.runs, "sheets": n, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
             "cpu_per_wall": r2(cpu / wall), "sheets_per_s": r1(n / wall),
             "wall_ms_per_sheet": r2(wall * 1e3 / n), "cpu_ms_per_sheet": r2(cpu * 1e3 / n),
             "peak_rss_mb": max(e["peak_rss_mb"] for e in all_runs),
             "sheet_bytes": size_stats(all_sizes)}
    reported = [e["pdfgen_sheet_median_ms"] for e in all_runs if "pdfgen_sheet_median_ms" in e]
    if len(reported) == len(all_runs):
        total["pdfgen_sheet_median_ms"] = r1(statistics.median(reported))
    return {"command": "build --lang L " + " ".join(filters), "languages": result,
            "total": total}


def print_languages(per):
    langs, total = per["languages"], per["total"]
    print("\n== Per language, one process each, sheets only (`%s`; %d runs; medians;\n"
          "   wall and CPU ms per sheet include the process's start-up, \"sheet ms\" is pdfgen's own "
          "figure for the sheet alone; total: medians summed, bytes of all sheets)"
          % (per["command"], total["runs"]))
    print("%-8s %6s %8s %9s %9s %8s %9s %9s %9s %8s  %s" % (
        "lang", "sheets", "sheets/s", "wall ms", "CPU ms", "CPU/wall", "sheet ms", "median KB",
        "largest KB", "RSS MB", "largest sheet"))
    print("%-8s %6s %8s %9s %9s %8s %9s %9s %9s %8s" % (
        "", "", "", "/sheet", "/sheet", "", "(pdfgen)", "/sheet", "/sheet", "peak"))
    for lang, e in list(langs.items()) + [("total", total)]:
        b = e["sheet_bytes"]
        own = e.get("pdfgen_sheet_median_ms")
        print("%-8s %6d %8.1f %9.1f %9.1f %8.2f %9s %9s %9s %8.1f  %s" % (
            lang, e["sheets"], e["sheets_per_s"], e["wall_ms_per_sheet"], e["cpu_ms_per_sheet"],
            e["cpu_per_wall"], "-" if own is None else "%.1f" % own, kb(b["median_bytes"]),
            kb(b["largest_bytes"]), e["peak_rss_mb"], b["largest"]))


# ---- 3. single sheet ----------------------------------------------------------

def bench_single(args, tmp):
    runs = []
    n = max(7, args.runs)
    log("single sheet, %d runs" % n)
    for _ in range(n):
        out = os.path.join(tmp, "single")
        r = run([args.pdfgen, "build", "--quiet", "--lang", "en", "--drug", "sunitinib",
                 "--content", args.content, "--out", out], tmp)
        check_rc(r, "the single-sheet build")
        runs.append(r)
        shutil.rmtree(out)
    return {"command": "build --quiet --lang en --drug sunitinib", "runs": n,
            "wall_ms": r1(med(runs, "wall") * 1e3),
            "wall_min_ms": r1(min(r["wall"] for r in runs) * 1e3),
            "cpu_ms": r1(med(runs, "cpu") * 1e3),
            "peak_rss_mb": r1(max(r["rss_kb"] for r in runs) / 1024)}


def print_single(s):
    print("\n== Single sheet (`%s`, %d runs): median %.1f ms wall (fastest %.1f ms), "
          "%.1f ms CPU, peak RSS %.1f MB"
          % (s["command"], s["runs"], s["wall_ms"], s["wall_min_ms"], s["cpu_ms"],
             s["peak_rss_mb"]))


# ---- 4. synthetic workload ----------------------------------------------------

def measure_synthetic(args, tmp, content, n, langs, ids, filters):
    """One build of the first n drugs of a synthetic folder: the whole build
    without filters, else sheets only (--drug for each of them)."""
    sheets = n * len(langs)
    out = os.path.join(tmp, "synthetic-out")
    cmd = [args.pdfgen, "build", "--content", content, "--out", out]
    if filters:
        cmd += [a for d in ids[:n] for a in ("--drug", d)]
    r = run(cmd, tmp)
    entry = {"drugs_per_language": n, "sheets": sheets}
    if r["rc"] != 0:
        entry.update({"failed": True, "rc": r["rc"],
                      "stderr_tail": r["stderr"].strip().splitlines()[-10:],
                      "wall_s": round(r["wall"], 3), "peak_rss_mb": r1(r["rss_kb"] / 1024)})
        log("synthetic %d drugs FAILED (exit %d)" % (n, r["rc"]))
        shutil.rmtree(out, ignore_errors=True)
        return entry
    entry.update(summary([r], sheets))
    del entry["runs"], entry["wall_min_s"]
    entry["sheet_bytes"] = size_stats(sheet_sizes(out, set(ids[:n])))
    entry["output_bytes"] = output_bytes(out)
    s = stages(r["stderr"], sheets)
    if s:
        entry["pdfgen_reported"] = {k: (r1(v) if isinstance(v, float) else v)
                                    for k, v in s.items()}
    shutil.rmtree(out)
    return entry


def add_marginals(series):
    """What each size costs beyond the one before, per added sheet: constant
    when time is linear in sheets, about 0 KB when memory is flat."""
    ok = [e for e in series if not e.get("failed")]
    for a, b in zip(ok, ok[1:]):
        added = b["sheets"] - a["sheets"]
        b["marginal_cpu_ms_per_sheet"] = r2((b["cpu_s"] - a["cpu_s"]) * 1e3 / added)
        b["marginal_wall_ms_per_sheet"] = r2((b["wall_s"] - a["wall_s"]) * 1e3 / added)
        b["marginal_rss_kb_per_sheet"] = r1((b["peak_rss_mb"] - a["peak_rss_mb"]) * 1024 / added)


def ratios(series):
    add_marginals(series)
    ok = [e for e in series if not e.get("failed")]
    if len(ok) < 2:
        return None
    a, b = ok[0], ok[-1]
    q = {"from_drugs": a["drugs_per_language"], "to_drugs": b["drugs_per_language"],
         "sheets": r2(b["sheets"] / a["sheets"]),
         "cpu_ms_per_sheet": r2(b["cpu_ms_per_sheet"] / a["cpu_ms_per_sheet"]),
         "wall_ms_per_sheet": r2(b["wall_ms_per_sheet"] / a["wall_ms_per_sheet"]),
         "peak_rss": r2(b["peak_rss_mb"] / a["peak_rss_mb"])}
    if len(ok) >= 3:
        q["marginal_cpu_ms_per_sheet_last_over_first"] = r2(
            ok[-1]["marginal_cpu_ms_per_sheet"] / ok[1]["marginal_cpu_ms_per_sheet"])
    pa, pb = a.get("pdfgen_reported"), b.get("pdfgen_reported")
    if pa and pb:
        q["sheet_median_ms"] = r2(pb["sheet_median_ms"] / pa["sheet_median_ms"])
        if pa["booklets_ms"] and pb["booklets_ms"]:
            q["booklet_ms_per_sheet"] = r2((pb["booklets_ms"] / b["sheets"]) /
                                           (pa["booklets_ms"] / a["sheets"]))
    return q


def content_rss_mb(args, tmp, content):
    """The peak RSS of `pdfgen list`, which loads the content and lays
    nothing out: what the content itself costs a build's processes.
    Through /usr/bin/time (Debian's time): a child forked from this Python
    starts with Python's pages, and ru_maxrss would count them."""
    r = run(["/usr/bin/time", "-f", "maxrss %M", args.pdfgen, "list", "--content", content], tmp)
    check_rc(r, "pdfgen list --content %s" % content)
    m = re.search(r"^maxrss (\d+)$", r["stderr"], re.M)
    if not m:
        raise SystemExit("bench: /usr/bin/time gave no maxrss:\n" + r["stderr"][-500:])
    return r1(int(m.group(1)) / 1024)


def flat_memory(whole, syn, real_content_bytes, real_content_rss):
    """Issue 10's goal: the peak RSS of the largest synthetic whole build
    within 20% of the real (42-sheet) whole build's, beyond what its larger
    content itself takes (the loaded content's RSS, by `pdfgen list`)."""
    ok = [e for e in syn["whole"]["sizes"] if not e.get("failed") and "content_rss_mb" in e]
    if not ok:
        return None
    big, small = ok[-1], whole["letter"]
    content_mb = big["content_rss_mb"] - real_content_rss
    beyond = big["peak_rss_mb"] - content_mb
    ratio = beyond / small["peak_rss_mb"]
    return {"goal_ratio": 1.2, "sheets": big["sheets"], "peak_rss_mb": big["peak_rss_mb"],
            "real_sheets": small["sheets"], "real_peak_rss_mb": small["peak_rss_mb"],
            "content_bytes": big["content_bytes"], "real_content_bytes": real_content_bytes,
            "content_rss_mb": big["content_rss_mb"], "real_content_rss_mb": real_content_rss,
            "ratio": r2(big["peak_rss_mb"] / small["peak_rss_mb"]),
            "ratio_beyond_content": r2(ratio), "met": ratio <= 1.2}


def print_flat_memory(f):
    if not f:
        print("\n== Flat memory (issue 10): no synthetic whole build measured")
        return
    print("\n== Flat memory (issue 10: %d sheets within x%.1f of %d, beyond the content itself): %s"
          % (f["sheets"], f["goal_ratio"], f["real_sheets"], "MET" if f["met"] else "NOT MET"))
    print("  peak RSS: %.1f MB at %d sheets (synthetic whole build), %.1f MB at %d sheets "
          "(real whole build, letter): x%.2f"
          % (f["peak_rss_mb"], f["sheets"], f["real_peak_rss_mb"], f["real_sheets"], f["ratio"]))
    print("  the content itself: %s KB of YAML (real: %s KB), loaded %.1f MB (real: %.1f MB; "
          "peak RSS of `pdfgen list`)"
          % (kb(f["content_bytes"]), kb(f["real_content_bytes"]), f["content_rss_mb"],
             f["real_content_rss_mb"]))
    print("  beyond the content: (%.1f - %.1f) / %.1f = x%.2f against the goal x%.2f%s"
          % (f["peak_rss_mb"], f["content_rss_mb"] - f["real_content_rss_mb"],
             f["real_peak_rss_mb"], f["ratio_beyond_content"], f["goal_ratio"],
             "" if f["sheets"] >= 3000 else
             " (measured at %d sheets, not 3,000: run with --budget 0 --sizes ...,1000)"
             % f["sheets"]))


def over_budget(previous, sheets, deadline):
    """Why a size should be skipped, or None: its time predicted linearly
    from the size before (with a margin) against what is left."""
    if not previous or previous.get("failed"):
        return None
    predicted = previous["wall_s"] / previous["sheets"] * sheets * 1.15 + 2
    left = deadline - time.monotonic()
    if predicted <= left:
        return None
    return ("predicted %.0f s (linear from the size before), %.0f s left of --budget; "
            "run with --budget 0 to measure it" % (predicted, max(left, 0)))


def run_synthetic(args, tmp, deadline):
    langs = args.synthetic_langs.split(",")
    whole_sizes = sorted({int(s) for s in args.sizes.split(",")})
    sheet_sizes_ = sorted({int(s) for s in args.sheets_only_sizes.split(",")})
    result = {"langs": langs, "generator": "tests/bench_synthetic.py"}

    # Sheets only: pdfgen has no switch to leave the booklet out of a whole
    # language, but --drug (any number of them) does; one folder for all sizes,
    # so the content loaded is the same and only the sheets built vary.
    n_max = max(sheet_sizes_)
    content = os.path.join(tmp, "synthetic-sheets")
    log("synthetic workload, sheets only: %s drugs x %s" % (args.sheets_only_sizes, ",".join(langs)))
    ids = bench_synthetic.generate(args.content, content, n_max, langs)
    series, skipped, previous = [], [], None
    for n in sheet_sizes_:
        why = over_budget(previous, n * len(langs), deadline)
        if why:
            skipped.append({"drugs_per_language": n, "sheets": n * len(langs), "reason": why})
            continue
        previous = measure_synthetic(args, tmp, content, n, langs, ids, True)
        series.append(previous)
        if previous.get("failed"):
            break
    shutil.rmtree(content)
    result["sheets_only"] = {"command": "build --content SYNTHETIC(%d drugs) --drug D1 ... --drug Dn"
                                        % n_max,
                             "sizes": series, "skipped": skipped, "ratios": ratios(series)}

    # The whole build (sheets, a glossary and a booklet of every sheet per
    # language, the catalog page), one generated folder per size.
    series, skipped, previous = [], [], None
    check = None
    for n in whole_sizes:
        why = over_budget(previous, n * len(langs), deadline)
        if why:
            log("synthetic %d drugs skipped: %s" % (n, why))
            skipped.append({"drugs_per_language": n, "sheets": n * len(langs), "reason": why})
            continue
        content = os.path.join(tmp, "synthetic-%d" % n)
        log("synthetic workload, whole build: %d drugs x %s" % (n, ",".join(langs)))
        ids = bench_synthetic.generate(args.content, content, n, langs)
        if check is None:
            # `check` lays every document out, booklets too: once, on the smallest
            r = run([args.pdfgen, "check", "--content", content], tmp)
            check_rc(r, "pdfgen check of the synthetic content (%d drugs)" % n)
            check = {"drugs_per_language": n, "ok": True, "wall_s": round(r["wall"], 3)}
        previous = measure_synthetic(args, tmp, content, n, langs, ids, False)
        previous["content_bytes"] = output_bytes(content)
        previous["content_rss_mb"] = content_rss_mb(args, tmp, content)
        series.append(previous)
        shutil.rmtree(content)
        if previous.get("failed"):
            break
    result["whole"] = {"command": "build --content SYNTHETIC --out DIR", "check": check,
                       "sizes": series, "skipped": skipped, "ratios": ratios(series)}
    return result


def print_series(title, part, whole_rss):
    print("\n%s\n  `%s`" % (title, part["command"]))
    print("%6s %6s %7s %7s %8s %8s %9s %8s %8s %9s %8s %9s" % (
        "drugs", "sheets", "wall s", "CPU s", "wall ms", "CPU ms", "+CPU ms", "sheet ms",
        "booklet", "median KB", "RSS MB", "+RSS KB"))
    print("%6s %6s %7s %7s %8s %8s %9s %8s %8s %9s %8s %9s" % (
        "/lang", "", "", "", "/sheet", "/sheet", "/+sheet", "(pdfgen)", "ms/sheet", "/sheet",
        "peak", "/+sheet"))
    for e in part["sizes"]:
        if e.get("failed"):
            print("%6d %6d FAILED: exit %d after %.1f s, peak RSS %.1f MB: %s" % (
                e["drugs_per_language"], e["sheets"], e["rc"], e["wall_s"], e["peak_rss_mb"],
                " / ".join(e["stderr_tail"][-3:])))
            continue
        p = e.get("pdfgen_reported")
        print("%6d %6d %7.2f %7.2f %8.1f %8.1f %9s %8s %8s %9s %8.1f %9s" % (
            e["drugs_per_language"], e["sheets"], e["wall_s"], e["cpu_s"], e["wall_ms_per_sheet"],
            e["cpu_ms_per_sheet"],
            "%.1f" % e["marginal_cpu_ms_per_sheet"] if "marginal_cpu_ms_per_sheet" in e else "-",
            "%.1f" % p["sheet_median_ms"] if p else "-",
            "%.1f" % (p["booklets_ms"] / e["sheets"]) if p and p["booklets"] else "-",
            kb(e["sheet_bytes"]["median_bytes"]), e["peak_rss_mb"],
            "%.1f" % e["marginal_rss_kb_per_sheet"] if "marginal_rss_kb_per_sheet" in e else "-"))
    for s in part["skipped"]:
        print("%6d %6d skipped: %s" % (s["drugs_per_language"], s["sheets"], s["reason"]))
    q = part.get("ratios")
    if q:
        line = ("  %d -> %d drugs (x%.1f sheets): CPU ms/sheet x%.2f, wall ms/sheet x%.2f"
                % (q["from_drugs"], q["to_drugs"], q["sheets"], q["cpu_ms_per_sheet"],
                   q["wall_ms_per_sheet"]))
        if "sheet_median_ms" in q:
            line += ", pdfgen's median sheet ms x%.2f" % q["sheet_median_ms"]
        if "booklet_ms_per_sheet" in q:
            line += ", booklet ms/sheet x%.2f" % q["booklet_ms_per_sheet"]
        if "marginal_cpu_ms_per_sheet_last_over_first" in q:
            line += (", CPU ms per added sheet, last step / first x%.2f"
                     % q["marginal_cpu_ms_per_sheet_last_over_first"])
        print(line + ";\n  peak RSS x%.2f  (linear time: +CPU ms per added sheet constant; "
              "flat memory: RSS x1.00, +RSS KB about 0)" % q["peak_rss"])
    ok = [e for e in part["sizes"] if not e.get("failed")]
    if ok and whole_rss:
        print("  peak RSS at %d sheets / the real whole build's at %d sheets (letter): x%.2f%s"
              % (ok[-1]["sheets"], whole_rss[0], ok[-1]["peak_rss_mb"] / whole_rss[1],
                 " (its content: %s KB of YAML)" % kb(ok[-1]["content_bytes"])
                 if "content_bytes" in ok[-1] else ""))


def print_synthetic(syn, whole_rss):
    print("\n== Synthetic workload (%s: N drugs x %s made from the real ones; one run per size)"
          % (syn["generator"], ",".join(syn["langs"])))
    c = syn["whole"].get("check")
    if c:
        print("  the generated content passes `pdfgen check` (%d drugs: %.2f s wall)"
              % (c["drugs_per_language"], c["wall_s"]))
    print_series("-- sheets only, in one process (a --drug filter for each drug)",
                 syn["sheets_only"], whole_rss)
    print_series("-- whole build, in one process (sheets + per language a glossary and a booklet "
                 "of every sheet + catalog)", syn["whole"], whole_rss)


# ---- 5. callgrind -------------------------------------------------------------

def bench_callgrind(args, tmp, help_text):
    if not shutil.which("valgrind") or not shutil.which("callgrind_annotate"):
        return {"error": "valgrind or callgrind_annotate not found"}
    log("callgrind: the whole build under valgrind (takes minutes)")
    cg = os.path.join(tmp, "callgrind.out")
    jobs = ["-j", "1"] if re.search(r"(^|\s)-j\b", help_text) else []  # one process to count
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + cg, args.pdfgen, "build",
           "--quiet"] + jobs + ["--content", args.content, "--out", os.path.join(tmp, "cg")]
    r = run(cmd, tmp)
    check_rc(r, "the build under callgrind")
    shutil.rmtree(os.path.join(tmp, "cg"), ignore_errors=True)
    line = re.compile(r"^\s*([\d,]+)\s+(?:\(\s*([\d.]+)%\)\s+)?(\S.*?)\s*$")

    def annotate(extra):
        """PROGRAM TOTALS and the (Ir, "file:function [object]") rows."""
        text = subprocess.run(["callgrind_annotate", "--auto=no"] + extra + [cg],
                              capture_output=True, text=True, check=True).stdout
        rows, total, in_table = [], None, False
        for ln in text.splitlines():
            if ln.startswith("Ir") and "file:function" in ln:
                in_table = True
                continue
            m = line.match(ln)
            if not m:
                continue
            ir, what = int(m.group(1).replace(",", "")), m.group(3)
            if what.startswith("PROGRAM TOTALS"):
                total = ir
            elif in_table and what.endswith("]"):
                # run from the work tree, callgrind_annotate also lists each of
                # pdfgen's functions once more under its full path and no object
                rows.append((ir, what))
        return total, rows

    def short(what):
        """file:function [library], without the long paths."""
        m = re.match(r"(.*?)\s*\[(.*)\]$", what)
        fn, lib = (m.group(1), os.path.basename(m.group(2))) if m else (what, "?")
        fn = fn.replace(ROOT + "/", "").replace("./", "")
        return fn, lib

    # the process's spine (ld.so's entry, (below main), __libc_start_main,
    # main) is nearly 100% of any program and says nothing
    spine = re.compile(r"\(below main\)|__libc_start_|:main$|^\?\?\?:0x[0-9a-f]+$")
    total, inclusive = annotate(["--inclusive=yes"])
    _, exclusive = annotate(["--inclusive=no", "--threshold=100"])
    libs = {}
    for ir, what in exclusive:
        lib = short(what)[1]
        libs[lib] = libs.get(lib, 0) + ir
    top_libs = sorted(libs.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    top_fns = []
    for ir, what in sorted(inclusive, key=lambda x: -x[0]):
        fn, lib = short(what)
        if spine.search(fn) or len(top_fns) == 10:
            continue
        top_fns.append({"ir": ir, "percent": r1(100 * ir / total), "function": fn,
                        "library": lib})
    return {"total_ir": total, "wall_s": r1(r["wall"]),
            "top_inclusive": top_fns,
            "top_libraries_self": [{"ir": ir, "percent": r1(100 * ir / total), "library": lib}
                                   for lib, ir in top_libs]}


def print_callgrind(cg):
    if "error" in cg:
        print("\n== callgrind: %s" % cg["error"])
        return
    print("\n== callgrind, whole default build (letter): %s Ir in total" % format(cg["total_ir"], ","))
    print("  top 10 functions by inclusive Ir (below main()):")
    for row in cg["top_inclusive"]:
        print("  %16s %5.1f%%  %s [%s]" % (format(row["ir"], ","), row["percent"], row["function"],
                                           row["library"]))
    print("  top 10 libraries by their own (exclusive) Ir:")
    for row in cg["top_libraries_self"]:
        print("  %16s %5.1f%%  %s" % (format(row["ir"], ","), row["percent"], row["library"]))


# ---- main ---------------------------------------------------------------------

def git_commit():
    r = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                       text=True)
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return (r.stdout.strip() + ("+changes" if dirty else "")) if r.returncode == 0 else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pdfgen", required=True)
    parser.add_argument("--content", default=os.path.join(ROOT, "content"))
    parser.add_argument("--runs", type=int, default=3,
                        help="runs of each real-content workload; medians are reported (default 3)")
    parser.add_argument("--sizes", default="10,100,300,1000",
                        help="drugs per language of the synthetic whole builds "
                             "(default 10,100,300,1000)")
    parser.add_argument("--sheets-only-sizes", default="4,64",
                        help="drugs per language of the synthetic sheets-only builds "
                             "(default 4,64)")
    parser.add_argument("--synthetic-langs", default="en,es,ja")
    parser.add_argument("--no-synthetic", action="store_true", help="skip the synthetic workload")
    parser.add_argument("--budget", type=float, default=170,
                        help="seconds for the whole bench; synthetic sizes predicted to overrun "
                             "it are skipped (default 170; 0: no limit)")
    parser.add_argument("--callgrind", action="store_true",
                        help="also profile the whole build with valgrind --tool=callgrind "
                             "(minutes; not counted in --budget)")
    parser.add_argument("--json", default=os.path.join(ROOT, "out", "bench.json"))
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # tables and stderr progress in order
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    args.pdfgen = os.path.abspath(args.pdfgen)
    started = time.monotonic()
    deadline = started + args.budget if args.budget > 0 else float("inf")

    listing = subprocess.run([args.pdfgen, "list", "--content", args.content],
                             capture_output=True, text=True, check=True).stdout
    langs = re.search(r"^languages:(.*)$", listing, re.M).group(1).split()
    drugs = re.search(r"^drugs:(.*)$", listing, re.M).group(1).split()
    sheets = len(langs) * len(drugs)
    help_text = subprocess.run([args.pdfgen, "--help"], capture_output=True, text=True).stdout
    version = subprocess.run([args.pdfgen, "--version"], capture_output=True,
                             text=True).stdout.strip()
    report = {"bench": {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "pdfgen": version, "commit": git_commit(), "cores": os.cpu_count(),
        "load_average_start": r2(os.getloadavg()[0]), "runs": args.runs},
        "content": {"languages": langs, "drugs": drugs, "sheets": sheets}}
    print("pdfgen bench %s: %s (%s), %d cores, load average %.2f at the start"
          % (report["bench"]["date"], version, report["bench"]["commit"], os.cpu_count(),
             os.getloadavg()[0]))
    print("content: %d languages x %d drugs = %d sheets (%s)"
          % (len(langs), len(drugs), sheets, " ".join(langs)))
    sys.stdout.flush()

    tmp = tempfile.mkdtemp(prefix="pdfgen-bench-")
    try:
        report["whole_build"] = bench_whole(args, tmp, sheets, set(drugs))
        print_whole(report["whole_build"], sheets)
        report["per_language"] = bench_languages(args, tmp, langs, drugs)
        print_languages(report["per_language"])
        report["single_sheet"] = bench_single(args, tmp)
        print_single(report["single_sheet"])
        sys.stdout.flush()
        if not args.no_synthetic:
            report["synthetic"] = run_synthetic(args, tmp, deadline)
            print_synthetic(report["synthetic"], (sheets, report["whole_build"]["letter"]["peak_rss_mb"]))
            report["flat_memory"] = flat_memory(report["whole_build"], report["synthetic"],
                                                output_bytes(args.content),
                                                content_rss_mb(args, tmp, args.content))
            print_flat_memory(report["flat_memory"])
        if args.callgrind:
            report["callgrind"] = bench_callgrind(args, tmp, help_text)
            print_callgrind(report["callgrind"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report["bench"]["load_average_end"] = r2(os.getloadavg()[0])
    report["bench"]["duration_s"] = r1(time.monotonic() - started)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json + ".tmp", "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    os.replace(args.json + ".tmp", args.json)
    shown = os.path.relpath(args.json)
    print("\nbench took %.0f s (load average %.2f at the end); machine-readable: %s"
          % (report["bench"]["duration_s"], report["bench"]["load_average_end"],
             args.json if shown.startswith("..") else shown))


if __name__ == "__main__":
    main()
