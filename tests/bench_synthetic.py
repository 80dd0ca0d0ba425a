#!/usr/bin/python3
"""Writes a synthetic content folder for `make bench`: N drugs in a few
languages (default 1,000 drugs in en, es and ja), made from the real
content's shape.

Drug i is a copy of one of the real drug files of the language (sunitinib,
everolimus and belzutifan in turn, so the mix of sheet shapes stays the
real one: belzutifan's extra section included) with its id, name, url and
every mention of the name replaced by a made-up name of the same length
built from the same suffix ("Bacetinib", "Bacelimus", "Bacetifan", ...).
Every language gets the same drugs, as `pdfgen check` requires;
references.yaml and each language's strings.yaml and glossary.yaml are
copied unchanged.  Validate the result with `pdfgen check --content DIR`.

    tests/bench_synthetic.py --out /tmp/synth [--drugs 1000] [--langs en,es,ja]
"""
import argparse
import os
import re
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Two-letter syllables: a made-up name keeps the length of the real one.
SYLLABLES = ["ba", "ce", "da", "fe", "ga", "ho", "ka", "lu", "ma", "no",
             "pa", "ri", "sa", "to", "va", "zo", "be", "di", "mo", "ru"]


def real_drugs(content, lang):
    """The real drug ids of a language (its *.yaml but strings and glossary)."""
    folder = os.path.join(content, lang)
    return sorted(f[:-5] for f in os.listdir(folder)
                  if f.endswith(".yaml") and f not in ("strings.yaml", "glossary.yaml"))


def synthetic_id(i, template):
    """Drug i's id: syllables counting i // len(templates), then the last
    letters of the template id, so that ids sort and read like drug names."""
    n, digits = i, []
    for _ in range(2):
        n, r = divmod(n, len(SYLLABLES))
        digits.append(SYLLABLES[r])
    while n:
        n, r = divmod(n, len(SYLLABLES))
        digits.append(SYLLABLES[r])
    prefix = "".join(reversed(digits))
    return prefix + template[len(prefix):] if len(template) > len(prefix) + 2 else prefix + template


def drug_text(text, template, new_id):
    """The template's YAML with its id, name and url made new_id's."""
    name, new_name = template.capitalize(), new_id.capitalize()
    text = re.sub(r"(?m)^id: .*$", "id: " + new_id, text)
    text = text.replace(name, new_name).replace(template, new_id)
    return text


def generate(content, out, drugs, langs):
    """Writes out/references.yaml and out/<lang>/ for each lang; returns the
    drug ids written (the same in every language)."""
    templates = None
    for lang in langs:
        found = real_drugs(content, lang)
        if not found:
            raise SystemExit("bench_synthetic: %s/%s has no drug files" % (content, lang))
        if templates is not None and found != templates:
            raise SystemExit("bench_synthetic: the languages have different drugs")
        templates = found
    os.makedirs(out, exist_ok=True)
    if os.listdir(out):
        raise SystemExit("bench_synthetic: %s is not empty" % out)
    shutil.copyfile(os.path.join(content, "references.yaml"), os.path.join(out, "references.yaml"))
    ids = []
    for i in range(drugs):
        template = templates[i % len(templates)]
        ids.append((synthetic_id(i // len(templates), template), template))
    if len({i for i, _ in ids}) != len(ids):
        raise SystemExit("bench_synthetic: made-up ids collide")
    for lang in langs:
        src, dst = os.path.join(content, lang), os.path.join(out, lang)
        os.makedirs(dst)
        for f in ("strings.yaml", "glossary.yaml"):
            if os.path.exists(os.path.join(src, f)):
                shutil.copyfile(os.path.join(src, f), os.path.join(dst, f))
        sources = {}
        for t in templates:
            with open(os.path.join(src, t + ".yaml"), encoding="utf-8") as fh:
                sources[t] = fh.read()
        for n, (new_id, template) in enumerate(ids):
            with open(os.path.join(dst, new_id + ".yaml"), "w", encoding="utf-8") as fh:
                fh.write("# synthetic drug %d for `make bench`, made from %s/%s.yaml "
                         "by tests/bench_synthetic.py\n" % (n + 1, lang, template))
                fh.write(drug_text(sources[template], template, new_id))
    return [i for i, _ in ids]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", default=os.path.join(ROOT, "content"),
                        help="the real content folder to copy from (default: content)")
    parser.add_argument("--out", required=True, help="folder to write (new or empty)")
    parser.add_argument("--drugs", type=int, default=1000, help="drugs per language (default 1000)")
    parser.add_argument("--langs", default="en,es,ja", help="comma-separated (default en,es,ja)")
    args = parser.parse_args()
    if args.drugs < 1:
        parser.error("--drugs must be at least 1")
    ids = generate(args.content, args.out, args.drugs, args.langs.split(","))
    print("bench_synthetic: wrote %d drugs x %d languages to %s (%s ... %s)"
          % (len(ids), len(args.langs.split(",")), args.out, ids[0], ids[-1]), file=sys.stderr)


if __name__ == "__main__":
    main()
