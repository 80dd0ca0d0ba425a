#!/usr/bin/python3
"""Where a PDF's bytes go: stored stream bytes by kind (content streams,
font programs, ToUnicode, XMP, object streams, cross-reference) plus the
file's own syntax, and inside the object streams the uncompressed bytes
by kind of object, with each kind's share of the compressed stream
(what the stream loses, compressed alone at zlib 9, without that kind).

    tests/size_breakdown.py PDF... [--objects]

With several PDFs, one line per file and a total; --objects adds the
object-stream breakdown per file.  A tool for measuring, not a test.
"""
import argparse
import collections
import sys
import zlib

import pikepdf

STREAM_KINDS = ["content", "font", "tounicode", "xmp", "objstm", "xref", "other"]
OBJ_KINDS = ["struct", "parenttree", "font", "fontdesc", "annot", "page", "outline",
             "catalog", "info", "other"]


def name(d, key):
    v = d.get(key)
    return str(v) if v is not None else None


def stream_kinds(pdf):
    """Object number -> kind, for the streams reachable by role."""
    kinds = {}
    for page in pdf.pages:
        c = page.obj.get("/Contents")
        for s in (c if isinstance(c, pikepdf.Array) else [c] if c is not None else []):
            kinds[s.objgen[0]] = "content"
    for o in pdf.objects:
        if not isinstance(o, pikepdf.Dictionary) or isinstance(o, pikepdf.Stream):
            continue
        for key in ("/FontFile", "/FontFile2", "/FontFile3"):
            if key in o:
                kinds[o[key].objgen[0]] = "font"
        if "/ToUnicode" in o:
            kinds[o["/ToUnicode"].objgen[0]] = "tounicode"
    return kinds


BY_TYPE = {"/StructElem": "struct", "/StructTreeRoot": "struct", "/Font": "font",
           "/FontDescriptor": "fontdesc", "/Annot": "annot", "/Page": "page",
           "/Pages": "page", "/Outlines": "outline", "/Catalog": "catalog"}
# objects without /Type, by the keys only their kind has
BY_KEYS = [(("/S", "/P"), "struct"), (("/Nums",), "parenttree"), (("/Limits",), "parenttree"),
           (("/Title", "/Parent"), "outline"), (("/CreationDate",), "info")]


def classify_object(o):
    if not isinstance(o, pikepdf.Dictionary) or isinstance(o, pikepdf.Stream):
        return "other"
    kind = BY_TYPE.get(name(o, "/Type"))
    for keys, by_keys in BY_KEYS:
        if kind is None and all(k in o for k in keys):
            kind = by_keys
    return kind or "other"


def objstm_objects(pdf, stm):
    data = stm.read_bytes()
    first, n = int(stm.stream_dict["/First"]), int(stm.stream_dict["/N"])
    head = data[:first].split()
    nums = [int(head[2 * i]) for i in range(n)]
    offs = [int(head[2 * i + 1]) + first for i in range(n)] + [len(data)]
    return data, [(nums[i], data[offs[i]:offs[i + 1]]) for i in range(n)]


def breakdown(path):
    raw = open(path, "rb").read()
    pdf = pikepdf.open(path)
    roles = stream_kinds(pdf)
    streams = collections.Counter()
    objs = collections.Counter()
    objs_compressed = collections.Counter()
    for o in pdf.objects:
        if not isinstance(o, pikepdf.Stream):
            continue
        t = name(o.stream_dict, "/Type")
        n = len(o.read_raw_bytes())
        if t == "/ObjStm":
            kind = "objstm"
            data, members = objstm_objects(pdf, o)
            first = int(o.stream_dict["/First"])
            parts = collections.defaultdict(list)
            for num, text in members:
                k = classify_object(pdf.get_object((num, 0)))
                objs[k] += len(text)
                parts[k].append(text)
            whole = len(zlib.compress(data, 9))
            for k in parts:
                rest = data[:first] + b"".join(
                    t for kk, texts in parts.items() if kk != k for t in texts)
                objs_compressed[k] += whole - len(zlib.compress(rest, 9))
            objs["header"] += int(o.stream_dict["/First"])
        elif t == "/XRef":
            kind = "xref"
        elif t == "/Metadata":
            kind = "xmp"
        else:
            kind = roles.get(o.objgen[0], "other")
        streams[kind] += n
    streams["syntax"] = len(raw) - sum(streams.values())
    return len(raw), streams, objs, objs_compressed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pdfs", nargs="+")
    ap.add_argument("--objects", action="store_true")
    args = ap.parse_args()
    cols = STREAM_KINDS + ["syntax"]
    print("%-34s %7s " % ("file", "bytes") + " ".join("%9s" % c for c in cols))
    total = collections.Counter()
    total_bytes = 0
    for p in args.pdfs:
        size, streams, objs, objs_c = breakdown(p)
        total_bytes += size
        total.update(streams)
        print("%-34s %7d " % (p[-34:], size) + " ".join("%9d" % streams[c] for c in cols))
        if args.objects:
            print("    object stream, uncompressed (compressed share):")
            for k in OBJ_KINDS + ["header"]:
                if objs[k]:
                    print("      %-11s %6d (%5d)" % (k, objs[k], objs_c.get(k, 0)))
    if len(args.pdfs) > 1:
        print("%-34s %7d " % ("total", total_bytes) + " ".join("%9d" % total[c] for c in cols))
    return 0


if __name__ == "__main__":
    sys.exit(main())
