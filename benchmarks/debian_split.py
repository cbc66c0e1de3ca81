#!/usr/bin/env python3
"""Writes the records of one split of the Debian descriptions (JSONL, gzip or not) to a gzip JSONL
file, in their order: the test split the workloads benchmark reads (tools/gpu-pack.sh packs it for the
GPU machine; tools/gpu-workloads.sh gives it to `elattn summarize --input`).

Usage: python3 benchmarks/debian_split.py SOURCE OUT.jsonl.gz [--split test] [--limit N]
"""
import argparse
import gzip
import json


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source")
    ap.add_argument("out")
    ap.add_argument("--split", default="test")
    ap.add_argument("--limit", type=int, default=0, help="only the first N records of the split (0: all)")
    args = ap.parse_args()
    with open(args.source, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    rows = []
    with (gzip.open if gzipped else open)(args.source, "rt", encoding="utf-8") as src:
        for line in src:
            if line.strip() and json.loads(line).get("split") == args.split:
                rows.append(line)
    with gzip.open(args.out, "wt", encoding="utf-8") as dst:
        dst.writelines(rows[:args.limit] if args.limit else rows)


if __name__ == "__main__":
    main()
