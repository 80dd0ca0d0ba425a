#!/usr/bin/python3
"""Runs every case in tests/bad/ through both `pdfgen check` and `pdfgen
build`.  Each case is one failure mode: steps applied to a temporary copy of
content/ (or an environment variable) and the message it must produce.

For each case, check and build must
  - finish (within max_seconds, default 30: no hang, no quadratic time),
  - exit 1,
  - print the expected message (with $C for the content folder), and the
    same error lines as each other,
  - print no raw control character,
  - leave the output folder exactly as it was: it holds the sheets of an
    earlier good build, which must stay byte for byte (all or nothing), and
    no temporary file.

Case file keys: what, steps, env, expect, also, absent, once, max_seconds.
Steps: edit (find, replace, count, repeat_after, times), append (text,
times), remove, mkdir, fifo, symlink (to), rename (to), copy (to), longid
(length), unknown_keys (count).

Usage: tests/bad.py --pdfgen build/pdfgen [case names...]"""
import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTENT = os.path.join(ROOT, "content")
CASES = os.path.join(ROOT, "tests", "bad")


def apply(step, content):
    def at(rel):
        return os.path.join(content, rel)
    if "edit" in step:
        path = at(step["edit"])
        with open(path, encoding="utf-8") as f:
            text = f.read()
        assert step["find"] in text, "%s: %r not found" % (step["edit"], step["find"])
        replace = step["replace"] + step.get("repeat_after", "") * step.get("times", 1)
        text = text.replace(step["find"], replace, step.get("count", 1))
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    elif "append" in step:
        with open(at(step["append"]), "a", encoding="utf-8") as f:
            f.write(step["text"] * step.get("times", 1))
    elif "remove" in step:
        os.remove(at(step["remove"]))
    elif "mkdir" in step:
        os.mkdir(at(step["mkdir"]))
    elif "fifo" in step:
        os.mkfifo(at(step["fifo"]))
    elif "symlink" in step:
        os.symlink(step["to"], at(step["symlink"]))
    elif "rename" in step:
        os.rename(at(step["rename"]), at(step["to"]))
    elif "copy" in step:
        shutil.copyfile(at(step["copy"]), at(step["to"]))
    elif "longid" in step:
        old = step["longid"]
        new = (old * 100)[:step["length"]]
        for lang in os.listdir(content):
            src = at(os.path.join(lang, old + ".yaml"))
            if os.path.isfile(src):
                with open(src, encoding="utf-8") as f:
                    text = f.read().replace("id: " + old, "id: " + new, 1)
                os.remove(src)
                with open(at(os.path.join(lang, new + ".yaml")), "w", encoding="utf-8") as f:
                    f.write(text)
    elif "unknown_keys" in step:
        with open(at(step["unknown_keys"]), "a", encoding="utf-8") as f:
            f.write("".join("k%06d: 1\n" % i for i in range(step["count"])))
    else:
        raise ValueError("unknown step %r" % step)


def snapshot(folder):
    files = {}
    for dirpath, _, names in os.walk(folder):
        for n in names:
            p = os.path.join(dirpath, n)
            files[os.path.relpath(p, folder)] = p
    return files


def run_case(pdfgen, name, case, good_out, tmp):
    problems = []
    content = os.path.join(tmp, name, "content")
    shutil.copytree(CONTENT, content, symlinks=True)
    for step in case.get("steps", []):
        apply(step, content)
    env = dict(os.environ)
    env.update(case.get("env", {}))
    limit = case.get("max_seconds", 30)
    errors = {}
    for command in ("check", "build"):
        out = os.path.join(tmp, name, "out-" + command)
        shutil.copytree(good_out, out)
        args = [pdfgen, command, "--content", content]
        if command == "build":
            args += ["--out", out, "--quiet"]
        start = time.monotonic()
        try:
            r = subprocess.run(args, capture_output=True, env=env, timeout=limit, cwd=tmp)
        except subprocess.TimeoutExpired:
            problems.append("%s: no answer within %d s" % (command, limit))
            continue
        took = time.monotonic() - start
        stderr = r.stderr.decode("utf-8", "replace")
        shown = stderr.replace("$", "$$")
        expected = [case["expect"]] + ([case["also"]] if "also" in case else [])
        expected = [e.replace("$C", content) for e in expected]
        if r.returncode != 1:
            problems.append("%s: exit %d, want 1 (%.1f s)\n%s" % (command, r.returncode, took, shown[-3000:]))
        for e in expected:
            if e not in stderr:
                problems.append("%s: no %r in:\n%s" % (command, e, shown[-3000:]))
        if case.get("once") and stderr.count(expected[0]) != 1:
            problems.append("%s: %r printed %d times" % (command, expected[0], stderr.count(expected[0])))
        if "absent" in case and (case["absent"] in stderr or case["absent"].encode() in r.stdout):
            problems.append("%s: %r must not be printed" % (command, case["absent"]))
        raw = [c for c in stderr if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F]
        if raw:
            problems.append("%s: raw control characters in the messages: %r" % (command, raw[:5]))
        errors[command] = sorted(l for l in stderr.splitlines() if " error: " in l)
        before, after = snapshot(good_out), snapshot(out)
        if sorted(before) != sorted(after):
            problems.append("%s: output folder changed: %s" % (
                command, sorted(set(before) ^ set(after))))
        else:
            changed = [k for k in before if not filecmp.cmp(before[k], after[k], shallow=False)]
            if changed:
                problems.append("%s: sheets changed although the build failed: %s" % (command, changed))
    if len(errors) == 2 and errors["check"] != errors["build"]:
        problems.append("check and build disagree:\ncheck: %s\nbuild: %s" % (
            "\n".join(errors["check"]), "\n".join(errors["build"])))
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdfgen", required=True)
    parser.add_argument("cases", nargs="*")
    args = parser.parse_args()
    pdfgen = os.path.abspath(args.pdfgen)
    tmp = tempfile.mkdtemp(prefix="pdfgen-bad-")
    good_out = os.path.join(tmp, "good-out")
    r = subprocess.run([pdfgen, "build", "--quiet", "--content", CONTENT, "--out", good_out,
                        "--lang", "en", "--lang", "es"], capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr)
        sys.exit(1)
    names = args.cases or sorted(f[:-5] for f in os.listdir(CASES) if f.endswith(".yaml"))
    failed = 0
    for name in names:
        with open(os.path.join(CASES, name + ".yaml"), encoding="utf-8") as f:
            case = yaml.safe_load(f)
        problems = run_case(pdfgen, name, case, good_out, tmp)
        print("bad/%s: %s" % (name, "ok" if not problems else "FAILED"))
        for p in problems:
            print("  " + p.replace("\n", "\n    "))
        failed += bool(problems)
    shutil.rmtree(tmp, ignore_errors=True)
    print("tests/bad: %d of %d cases failed" % (failed, len(names)) if failed
          else "tests/bad: all %d cases passed through check and build" % len(names))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
