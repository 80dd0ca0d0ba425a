#!/usr/bin/python3
"""The command line as a user and a packager meet it: the manual page
pdfgen(1) describes every command and option that `pdfgen --help` lists and
no other, it renders without a warning, `make install` puts the program and
the page where PREFIX, MANDIR and DESTDIR say, and the options follow GNU
conventions (--opt=value, unambiguous prefixes, '--', usage errors on two
lines with exit status 2).

Usage: tests/cli.py --pdfgen build/pdfgen"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import integration  # noqa: E402

ROOT = integration.ROOT
MANPAGE = os.path.join(ROOT, "pdfgen", "pdfgen.1")
CONTENT = integration.CONTENT


def pdfgen(*args, **kw):
    return subprocess.run([integration.PDFGEN, *args], capture_output=True, text=True, **kw)


def help_text():
    r = pdfgen("--help")
    assert r.returncode == 0, r.stderr
    return r.stdout


def man_sections():
    """The manual page's source, split by .SH heading."""
    sections, name = {}, None
    with open(MANPAGE, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(".SH "):
                name = line[4:].strip().strip('"')
                sections[name] = []
            elif name:
                sections[name].append(line)
    return sections


def tagged_items(lines):
    """The first line after each .TP: the item a tagged paragraph describes."""
    return [lines[i + 1] for i, line in enumerate(lines[:-1]) if line == ".TP"]


def long_options(text):
    """--name in roff (\\-\\-name) or plain text."""
    return set(re.findall(r"(?:\\-\\-|--)([a-z][a-z-]*)", text))


def help_block(text, title):
    """The lines of a --help block ("Commands:", "Options:") up to the next blank."""
    lines = text.splitlines()
    start = lines.index(title) + 1
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    return lines[start:end]


def synopsis_by_command(lines):
    """command -> the long options its synopsis lines name."""
    commands, current = {}, None
    for line in lines:
        m = re.match(r"\.B pdfgen (\w+)$", line)
        if m:
            current = m.group(1)
            commands[current] = set()
        elif line.startswith(".br") or line == ".B pdfgen":
            current = None
        elif current:
            commands[current] |= long_options(line)
    return commands


def usage_by_command(text):
    """command -> the long options its usage lines in --help name."""
    commands, current = {}, None
    for line in text.split("\n\n")[0].splitlines():
        m = re.match(r"(?:Usage:|  or:)\s+pdfgen (\w+)", line)
        if m:
            current = m.group(1)
            commands[current] = set()
        elif re.match(r"(?:Usage:|  or:)", line):
            current = None
        if current:
            commands[current] |= long_options(line)
    return commands


class ManualPage(unittest.TestCase):
    def test_renders_without_warnings(self):
        r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", MANPAGE],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        r = subprocess.run(["man", "-l", MANPAGE], capture_output=True, text=True,
                           env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("EXIT STATUS", r.stdout)

    def test_every_option_in_help_is_in_the_manual_and_back(self):
        in_help = set()
        for line in help_block(help_text(), "Options:"):
            m = re.match(r"\s+(?:-\w, )?--([a-z-]+)", line)
            if m:
                in_help.add(m.group(1))
        items = tagged_items(man_sections()["OPTIONS"])
        in_manual = set()
        for item in items:
            in_manual |= long_options(item)
        self.assertTrue(in_help)
        self.assertEqual(in_help, in_manual)

    def test_every_command_in_help_is_in_the_manual_and_back(self):
        in_help = {m.group(1) for line in help_block(help_text(), "Commands:")
                   for m in [re.match(r"  (\w+)\s", line)] if m}
        in_manual = {re.sub(r"^\.B\s+", "", item).split()[0]
                     for item in tagged_items(man_sections()["COMMANDS"])}
        self.assertTrue(in_help)
        self.assertEqual(in_help, in_manual)

    def test_synopsis_matches_usage(self):
        """Each command takes the same options in the manual's synopsis as in
        the usage lines of --help, and pdfgen accepts exactly those."""
        manual = synopsis_by_command(man_sections()["SYNOPSIS"])
        usage = usage_by_command(help_text())
        self.assertEqual(manual, usage)
        # an option a command's usage does not list is refused with exit 2
        every = set().union(*usage.values())
        for command, options in usage.items():
            for option in sorted(every - options):
                with self.subTest(command=command, option=option):
                    r = pdfgen(command, "--" + option + ("" if option in ("quiet", "stats", "force", "release", "werror", "merge") else "=x"),
                               "--content", CONTENT)
                    self.assertEqual(r.returncode, 2, r.stderr)

    def test_exit_statuses_documented(self):
        items = tagged_items(man_sections()["EXIT STATUS"])
        self.assertEqual([re.sub(r"^\.B\s+", "", i) for i in items], ["0", "1", "2"])
        self.assertIn("0 ok, 1", help_text())


class Install(unittest.TestCase):
    def test_make_install_honours_destdir_prefix_mandir(self):
        dest = tempfile.mkdtemp(prefix="pdfgen-install-")
        try:
            r = subprocess.run(["make", "-s", "-C", ROOT, "install", "DESTDIR=" + dest,
                                "PREFIX=/opt/pdfgen", "MANDIR=/opt/man",
                                "BIN=" + integration.PDFGEN],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            binary = os.path.join(dest, "opt/pdfgen/bin/pdfgen")
            page = os.path.join(dest, "opt/man/man1/pdfgen.1")
            self.assertTrue(os.access(binary, os.X_OK))
            self.assertEqual(os.stat(page).st_mode & 0o777, 0o644)
            r = subprocess.run([binary, "--version"], capture_output=True, text=True)
            self.assertRegex(r.stdout, r"^pdfgen \d+\.\d+\.\d+\n$")
            with open(page, encoding="utf-8") as f:
                self.assertIn(r.stdout.split()[1], f.read().splitlines()[2])
        finally:
            shutil.rmtree(dest, ignore_errors=True)


class GnuConventions(unittest.TestCase):
    def test_value_after_equals_or_as_next_argument(self):
        a = pdfgen("tree", "--lang=es", "--drug=sunitinib", "--content=" + CONTENT)
        b = pdfgen("tree", "--lang", "es", "--drug", "sunitinib", "--content", CONTENT)
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(a.stdout, b.stdout)

    def test_unambiguous_prefix_and_options_before_the_command(self):
        a = pdfgen("--la=en", "--dr", "sunitinib", "--cont", CONTENT, "tree")
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertTrue(a.stdout.startswith("Document lang=en-US"))

    def test_ambiguous_prefix_names_the_candidates(self):
        r = pdfgen("build", "--s", "--content", CONTENT)
        self.assertEqual(r.returncode, 2)
        self.assertIn("'--s' is ambiguous", r.stderr)
        self.assertIn("'--size'", r.stderr)
        self.assertIn("'--stats'", r.stderr)

    def test_double_dash_ends_options(self):
        r = pdfgen("--content", CONTENT, "--", "--list")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown command '--list'", r.stderr)
        r = pdfgen("--content", CONTENT, "--", "list")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_usage_error_is_two_lines_on_stderr(self):
        for args in (["build", "--paper=legal"], ["frobnicate"], [], ["build", "--bogus"],
                     ["build", "--lang"], ["-x"], ["list", "extra"]):
            with self.subTest(args=args):
                r = pdfgen(*args)
                self.assertEqual(r.returncode, 2)
                self.assertEqual(r.stdout, "")
                lines = r.stderr.splitlines()
                self.assertEqual(len(lines), 2, r.stderr)
                self.assertTrue(lines[0].startswith("pdfgen: "))
                self.assertEqual(lines[1], "Try 'pdfgen --help' for more information.")

    def test_bleed_is_a_decimal_length(self):
        # strtod took these too: "0x10mm" was a 16 mm bleed.
        for value in ("0x10mm", "0x1p1mm", " 3mm", "+3mm", "3e0mm", ".mm", "mm", "3", "21mm"):
            with self.subTest(value=value):
                r = pdfgen("build", "--bleed=" + value, "--content", CONTENT, "--out", "/nonexistent")
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn("pdfgen: bad bleed '%s'" % value, r.stderr)

    def test_values_echoed_escaped(self):
        # Command-line values in usage errors and status lines used to be
        # printed raw: --drug=$'\e[2J' cleared the terminal.
        for args, shown in ((["build", "--drug=x\x1b[2Jy"], "no drug 'x\\e[2Jy'"),
                            (["build", "--paper=\x1b[2J"], "paper size '\\e[2J'"),
                            (["\x1b[2J"], "unknown command '\\e[2J'")):
            with self.subTest(args=args):
                r = pdfgen(*args, "--content", CONTENT)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(shown, r.stderr)
                self.assertNotIn("\x1b", r.stderr)
        tmp = tempfile.mkdtemp(prefix="pdfgen-escape-")
        try:
            out = os.path.join(tmp, "out\x1b[2J")
            for _ in range(2):  # "wrote", then "nothing to do"
                r = pdfgen("build", "--lang", "en", "--drug", "sunitinib", "--content", CONTENT,
                           "--out", out)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("out\\e[2J", r.stderr)
                self.assertNotIn("\x1b", r.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_out_not_within_content(self):
        # A build into content/out used to succeed, and every later run
        # failed: "language folder 'content/out' has no strings.yaml".
        tmp = tempfile.mkdtemp(prefix="pdfgen-outin-")
        try:
            content = os.path.join(tmp, "content")
            shutil.copytree(CONTENT, content)
            link = os.path.join(tmp, "link")
            os.symlink(content, link)
            for out in (content, os.path.join(content, "out"), os.path.join(link, "en", "x"),
                        os.path.join(content, "new", "..", "out")):
                for command in (["build", "--lang", "en", "--drug", "sunitinib"],
                                ["manifest", "--merge", os.path.join(tmp, "part")]):
                    with self.subTest(out=out, command=command[0]):
                        r = pdfgen(*command, "--content", content, "--out", out)
                        self.assertEqual(r.returncode, 2, r.stderr)
                        self.assertIn("output folder '%s' within content folder" % out, r.stderr)
            r = pdfgen("check", "--content", content)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = pdfgen("build", "--lang", "en", "--drug", "sunitinib", "--content", content,
                       "--out", content + "-out")
            self.assertEqual(r.returncode, 0, r.stderr)
            # from a removed working folder: no folder to resolve (it looped)
            r = subprocess.run(["sh", "-c", 'mkdir "$1" && cd "$1" && rmdir "$1" && exec "$0" '
                                'build --lang en --drug sunitinib --content "$2" --out out',
                                integration.PDFGEN, os.path.join(tmp, "gone"), content],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("cannot create folder 'out'", r.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_help_and_version_on_stdout(self):
        for flag in ("--help", "-h", "--version"):
            with self.subTest(flag=flag):
                r = pdfgen(flag)
                self.assertEqual(r.returncode, 0)
                self.assertEqual(r.stderr, "")
                self.assertTrue(r.stdout)
        self.assertTrue(pdfgen("--help").stdout.startswith("Usage: pdfgen "))


class WorkflowExample(unittest.TestCase):
    """The GitHub Actions workflow in the README is documented, not run
    here; but the pdfgen commands it names are, in its order: each is
    accepted, and the four shards merged are a whole build byte for byte."""

    def commands(self):
        with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        block = re.search(r"## CI example: GitHub Actions.*?```yaml\n(.*?)```", readme, re.S)
        self.assertIsNotNone(block)
        import yaml
        workflow = yaml.safe_load(block.group(1))
        found = []
        for name, job in workflow["jobs"].items():
            for step in job["steps"]:
                for line in step.get("run", "").splitlines():
                    m = re.search(r"\S*pdfgen (\w+[^|>&]*?)\s*(?:[|>&].*)?$", line)
                    if m and not line.lstrip().startswith("make"):
                        found.append((name, m.group(1)))
        return found

    def test_commands_run_as_documented(self):
        found = self.commands()
        self.assertEqual({c.split()[0] for _, c in found}, {"check", "build", "manifest"})
        tmp = tempfile.mkdtemp(prefix="pdfgen-workflow-")
        try:
            content = os.path.join(tmp, "content")
            shutil.copytree(CONTENT, content)
            shards = 0
            for job, line in found:
                args = line.split()
                if "${{ matrix.shard }}" in line:
                    for k in range(1, 5):
                        a = line.replace("${{ matrix.shard }}", str(k)).split()
                        r = pdfgen(*a, "--quiet", cwd=tmp)
                        self.assertEqual(r.returncode, 0, r.stderr)
                        shards += 1
                    continue
                if args[0] == "manifest":
                    import glob
                    parts = sorted(glob.glob(os.path.join(tmp, "out", "manifest.*-of-4.json")))
                    self.assertEqual(len(parts), 4)
                    args = [a for a in args if "*" not in a]
                    r = pdfgen(args[0], args[1], *parts, *args[2:], cwd=tmp)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    for p in parts:
                        os.unlink(p)
                    continue
                r = pdfgen(*args, cwd=tmp)
                # today every translation is a draft: the release job's
                # gate refuses (exit 1), as it should; nothing is a usage error
                expected = 1 if job == "release" else 0
                self.assertEqual(r.returncode, expected, (job, args, r.stderr[-500:]))
            self.assertEqual(shards, 4)
            whole = os.path.join(tmp, "whole")
            r = pdfgen("build", "--quiet", "--out=" + whole, cwd=tmp)
            self.assertEqual(r.returncode, 0, r.stderr)
            for dirpath, _, files in os.walk(whole):
                for name in files:
                    rel = os.path.relpath(os.path.join(dirpath, name), whole)
                    with open(os.path.join(whole, rel), "rb") as a, \
                            open(os.path.join(tmp, "out", rel), "rb") as b:
                        self.assertEqual(a.read(), b.read(), rel)
            merged = {os.path.relpath(os.path.join(d, n), os.path.join(tmp, "out"))
                      for d, _, fs in os.walk(os.path.join(tmp, "out")) for n in fs}
            wholes = {os.path.relpath(os.path.join(d, n), whole)
                      for d, _, fs in os.walk(whole) for n in fs}
            self.assertEqual(merged, wholes)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdfgen", required=True)
    args, rest = parser.parse_known_args()
    integration.PDFGEN = os.path.abspath(args.pdfgen)
    integration.run_suite("cli", rest)


if __name__ == "__main__":
    main()
