#!/usr/bin/env python3
"""Merges the generation benchmark's JSON (GenerationBenchmark) and the HF baseline's (hf_baseline.py),
both from one run on one GPU, into the markdown table of docs/benchmarks.md: samples/s (peak GiB)
per shape and batch, with the ratios issue 5 sets targets for.

Usage: python3 benchmarks/merge_results.py ours.json hf.json [ours-opencl.json] > table.md
"""
import json
import sys


def cell(r):
    if r is None:
        return "-"
    if r.get("status") in ("ok", "timeout") and r.get("samples_per_s"):
        gib = r.get("peak_gib", r.get("peak_device_bytes", 0) / 2**30)
        mark = " (projected)" if r["status"] == "timeout" else ""
        return f"{r['samples_per_s']:.2f}{mark} ({gib:.1f})"
    return r.get("status", "-").replace("_", " ")


def main():
    ours = [json.load(open(p)) for p in sys.argv[1:2] + sys.argv[3:]]
    hf = json.load(open(sys.argv[2]))
    ours_cols = []
    for o in ours:
        for mode in ("el", "mha"):
            ours_cols.append((f"ours {mode} fp32, {o['device']}", o, mode))
    hf_cols = [("HF stock fp16", "float16", False), ("HF + EL fp16", "float16", True),
               ("HF stock fp32", "float32", False), ("HF + EL fp32", "float32", True)]
    shapes = []
    for o in ours:
        for r in o["runs"]:
            if r["shape"] not in shapes:
                shapes.append(r["shape"])
    print(f"Same run, same GPU ({hf['device']}; transformers {hf['transformers']}, torch {hf['torch']}): "
          "samples/s (peak device GiB).\n")
    for shape in shapes:
        batches = sorted({r["batch"] for o in ours for r in o["runs"] if r["shape"] == shape}
                         | {r["batch"] for r in hf["runs"] if r["shape"] == shape})
        cols = [c[0] for c in ours_cols] + [c[0] for c in hf_cols]
        print(f"**{shape}**\n")
        print("| batch | " + " | ".join(cols) + " | el / mha | el / HF stock fp16 |")
        print("|---" * (len(cols) + 3) + "|")
        for b in batches:
            cells, el, mha = [], None, None
            for _, o, mode in ours_cols:
                r = next((r for r in o["runs"] if r["shape"] == shape and r["batch"] == b and r["mode"] == mode), None)
                cells.append(cell(r))
                if o is ours[0] and r and r.get("samples_per_s"):
                    el, mha = (r["samples_per_s"], mha) if mode == "el" else (el, r["samples_per_s"])
            stock16 = None
            for _, dtype, is_el in hf_cols:
                r = next((r for r in hf["runs"] if r["shape"] == shape and r["batch"] == b and r["dtype"] == dtype
                          and r["el"] == is_el), None)
                cells.append(cell(r))
                if r and dtype == "float16" and not is_el and r.get("samples_per_s"):
                    stock16 = r["samples_per_s"]
            ratio = lambda x, y: f"{x / y:.2f}x" if x and y else "-"
            print(f"| {b} | " + " | ".join(cells) + f" | {ratio(el, mha)} | {ratio(el, stock16)} |")
        for o in ours:
            for s in o.get("largest_batch", []):
                if s["shape"] == shape:
                    bound = "" if s["complete"] else "at least "
                    print(f"\nLargest batch, ours {s['mode']} on {o['device']}: {bound}{s['largest_batch']}"
                          f" ({s['reason']})")
        print()


if __name__ == "__main__":
    main()
