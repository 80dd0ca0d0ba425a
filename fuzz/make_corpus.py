#!/usr/bin/python3
"""Makes the seed corpora in fuzz/corpus/ from the real content and real
font tables (run from the repository root; the output is committed).

content/: each harness slot (first byte) with the real file it stands for,
          plus other languages' files in those slots.
text/:    distinct text values of every language's strings.yaml and one
          drug sheet, and every reference.
cff/:     the 'CFF ' table of small hb-subset subsets of Noto Sans CJK
          (Japanese, Korean, Simplified and Traditional Chinese faces), so
          the seeds are real CID-keyed tables of a few kilobytes."""
import hashlib
import os
import struct
import subprocess
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTENT = os.path.join(ROOT, "content")
OUT = os.path.join(ROOT, "fuzz", "corpus")
SLOTS = ["references.yaml", "en/strings.yaml", "en/sunitinib.yaml", "en/everolimus.yaml",
         "ar/strings.yaml", "ar/sunitinib.yaml", "ar/everolimus.yaml"]


def save(harness, data):
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(OUT, harness, name), "wb") as f:
        f.write(data)


def strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for x in node:
            yield from strings(x)
    elif isinstance(node, dict):
        for x in node.values():
            yield from strings(x)


def content():
    for i, rel in enumerate(SLOTS):
        with open(os.path.join(CONTENT, rel), "rb") as f:
            save("content", bytes([i]) + f.read())
    for lang in ("ja", "hi", "ht"):
        for i, name in ((1, "strings.yaml"), (2, "belzutifan.yaml")):
            with open(os.path.join(CONTENT, lang, name), "rb") as f:
                save("content", bytes([i]) + f.read())


def text():
    seen = set()
    files = [os.path.join(CONTENT, "references.yaml")]
    for lang in sorted(os.listdir(CONTENT)):
        if os.path.isdir(os.path.join(CONTENT, lang)):
            files += [os.path.join(CONTENT, lang, "strings.yaml"),
                      os.path.join(CONTENT, lang, "sunitinib.yaml")]
    for path in files:
        with open(path, encoding="utf-8") as f:
            for s in strings(yaml.safe_load(f)):
                if s not in seen and len(s) > 3:
                    seen.add(s)
                    save("text", s.encode("utf-8"))


def cff_table(font):
    data = open(font, "rb").read()
    tables = struct.unpack(">H", data[4:6])[0]
    for i in range(tables):
        tag, _, offset, length = struct.unpack(">4sIII", data[12 + 16 * i:28 + 16 * i])
        if tag == b"CFF ":
            return data[offset:offset + length]
    raise ValueError("no CFF table in " + font)


def cff():
    font = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
    samples = {0: "日本語のテキスト", 1: "한국어 텍스트", 2: "简体中文文本", 3: "繁體中文文本", 4: "AB"}
    with tempfile.TemporaryDirectory() as tmp:
        for face, text in samples.items():
            out = os.path.join(tmp, "s.otf")
            subprocess.run(["hb-subset", "--face-index=%d" % face, "--text=" + text,
                            "--output-file=" + out, font], check=True)
            save("cff", cff_table(out))


if __name__ == "__main__":
    for h in ("content", "text", "cff"):
        os.makedirs(os.path.join(OUT, h), exist_ok=True)
    content()
    text()
    cff()
