#!/usr/bin/python3
"""Build orchestration: parallel builds, out/manifest.json, incremental
builds, shards.

- `build -j 1`, `-j 2` and `-j 3` write byte-identical folders (every PDF,
  manifest.json and index.html) and the same progress lines, one per
  output, in the same order;
- the manifest validates against pdfgen/manifest.schema.json, and its
  sizes, SHA-256 digests and page counts (pdfinfo) are those of the files;
- a second build with nothing changed rewrites nothing (no file or folder
  gets a new mtime or inode) and says so; editing one content file
  rebuilds exactly the outputs made from it; an output deleted or edited
  by hand is built again; another pdfgen binary of the same version,
  another font folder, other options and --force rebuild everything;
- shards 1/3, 2/3 and 3/3 in separate folders, copied together and joined
  with `pdfgen manifest --merge`, are the whole build byte for byte;
- SIGINT to the process group of a parallel build (a synthetic content set
  big enough to be caught mid-build) and SIGTERM to the parent alone leave
  no temporary file and the outputs of the build before untouched.

Usage: tests/build.py --pdfgen build/pdfgen"""
import argparse
import filecmp
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_synthetic  # noqa: E402

CONTENT = os.path.join(ROOT, "content")
SCHEMA = os.path.join(ROOT, "pdfgen", "manifest.schema.json")
PDFGEN = None
TMP = None
WROTE = re.compile(r"^pdfgen: wrote (\S+) \((\d+) pages?, [\d.]+ KB, [\d.]+ ms\)$")
TEMPORARY = re.compile(r"^\..+\.(pdf\.[A-Za-z0-9]{6}|html\.[A-Za-z0-9]{6}|json\.[A-Za-z0-9]{6})$")


def pdfgen(*args, check=True, **kw):
    r = subprocess.run([PDFGEN] + list(args), capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise AssertionError("pdfgen %s: exit %d\n%s" % (" ".join(args), r.returncode, r.stderr))
    return r


def read(path):
    with open(path, "rb") as f:
        return f.read()


def files_in(folder):
    """Every file under folder, relative path -> absolute path."""
    found = {}
    for d, _, names in os.walk(folder):
        for n in names:
            p = os.path.join(d, n)
            found[os.path.relpath(p, folder)] = p
    return found


def snapshot(folder):
    """Every file and folder under folder (itself too): (mtime_ns, inode)."""
    seen = {".": (os.stat(folder).st_mtime_ns, os.stat(folder).st_ino)}
    for d, dirs, names in os.walk(folder):
        for n in dirs + names:
            p = os.path.join(d, n)
            st = os.stat(p)
            seen[os.path.relpath(p, folder)] = (st.st_mtime_ns, st.st_ino)
    return seen


def file_stamps(folder):
    """Every file (not folder: a temporary file made and removed changes
    its folder's mtime) under folder: (mtime_ns, inode)."""
    return {rel: (os.stat(p).st_mtime_ns, os.stat(p).st_ino) for rel, p in files_in(folder).items()}


def temporaries(folder):
    return [p for rel, p in files_in(folder).items() if TEMPORARY.match(os.path.basename(p))]


def same_tree(test, a, b):
    fa, fb = files_in(a), files_in(b)
    test.assertEqual(sorted(fa), sorted(fb), "%s and %s hold other files" % (a, b))
    for rel in fa:
        test.assertTrue(filecmp.cmp(fa[rel], fb[rel], shallow=False),
                        "%s differs between %s and %s" % (rel, a, b))


def progress(stderr, out):
    """The progress lines, with the folder and the timing taken out."""
    lines = []
    for line in stderr.splitlines():
        m = WROTE.match(line)
        if m:
            lines.append((os.path.relpath(m.group(1), out), int(m.group(2))))
    return lines


def outputs_of(content):
    """Every output a whole build writes, from the content folder."""
    expected = set()
    for lang in os.listdir(content):
        folder = os.path.join(content, lang)
        if not os.path.isdir(folder):
            continue
        drugs = [n[:-5] for n in os.listdir(folder)
                 if n.endswith(".yaml") and n not in ("strings.yaml", "glossary.yaml")]
        expected |= {"%s/%s.pdf" % (lang, d) for d in drugs}
        if os.path.exists(os.path.join(folder, "glossary.yaml")):
            expected.add("%s/glossary.pdf" % lang)
        if drugs:
            expected.add("%s/all.pdf" % lang)
    return expected


def manifest_reviews(path):
    """path -> review status, from a manifest."""
    with open(path, "rb") as f:
        return {o["path"]: o["review"] for o in json.load(f)["outputs"]}


def validate(schema, value, where="manifest"):
    """The part of JSON Schema the manifest's schema uses: type, const,
    enum, pattern, minLength, minimum, required, properties,
    additionalProperties: false, items.  Returns the problems."""
    problems = []
    types = {"object": dict, "array": list, "string": str, "null": type(None),
             "boolean": bool, "integer": int, "number": (int, float)}
    allowed = schema.get("type")
    if allowed is not None:
        allowed = allowed if isinstance(allowed, list) else [allowed]
        if not any(isinstance(value, types[t]) and not (t in ("integer", "number") and
                                                        isinstance(value, bool))
                   for t in allowed):
            return ["%s: %r is not %s" % (where, value, " or ".join(allowed))]
    if "const" in schema and value != schema["const"]:
        problems.append("%s: %r is not %r" % (where, value, schema["const"]))
    if "enum" in schema and value not in schema["enum"]:
        problems.append("%s: %r is not one of %r" % (where, value, schema["enum"]))
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            problems.append("%s: %r does not match %s" % (where, value, schema["pattern"]))
        if len(value) < schema.get("minLength", 0):
            problems.append("%s: %r is too short" % (where, value))
    if isinstance(value, (int, float)) and "minimum" in schema and value < schema["minimum"]:
        problems.append("%s: %r < %r" % (where, value, schema["minimum"]))
    if isinstance(value, dict):
        for k in schema.get("required", []):
            if k not in value:
                problems.append("%s: no %s" % (where, k))
        props = schema.get("properties", {})
        for k, v in value.items():
            if k in props:
                problems += validate(props[k], v, "%s.%s" % (where, k))
            elif schema.get("additionalProperties") is False:
                problems.append("%s: unexpected %s" % (where, k))
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            problems += validate(schema["items"], v, "%s[%d]" % (where, i))
    return problems


class Builds:
    """Whole builds several tests compare against, made once."""
    made = {}

    @classmethod
    def whole(cls, jobs):
        if jobs not in cls.made:
            out = os.path.join(TMP, "j%d" % jobs)
            r = pdfgen("build", "-j", str(jobs), "--content", CONTENT, "--out", out)
            cls.made[jobs] = (out, r.stderr)
        return cls.made[jobs]


class Parallel(unittest.TestCase):
    def test_jobs_give_the_same_bytes_and_lines(self):
        out1, err1 = Builds.whole(1)
        lines1 = progress(err1, out1)
        self.assertEqual(sorted(p for p, _ in lines1), sorted(outputs_of(CONTENT)))
        self.assertEqual(len(lines1), len(set(lines1)), "an output reported twice")
        for jobs in (2, 3):
            out, err = Builds.whole(jobs)
            same_tree(self, out1, out)
            self.assertEqual(progress(err, out), lines1,
                             "-j %d: other progress lines, or in another order" % jobs)
            # every line of stderr whole: a progress line or nothing else
            for line in err.splitlines():
                self.assertRegex(line, WROTE)

    def test_usage_errors(self):
        for args in (["build", "-j", "0"], ["build", "-j", "x"], ["build", "--shard", "4/3"],
                     ["build", "--shard", "0/3"], ["build", "--shard", "1"],
                     ["check", "--force"], ["manifest"], ["manifest", "--merge"],
                     ["build", "--merge"],
                     # sscanf's %u took these for 1/1 (wrapped round 2^32)
                     ["build", "--shard", "1/4294967297"], ["build", "--shard", "4294967297/2"],
                     ["build", "--shard", "1/+2"], ["build", "--shard", "1/2 "]):
            r = pdfgen(*args, "--content", CONTENT, check=False)
            self.assertEqual(r.returncode, 2, "%s: exit %d" % (args, r.returncode))


class ManifestFile(unittest.TestCase):
    def test_manifest_matches_schema_and_files(self):
        out, _ = Builds.whole(1)
        with open(os.path.join(out, "manifest.json"), "rb") as f:
            data = f.read()
        manifest = json.loads(data)
        with open(SCHEMA) as f:
            schema = json.load(f)
        self.assertEqual(validate(schema, manifest), [])
        try:
            import jsonschema
        except ImportError:
            jsonschema = None
        if jsonschema:
            jsonschema.Draft202012Validator.check_schema(schema)
            jsonschema.validate(manifest, schema)
        # one output a line, sorted by path: easy to diff
        lines = data.decode().splitlines()
        self.assertEqual(len(lines), len(manifest["outputs"]) + 6)
        paths = [o["path"] for o in manifest["outputs"]]
        self.assertEqual(paths, sorted(paths))
        self.assertEqual(set(paths), outputs_of(CONTENT))
        version = pdfgen("--version").stdout.split()[1]
        self.assertEqual(manifest["pdfgen"], version)
        for o in manifest["outputs"]:
            path = os.path.join(out, o["path"])
            with open(path, "rb") as f:
                pdf = f.read()
            self.assertEqual(o["bytes"], len(pdf), o["path"])
            self.assertEqual(o["sha256"], hashlib.sha256(pdf).hexdigest(), o["path"])
            info = subprocess.run(["pdfinfo", path], capture_output=True, text=True,
                                  check=True).stdout
            pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
            self.assertEqual(o["pages"], pages, o["path"])
            title = re.search(r"^Title:\s+(.*)$", info, re.M).group(1)
            self.assertEqual(o["title"].split(), title.split(), o["path"])
            self.assertEqual(o["language"], o["path"].split("/")[0])
            for i in o["inputs"]:
                with open(os.path.join(CONTENT, i["path"]), "rb") as f:
                    self.assertEqual(i["sha256"], hashlib.sha256(f.read()).hexdigest())
            stem = os.path.basename(o["path"])[:-4]
            if o["kind"] == "sheet":
                self.assertEqual(o["drug"], stem)
                self.assertIn("%s/%s.yaml" % (o["language"], stem),
                              [i["path"] for i in o["inputs"]])
            else:
                self.assertIsNone(o["drug"])
            # English is the source; every translation is a draft today
            # (tests/review.py covers reviewed and stale ones)
            self.assertEqual(o["review"], "source" if o["language"] == "en" else "draft",
                             o["path"])
            if o["language"] != "en" and o["kind"] == "sheet":
                self.assertIn("en/%s.yaml" % stem, [i["path"] for i in o["inputs"]])

    def test_identical_builds_identical_manifests(self):
        out1, _ = Builds.whole(1)
        out = os.path.join(TMP, "again")
        pdfgen("build", "--quiet", "--content", CONTENT, "--out", out)
        self.assertTrue(filecmp.cmp(os.path.join(out1, "manifest.json"),
                                    os.path.join(out, "manifest.json"), shallow=False))


class Incremental(unittest.TestCase):
    def setUp(self):
        self.content = os.path.join(TMP, "inc-content")
        self.out = os.path.join(TMP, "inc-out")
        shutil.rmtree(self.content, ignore_errors=True)
        shutil.rmtree(self.out, ignore_errors=True)
        shutil.copytree(CONTENT, self.content)
        self.build()

    def build(self, *extra):
        return pdfgen("build", "--content", self.content, "--out", self.out, *extra)

    def rebuilt(self, *extra):
        """Builds again; returns the files given a new mtime or inode and
        the outputs reported written."""
        before = snapshot(self.out)
        time.sleep(0.02)  # a new mtime would differ from the old one
        r = self.build(*extra)
        after = snapshot(self.out)
        news = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)
                and not os.path.isdir(os.path.join(self.out, k))]
        return news, sorted(p for p, _ in progress(r.stderr, self.out)), r.stderr

    def edit(self, rel, text="\n# edited\n"):
        with open(os.path.join(self.content, rel), "a") as f:
            f.write(text)

    def test_nothing_changed_rewrites_nothing(self):
        before = snapshot(self.out)
        time.sleep(0.02)
        r = self.build()
        self.assertEqual(snapshot(self.out), before, "a build with nothing to do wrote")
        self.assertIn("nothing to do", r.stderr)
        self.assertEqual(progress(r.stderr, self.out), [])
        # touching a content file changes no digest
        os.utime(os.path.join(self.content, "es", "sunitinib.yaml"))
        news, _, _ = self.rebuilt()
        self.assertEqual(news, [])

    def test_one_drug_file(self):
        self.edit("es/sunitinib.yaml")
        news, wrote, err = self.rebuilt()
        self.assertEqual(wrote, ["es/all.pdf", "es/sunitinib.pdf"])
        # the bytes of these PDFs do not change (a comment), so neither does
        # the catalog page; the manifest records the new digest
        self.assertEqual(news, ["es/all.pdf", "es/sunitinib.pdf", "manifest.json"])
        self.assertIn("2 outputs, 68 were up to date", err)

    def test_english_edit_makes_translations_stale(self):
        """A translation is made from the English: a changed English field
        rebuilds that drug's sheet and booklet in every language, and the
        translations' sheets now carry the stale band and say so in the
        manifest; a comment-only English edit changes no PDF byte."""
        path = os.path.join(self.content, "en", "sunitinib.yaml")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace("once a day", "once every day", 1))
        news, wrote, _ = self.rebuilt()
        langs = sorted(os.listdir(self.content))
        langs = [l for l in langs if os.path.isdir(os.path.join(self.content, l))]
        self.assertEqual(wrote, sorted(["%s/sunitinib.pdf" % l for l in langs] +
                                       ["%s/all.pdf" % l for l in langs]))
        review = manifest_reviews(os.path.join(self.out, "manifest.json"))
        self.assertEqual(review["en/sunitinib.pdf"], "source")
        self.assertEqual(review["fr/sunitinib.pdf"], "stale")
        self.assertEqual(review["fr/everolimus.pdf"], "draft")
        text = subprocess.run(["pdftotext", os.path.join(self.out, "fr", "sunitinib.pdf"), "-"],
                              capture_output=True, text=True).stdout
        self.assertIn("Translation out of date", " ".join(text.split()))

    def test_one_strings_file(self):
        self.edit("fr/strings.yaml")
        _, wrote, _ = self.rebuilt()
        self.assertEqual(wrote, sorted(p for p in outputs_of(self.content)
                                       if p.startswith("fr/")))

    def test_glossary_and_references(self):
        self.edit("ja/glossary.yaml")
        _, wrote, _ = self.rebuilt()
        self.assertEqual(wrote, ["ja/all.pdf", "ja/glossary.pdf"])
        self.edit("references.yaml")
        _, wrote, _ = self.rebuilt()
        self.assertEqual(wrote, sorted(p for p in outputs_of(self.content)
                                       if not p.endswith("/glossary.pdf")))

    def test_deleted_or_edited_output(self):
        os.unlink(os.path.join(self.out, "en", "glossary.pdf"))
        with open(os.path.join(self.out, "hi", "sunitinib.pdf"), "ab") as f:
            f.write(b"%% edited by hand\n")
        news, wrote, _ = self.rebuilt()
        self.assertEqual(wrote, ["en/glossary.pdf", "hi/sunitinib.pdf"])
        self.assertEqual(news, ["en/glossary.pdf", "hi/sunitinib.pdf"])
        same_tree(self, Builds.whole(1)[0], self.out)

    def test_force(self):
        news, wrote, _ = self.rebuilt("--force")
        self.assertEqual(wrote, sorted(outputs_of(self.content)))
        self.assertEqual(set(news), outputs_of(self.content))

    def test_other_options_rebuild(self):
        _, wrote, _ = self.rebuilt("--paper", "a4")
        self.assertEqual(wrote, sorted(outputs_of(self.content)))
        _, wrote, _ = self.rebuilt("--paper", "a4")
        self.assertEqual(wrote, [])
        _, wrote, _ = self.rebuilt()
        self.assertEqual(wrote, sorted(outputs_of(self.content)))

    def test_another_binary_or_other_fonts_rebuild(self):
        # the same version, another link: a pdfgen rebuilt during development
        # (the linker's build ID stands for the program; without one, its bytes)
        other = os.path.join(TMP, "pdfgen-other")
        with open(PDFGEN, "rb") as f:
            data = bytearray(f.read())
        notes = subprocess.run(["readelf", "-n", PDFGEN], capture_output=True, text=True).stdout
        m = re.search(r"Build ID: ([0-9a-f]+)", notes)
        if m:
            at = data.index(bytes.fromhex(m.group(1)))
            data[at] ^= 1
        else:
            data += b"\0"
        with open(other, "wb") as f:
            f.write(data)
        os.chmod(other, 0o755)
        r = subprocess.run([other, "build", "--content", self.content, "--out", self.out],
                           capture_output=True, text=True, check=True)
        self.assertEqual(sorted(p for p, _ in progress(r.stderr, self.out)),
                         sorted(outputs_of(self.content)))
        _, wrote, _ = self.rebuilt()
        self.assertEqual(wrote, sorted(outputs_of(self.content)))
        # one more font folder: the font fontconfig picks may change
        fonts = os.path.join(TMP, "more-fonts")
        os.makedirs(fonts, exist_ok=True)
        shutil.copyfile("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                        os.path.join(fonts, "Extra.ttf"))
        conf = os.path.join(fonts, "fonts.conf")
        with open(conf, "w") as f:
            # its cache goes first to its own folder, not the system's
            f.write('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    '<cachedir>%s</cachedir>'
                    '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
                    '<dir>%s</dir></fontconfig>' % (fonts, fonts))
        r = pdfgen("build", "--content", self.content, "--out", self.out,
                   env=dict(os.environ, FONTCONFIG_FILE=conf))
        self.assertEqual(sorted(p for p, _ in progress(r.stderr, self.out)),
                         sorted(outputs_of(self.content)))

    def test_filtered_build_keeps_the_rest_of_the_manifest(self):
        self.edit("vi/belzutifan.yaml")
        r = pdfgen("build", "--content", self.content, "--out", self.out, "--lang", "vi",
                   "--drug", "belzutifan")
        self.assertEqual(sorted(p for p, _ in progress(r.stderr, self.out)),
                         ["vi/belzutifan.pdf"])
        with open(os.path.join(self.out, "manifest.json")) as f:
            paths = {o["path"] for o in json.load(f)["outputs"]}
        self.assertEqual(paths, outputs_of(self.content))
        _, wrote, _ = self.rebuilt()
        self.assertEqual(wrote, ["vi/all.pdf"])

    def test_makefile_second_make(self):
        """The Makefile's sheets rule runs `pdfgen build` into out/: with
        nothing changed, nothing is written."""
        with open(os.path.join(ROOT, "Makefile")) as f:
            rule = re.search(r"^run-sheets:.*\n\t(.*)$", f.read(), re.M).group(1)
        self.assertIn("build", rule)
        self.assertNotIn("--force", rule)


class Shards(unittest.TestCase):
    def test_shards_merge_to_the_whole_build(self):
        whole, _ = Builds.whole(1)
        union = os.path.join(TMP, "union")
        os.makedirs(union)
        seen = set()
        parts = []
        for k in (1, 2, 3):
            out = os.path.join(TMP, "shard%d" % k)
            r = pdfgen("build", "--shard", "%d/3" % k, "--content", CONTENT, "--out", out)
            self.assertFalse(os.path.exists(os.path.join(out, "index.html")))
            self.assertFalse(os.path.exists(os.path.join(out, "manifest.json")))
            mine = {p for p, _ in progress(r.stderr, out)}
            self.assertTrue(mine, "shard %d/3 built nothing" % k)
            self.assertFalse(mine & seen, "shards overlap")
            seen |= mine
            # the same shard again: the same part (deterministic), nothing to do
            again = pdfgen("build", "--shard", "%d/3" % k, "--content", CONTENT, "--out", out)
            self.assertIn("nothing to do", again.stderr)
            part = os.path.join(out, "manifest.%d-of-3.json" % k)
            with open(part) as f:
                self.assertEqual({o["path"] for o in json.load(f)["outputs"]}, mine)
            shutil.copytree(out, union, dirs_exist_ok=True)
            parts.append(os.path.join(union, "manifest.%d-of-3.json" % k))
        self.assertEqual(seen, outputs_of(CONTENT))
        r = pdfgen("manifest", "--merge", *parts, "--content", CONTENT, "--out", union)
        for p in parts:
            os.unlink(p)
        same_tree(self, whole, union)

    def test_a_shard_with_nothing_to_build(self):
        """More shards than outputs: a shard with none writes an empty
        part into a new folder (it used to fail: "cannot write
        'out/manifest.2-of-2.json': No such file or directory"), and the
        parts merge."""
        union = os.path.join(TMP, "empty-shard-union")
        os.makedirs(union)
        parts = []
        for k in (1, 2):
            out = os.path.join(TMP, "empty-shard-%d" % k, "new")
            pdfgen("build", "--shard", "%d/2" % k, "--lang", "en", "--drug", "sunitinib",
                   "--content", CONTENT, "--out", out)
            shutil.copytree(out, union, dirs_exist_ok=True)
            parts.append(os.path.join(union, "manifest.%d-of-2.json" % k))
        sizes = [len(json.loads(read(p))["outputs"]) for p in parts]
        self.assertEqual(sorted(sizes), [0, 1])
        pdfgen("manifest", "--merge", *parts, "--content", CONTENT, "--out", union)
        with open(os.path.join(union, "manifest.json")) as f:
            self.assertEqual([o["path"] for o in json.load(f)["outputs"]], ["en/sunitinib.pdf"])

    def test_merge_into_no_folder(self):
        """--out a folder that is not there (mistyped, or the shards not
        copied yet): it used to say only "cannot write
        'nope/manifest.json': No such file or directory"."""
        out = os.path.join(TMP, "merge-nowhere")
        pdfgen("build", "--quiet", "--shard", "2/2", "--lang", "en", "--drug", "sunitinib",
               "--content", CONTENT, "--out", out)
        part = os.path.join(out, "manifest.2-of-2.json")
        for where in (os.path.join(TMP, "merge-nowhere", "nope"), part):
            r = pdfgen("manifest", "--merge", part, "--content", CONTENT, "--out", where,
                       check=False)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stderr, "pdfgen: error: cannot merge into '%s': %s; copy every "
                             "shard's output folder into one folder and give it with --out\n"
                             % (where, "no such folder" if where != part else "Not a directory"))
            self.assertFalse(os.path.exists(os.path.join(where, "manifest.json")))

    def test_merge_checks_the_files(self):
        out = os.path.join(TMP, "merge-bad")
        pdfgen("build", "--quiet", "--shard", "1/2", "--content", CONTENT, "--out", out)
        part = os.path.join(out, "manifest.1-of-2.json")
        with open(part) as f:
            first = json.load(f)["outputs"][0]["path"]
        with open(os.path.join(out, first), "ab") as f:
            f.write(b"\n")
        r = pdfgen("manifest", "--merge", part, "--content", CONTENT, "--out", out, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not the file its manifest describes", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "manifest.json")))
        # a part alone is no whole build: a manifest, but no catalog page
        pdfgen("build", "--quiet", "--force", "--shard", "1/2", "--content", CONTENT,
               "--out", out)
        r = pdfgen("manifest", "--merge", part, "--content", CONTENT, "--out", out)
        self.assertIn("not a whole build", r.stderr)
        self.assertTrue(os.path.exists(os.path.join(out, "manifest.json")))
        self.assertFalse(os.path.exists(os.path.join(out, "index.html")))


class Hostile(unittest.TestCase):
    """Manifests edited by hand or made to mislead: never trusted blindly."""

    def setUp(self):
        self.out = os.path.join(TMP, "hostile-" + self._testMethodName)
        shutil.rmtree(self.out, ignore_errors=True)

    def small_build(self, *extra):
        return pdfgen("build", "--quiet", "--lang", "fr", "--drug", "sunitinib",
                      "--content", CONTENT, "--out", self.out, *extra)

    def test_paths_outside_the_folder(self):
        self.small_build()
        outside = os.path.join(TMP, "outside.txt")
        with open(outside, "w") as f:
            f.write("not an output\n")
        digest = hashlib.sha256(read(outside)).hexdigest()
        manifest = os.path.join(self.out, "manifest.json")
        with open(manifest) as f:
            good = f.read()
        for path in ("../outside.txt", outside, "fr/../../outside.txt", "./fr/sunitinib.pdf"):
            line = ('    {"path": "%s", "pages": 1, "bytes": 14, "sha256": "%s", '
                    '"build": {}, "key": "k"},\n' % (path, digest))
            hostile = good.replace('  "outputs": [\n', '  "outputs": [\n' + line)
            part = os.path.join(TMP, "part.json")
            with open(part, "w") as f:
                f.write(hostile)
            os.unlink(manifest)
            r = pdfgen("manifest", "--merge", part, "--content", CONTENT, "--out", self.out,
                       check=False)
            self.assertEqual(r.returncode, 1, path)
            self.assertRegex(r.stderr, r"^pdfgen: error: .*outside the output folder", path)
            self.assertFalse(os.path.exists(manifest), path)
            # an incremental build does not carry the line over
            with open(manifest, "w") as f:
                f.write(hostile)
            self.small_build()
            self.assertNotIn(path, read(manifest).decode(), path)
            self.assertEqual(read(outside), b"not an output\n")

    def test_merge_parts_of_other_builds(self):
        parts = [os.path.join(self.out, "manifest.%d-of-2.json" % k) for k in (1, 2)]
        manifest = os.path.join(self.out, "manifest.json")
        for paper in ("letter", "a4"):
            pdfgen("build", "--quiet", "--lang", "fr", "--shard", "1/2", "--content", CONTENT,
                   "--out", self.out)
            pdfgen("build", "--quiet", "--lang", "fr", "--shard", "2/2", "--paper", paper,
                   "--content", CONTENT, "--out", self.out)
            r = pdfgen("manifest", "--merge", *parts, "--content", CONTENT, "--out", self.out,
                       check=False)
            if paper == "letter":
                self.assertEqual(r.returncode, 0, r.stderr)
                os.unlink(manifest)
                continue
            self.assertEqual(r.returncode, 1, paper)
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
            self.assertRegex(r.stderr, r"^pdfgen: error: .*2-of-2.json' has .* built with "
                             r"other settings than .*1-of-2.json'")
            self.assertFalse(os.path.exists(manifest))

    def test_merge_names_only_outputs_of_the_content(self):
        self.small_build()
        manifest = os.path.join(self.out, "manifest.json")
        good = read(manifest).decode()
        shutil.copy(os.path.join(self.out, "fr", "sunitinib.pdf"),
                    os.path.join(self.out, "fr", "extra.pdf"))
        # a line as pdfgen writes it, for a file this content never makes
        line = next(l for l in good.splitlines() if '"path": "fr/sunitinib.pdf"' in l)
        extra = line.strip().rstrip(",").replace("fr/sunitinib.pdf", "fr/extra.pdf")
        part = os.path.join(TMP, "part.json")
        with open(part, "w") as f:
            f.write(good.replace('  "outputs": [\n', '  "outputs": [\n    %s,\n' % extra))
        os.unlink(manifest)
        r = pdfgen("manifest", "--merge", part, "--content", CONTENT, "--out", self.out,
                   check=False)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "pdfgen: error: '%s' has 'fr/extra.pdf', which is not an "
                         "output of this content\n" % part)
        self.assertFalse(os.path.exists(manifest))

    def test_merge_refuses_what_is_no_manifest(self):
        """A README, an empty file or a part with a line of another shape:
        merged, they used to pass as parts of no output (exit 0), and the
        folder's manifest.json was replaced by an empty one."""
        self.small_build()
        manifest = os.path.join(self.out, "manifest.json")
        good = read(manifest)
        lines = good.decode().split("\n")
        for name, text in (("readme", read(os.path.join(ROOT, "README.md")).decode()),
                           ("empty", ""),
                           ("no-header", "\n".join(l for l in lines if '"manifest"' not in l)),
                           ("stray-line", "\n".join(lines[:4] + ["    garbage"] + lines[4:]))):
            with self.subTest(part=name):
                part = os.path.join(TMP, "part-%s.json" % name)
                with open(part, "w") as f:
                    f.write(text)
                r = pdfgen("manifest", "--merge", part, "--content", CONTENT, "--out", self.out,
                           check=False)
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn("pdfgen: error: '%s' is no manifest of pdfgen's" % part, r.stderr)
                self.assertEqual(read(manifest), good)
        # the manifest itself is one
        shutil.copy(manifest, os.path.join(TMP, "whole.json"))
        pdfgen("manifest", "--merge", os.path.join(TMP, "whole.json"), "--content", CONTENT,
               "--out", self.out)
        self.assertEqual(read(manifest), good)

    def test_merge_refuses_lines_that_are_no_json(self):
        self.small_build()
        manifest = os.path.join(self.out, "manifest.json")
        good = read(manifest).decode()
        part = os.path.join(TMP, "json-part.json")
        for title in ('"Sun"itinib', '"Sun\\xitinib', '"Sun\\u00zzitinib',
                      'null, "x": {"Sunitinib'):
            with open(part, "w") as f:
                f.write(good.replace('"title": "Sunitinib', '"title": ' + title, 1))
            os.unlink(manifest)
            r = pdfgen("manifest", "--merge", part, "--content", CONTENT, "--out", self.out,
                       check=False)
            self.assertEqual(r.returncode, 1, title)
            self.assertIn("has outputs that are not as pdfgen writes them", r.stderr)
            self.assertFalse(os.path.exists(manifest))
            shutil.copy(part, manifest)
            self.small_build()
            with open(manifest) as f:
                json.load(f)

    def test_unusable_folder_builds_nothing(self):
        os.makedirs(self.out)
        open(os.path.join(self.out, "fr"), "w").close()
        r = pdfgen("build", "-j", "2", "--lang", "es", "--lang", "fr", "--content", CONTENT,
                   "--out", self.out, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("pdfgen: error: cannot open folder '%s/fr'" % self.out, r.stderr)
        # no sheet of another language reported written, then thrown away
        self.assertNotIn("wrote", r.stderr)
        self.assertEqual(files_in(self.out), {"fr": os.path.join(self.out, "fr")})

    def test_folder_where_an_output_goes_builds_nothing(self):
        """A folder at out/fr/everolimus.pdf, out/manifest.json or
        out/index.html: the build used to rename the sheets into place and
        then fail, the sheets new (or half new, half old) and exit 1.  The
        summary line says what failed: it used to say '1 sheet failed'."""
        for rel, langs, summary in (
                ("fr/everolimus.pdf", ["--lang", "fr"], "pdfgen: the output folder failed\n"),
                ("manifest.json", ["--lang", "fr"], "pdfgen: the manifest failed\n"),
                ("index.html", [], "pdfgen: the catalog page failed\n")):
            with self.subTest(rel=rel):
                shutil.rmtree(self.out, ignore_errors=True)
                pdfgen("build", "--quiet", *langs, "--content", CONTENT, "--out", self.out)
                os.unlink(os.path.join(self.out, rel))
                os.makedirs(os.path.join(self.out, rel, "x"))
                before = {rel: read(path) for rel, path in files_in(self.out).items()}
                for jobs in ("1", "2"):
                    r = pdfgen("build", "--force", "-j", jobs, *langs, "--content", CONTENT,
                               "--out", self.out, "--paper", "a4", check=False)
                    self.assertEqual(r.returncode, 1, r.stderr)
                    self.assertIn("pdfgen: error: cannot write '%s/%s': Is a directory"
                                  % (self.out, rel), r.stderr)
                    self.assertNotIn("wrote", r.stderr)
                    self.assertTrue(r.stderr.endswith(summary), r.stderr)
                    self.assertEqual({rel: read(path) for rel, path in files_in(self.out).items()},
                                     before)

    def test_fifo_in_the_output_folder(self):
        self.small_build()
        good = read(os.path.join(self.out, "manifest.json"))
        for rel in ("manifest.json", "fr/sunitinib.pdf"):
            path = os.path.join(self.out, rel)
            os.unlink(path)
            os.mkfifo(path)
            # opened for reading, a FIFO blocked the build for good
            pdfgen("build", "--quiet", "--lang", "fr", "--drug", "sunitinib", "--content",
                   CONTENT, "--out", self.out, timeout=60)
            self.assertTrue(os.path.isfile(path), rel)
            self.assertEqual(read(os.path.join(self.out, "manifest.json")), good, rel)
        part = os.path.join(TMP, "fifo-part.json")
        os.mkfifo(part)
        r = pdfgen("manifest", "--merge", part, "--content", CONTENT, "--out", self.out,
                   check=False, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "pdfgen: error: cannot read '%s': not a regular file\n"
                         % part)

    def test_hand_edited_line_is_not_kept(self):
        self.small_build()
        manifest = os.path.join(self.out, "manifest.json")
        good = read(manifest).decode()
        for old, new in (('"review": "draft"', '"review": "reviewed"'),
                         ('"kind": "sheet"', '"kind": "glossary"'),
                         ('{"path": "fr/strings.yaml"', '{"path": "fr/other.yaml"'),
                         ('"pages": 3,', '"pages": 03,'),
                         # the title: only one JSON string (the manifest stays JSON)
                         ('"title": "Sunitinib', '"title": "Sun"itinib'),
                         ('"title": "Sunitinib', '"title": "Sun\\xitinib'),
                         ('"title": "Sunitinib', '"title": "Sun\\u00zzitinib'),
                         ('"title": "Sunitinib', '"title": "Sun\titinib')):
            self.assertIn(old, good)
            with open(manifest, "w") as f:
                f.write(good.replace(old, new))
            r = self.small_build()
            self.assertNotIn("nothing to do", r.stderr, new)
            self.assertEqual(read(manifest).decode(), good, new)


class Interrupted(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.content = os.path.join(TMP, "synthetic")
        bench_synthetic.generate(CONTENT, cls.content, 24, ["en", "es", "ja"])
        cls.out = os.path.join(TMP, "interrupted")
        pdfgen("build", "--quiet", "-j", "2", "--content", cls.content, "--out", cls.out)

    def interrupt(self, kill):
        before = {rel: read(p) for rel, p in files_in(self.out).items()}
        stamps = file_stamps(self.out)
        p = subprocess.Popen([PDFGEN, "build", "--force", "-j", "2", "--content", self.content,
                              "--out", self.out], stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
        # a few sheets written to their temporary files, the rest to come
        lines = []
        while len(lines) < 4:
            line = p.stderr.readline()
            if not line:
                break
            lines.append(line)
        self.assertEqual(len(lines), 4, "the build ended before it could be interrupted")
        kill(p)
        p.stderr.read()
        p.stderr.close()
        p.wait()
        # workers that outlive the parent for a moment
        for _ in range(100):
            if subprocess.run(["pgrep", "-s", str(p.pid)], capture_output=True).returncode:
                break
            time.sleep(0.05)
        self.assertEqual(temporaries(self.out), [])
        after = {rel: read(p) for rel, p in files_in(self.out).items()}
        self.assertEqual(sorted(after), sorted(before))
        for rel in before:
            self.assertEqual(after[rel], before[rel], rel)
        self.assertEqual(file_stamps(self.out), stamps)
        return p.returncode

    def test_sigint_to_the_group(self):
        rc = self.interrupt(lambda p: os.killpg(p.pid, signal.SIGINT))
        self.assertEqual(rc, -signal.SIGINT)

    def test_sigterm_to_the_parent(self):
        rc = self.interrupt(lambda p: p.send_signal(signal.SIGTERM))
        self.assertEqual(rc, -signal.SIGTERM)


def main():
    global PDFGEN, TMP
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdfgen", required=True)
    args, rest = parser.parse_known_args()
    PDFGEN = os.path.abspath(args.pdfgen)
    TMP = tempfile.mkdtemp(prefix="pdfgen-build-")
    try:
        result = unittest.main(module="__main__", argv=[sys.argv[0], "-v"] + rest,
                               exit=False).result
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    print("build: %s" % ("OK" if result.wasSuccessful() else "FAILED"))
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
