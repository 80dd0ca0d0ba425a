#!/usr/bin/python3
"""Runs pdfgen under valgrind (memcheck) on a full build of every language, on `check`, and on
an input that fails, and fails on any error or definite leak."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdfgen", required=True)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="pdfgen-valgrind-")
    content = os.path.join(ROOT, "content")
    bad = os.path.join(tmp, "bad")
    shutil.copytree(content, bad)
    with open(os.path.join(bad, "en", "sunitinib.yaml"), "a") as f:
        f.write("colour: [red\n")
    runs = [
        # every sheet of every language
        (["build", "--quiet", "--content", content, "--out", os.path.join(tmp, "out")], 0),
        (["check", "--content", content], 0),
        (["check", "--content", bad], 1),
    ]
    ok = True
    for argv, want in runs:
        cmd = ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
               "--suppressions=" + os.path.join(ROOT, "tests", "valgrind.supp"),
               "--errors-for-leak-kinds=definite,indirect", os.path.abspath(args.pdfgen)] + argv
        r = subprocess.run(cmd, capture_output=True, text=True)
        status = "ok" if r.returncode == want else "FAILED"
        print("valgrind pdfgen %s: exit %d (%s)" % (" ".join(argv[:1]), r.returncode, status))
        if r.returncode != want:
            print(r.stderr)
            ok = False
    shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
