#!/usr/bin/python3
"""Fault tests: builds killed with SIGKILL at random points, a build stopped
by its file size limit (SIGXFSZ), and runs short of memory.

- SIGKILL (~20 kills, at random moments, into one output folder): after
  each kill every PDF in out/ passes `qpdf --check` (a sheet is either the
  old one or the new one, never half), and the next complete build leaves
  no temporary file, removing those the killed builds left, but not files
  of other names.
- SIGINT (as many, at random moments) into `pdfgen stamp` and into
  builds: no temporary file outlives the run (the stamped file's, the
  manifest's, a sheet's), and each file is whole, before or after.
- SIGXFSZ (ulimit -f): the build dies of the signal and leaves no
  temporary file, and the sheets already there are unchanged.
- ulimit -v (54 to 300 MB): a run either succeeds or says "out of memory", never "no
  installed font has".

Usage: tests/fault.py --pdfgen build/pdfgen [--kills N] [--seed S]"""
import argparse
import filecmp
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTENT = os.path.join(ROOT, "content")
TEMP = re.compile(r"^\..+\.pdf\.[A-Za-z0-9]{6}$")


def files_in(out):
    for dirpath, _, names in os.walk(out):
        for n in names:
            yield os.path.join(dirpath, n)


def temporaries(out):
    return [p for p in files_in(out) if TEMP.match(os.path.basename(p))]


def check_pdfs(out, problems, when):
    for p in files_in(out):
        if p.endswith(".pdf"):
            r = subprocess.run(["qpdf", "--check", p], capture_output=True, text=True)
            if r.returncode != 0:
                problems.append("%s: %s fails qpdf --check: %s" % (when, p, r.stdout[-500:]))


def sigkill(pdfgen, tmp, kills, rng, problems):
    out = os.path.join(tmp, "killed")
    cmd = [pdfgen, "build", "--quiet", "--content", CONTENT, "--out", out]
    # how long a whole build takes here, to spread the kills over it
    start = time.monotonic()
    subprocess.run(cmd, check=True)
    full = time.monotonic() - start
    killed = 0
    for i in range(kills):
        # --force: a build with nothing to do would write nothing to kill
        p = subprocess.Popen(cmd + ["--force"], stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, full * 1.1))
        p.send_signal(signal.SIGKILL)
        p.wait()
        killed += p.returncode == -signal.SIGKILL
        check_pdfs(out, problems, "kill %d" % (i + 1))
    left = len(temporaries(out))
    # files that only look like ours must survive the clean-up
    keep = [os.path.join(out, "en", n) for n in (".notes.pdf.txt", "x.pdf.ABC123", ".a.pdf.AB")]
    for k in keep:
        open(k, "w").close()
    stale = os.path.join(out, "en", ".sunitinib.pdf.Zz09Qx")
    open(stale, "w").close()
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        problems.append("build after the kills failed: " + r.stderr)
    if temporaries(out):
        problems.append("temporary files left after a complete build: %s" % temporaries(out))
    for k in keep:
        if not os.path.exists(k):
            problems.append("removed a file that is not ours: " + k)
    check_pdfs(out, problems, "after the kills")
    print("fault: %d builds killed with SIGKILL; they left %d temporary files, "
          "which the next build removed" % (killed, left))


def sigint(pdfgen, tmp, count, rng, problems):
    """Ctrl-C at random moments into `stamp` and into builds: no temporary
    file of either (a stamped file's ".stamp.XXXXXX", the manifest's
    ".XXXXXX", a sheet's) outlives the run, and every file is whole."""
    content = os.path.join(tmp, "sigint-content")
    shutil.copytree(CONTENT, content)
    target = os.path.join(content, "es", "sunitinib.yaml")
    with open(target, encoding="utf-8") as f:
        original = f.read()
    # a stamp that has a digest line to write back each time
    without = re.sub(r"(?m)^  how_it_works: [0-9a-f]{16}\n", "", original)
    assert without != original
    stamp = [pdfgen, "stamp", "--lang", "es", "--drug", "sunitinib", "--content", content]
    start = time.monotonic()
    for _ in range(3):
        with open(target, "w", encoding="utf-8") as f:
            f.write(without)
        subprocess.run(stamp, check=True, capture_output=True)
    took = (time.monotonic() - start) / 3
    with open(target, encoding="utf-8") as f:
        stamped = f.read()
    for i in range(count):
        with open(target, "w", encoding="utf-8") as f:
            f.write(without)
        p = subprocess.Popen(stamp, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, took * 1.2))
        p.send_signal(signal.SIGINT)
        p.wait()
        left = [n for n in os.listdir(os.path.dirname(target)) if ".stamp." in n]
        if left:
            problems.append("stamp interrupted (%d): temporary files left: %s" % (i + 1, left))
        with open(target, encoding="utf-8") as f:
            now = f.read()
        if now not in (stamped, without):
            problems.append("stamp interrupted (%d): the file is neither before nor after" % (i + 1))
    out = os.path.join(tmp, "sigint-out")
    cmd = [pdfgen, "build", "--quiet", "--force", "--lang", "en", "--content", CONTENT,
           "--out", out]
    start = time.monotonic()
    subprocess.run(cmd, check=True)
    took = time.monotonic() - start
    manifest_temp = re.compile(r"^(manifest\.json|index\.html)\.[A-Za-z0-9]{6}$")
    for i in range(count):
        p = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(took * 0.5, took * 1.1))
        p.send_signal(signal.SIGINT)
        p.wait()
        left = temporaries(out) + [f for f in files_in(out)
                                   if manifest_temp.match(os.path.basename(f))]
        if left:
            problems.append("build interrupted (%d): temporary files left: %s" % (i + 1, left))
        check_pdfs(out, problems, "SIGINT %d" % (i + 1))


def sigxfsz(pdfgen, tmp, problems):
    out = os.path.join(tmp, "xfsz")
    cmd = [pdfgen, "build", "--quiet", "--content", CONTENT, "--out", out, "--lang", "en"]
    subprocess.run(cmd, check=True)
    before = os.path.join(tmp, "xfsz-before")
    shutil.copytree(out, before)

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))
    r = subprocess.run(cmd + ["--force"], capture_output=True, preexec_fn=limit)
    if r.returncode != -signal.SIGXFSZ:
        problems.append("SIGXFSZ: exit %d, want death by SIGXFSZ" % r.returncode)
    if temporaries(out):
        problems.append("SIGXFSZ: temporary files left: %s" % temporaries(out))
    for p in files_in(before):
        q = os.path.join(out, os.path.relpath(p, before))
        if not os.path.exists(q) or not filecmp.cmp(p, q, shallow=False):
            problems.append("SIGXFSZ: %s changed" % q)
    print("fault: a build over its file size limit died of SIGXFSZ and left no temporary file")


FONTCONFIG_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <cachedir>%s</cachedir>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
</fontconfig>
"""


def private_fontconfig(folder, cache):
    """A fontconfig set-up whose cache is written to (and read first from)
    cache.  fontconfig that runs out of memory while it scans a font folder
    writes an empty cache for it, and every later run, of any program,
    then believes the folder has no fonts: the memory runs must never
    touch the system's cache."""
    os.makedirs(cache, exist_ok=True)
    conf = os.path.join(folder, "fonts.conf")
    with open(conf, "w") as f:
        f.write(FONTCONFIG_CONF % cache)
    return dict(os.environ, FONTCONFIG_FILE=conf)


def out_of_memory(pdfgen, tmp, problems):
    seen_oom = 0
    # A good cache, made once without a limit; each limited run gets its own
    # copy, so an empty cache one run writes cannot mislead the next.
    good = os.path.join(tmp, "fc-good")
    os.makedirs(good)
    env = private_fontconfig(good, os.path.join(good, "cache"))
    subprocess.run([pdfgen, "check", "--content", CONTENT], capture_output=True, env=env,
                   check=True)
    # From just above where fontconfig has read its configuration (below
    # about 52 MB it can itself crash or answer "no such font" when memory
    # runs out while it loads: a fontconfig bug pdfgen cannot intercept) up
    # to where check succeeds (the fonts and ICU data are mapped: ~250 MB).
    for kb in range(54000, 300001, 12000):
        def limit(kb=kb):
            resource.setrlimit(resource.RLIMIT_AS, (kb * 1024, kb * 1024))
        run_dir = os.path.join(tmp, "fc-%d" % kb)
        os.makedirs(run_dir)
        shutil.copytree(os.path.join(good, "cache"), os.path.join(run_dir, "cache"))
        env = private_fontconfig(run_dir, os.path.join(run_dir, "cache"))
        r = subprocess.run([pdfgen, "check", "--content", CONTENT], capture_output=True,
                           text=True, preexec_fn=limit, env=env)
        if "error while loading shared libraries" in r.stderr:
            continue
        if r.returncode != 0:
            if "out of memory" not in r.stderr:
                problems.append("ulimit -v %d: exit %d without 'out of memory':\n%s" % (
                    kb, r.returncode, r.stderr[-1000:]))
            seen_oom += 1
        if "no installed font has" in r.stderr:
            problems.append("ulimit -v %d: memory shortage reported as a missing character" % kb)
    print("fault: %d memory limits gave 'out of memory'" % seen_oom)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdfgen", required=True)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    pdfgen = os.path.abspath(args.pdfgen)
    tmp = tempfile.mkdtemp(prefix="pdfgen-fault-")
    problems = []
    sigkill(pdfgen, tmp, args.kills, rng, problems)
    sigint(pdfgen, tmp, args.kills, rng, problems)
    sigxfsz(pdfgen, tmp, problems)
    out_of_memory(pdfgen, tmp, problems)
    shutil.rmtree(tmp, ignore_errors=True)
    for p in problems:
        print("FAILED: " + p)
    print("fault: %s (seed %d)" % ("FAILED" if problems else "all passed", seed))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
