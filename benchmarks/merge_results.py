#!/usr/bin/env python3
"""Merges the generation benchmark's JSON (GenerationBenchmark) and the HF baseline's (hf_baseline.py),
both from one run on one GPU, into the markdown table of docs/benchmarks.md: samples/s (peak GiB)
per shape and batch, with the ratios issue 5 sets targets for (el / mha and el / HF stock fp16, for
each of our reports on the first report's device: one per arithmetic, fp32, fp16 or fp16-tc).

Usage: python3 benchmarks/merge_results.py ours.json hf.json [more-of-ours.json ...] > table.md
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


def arithmetic(report):
    """fp32, fp16 (fp16 weights, fp32 math) or fp16-tc (tensor cores); reports from before the option: fp32."""
    return report.get("settings", {}).get("arithmetic", "fp32")


def main():
    ours = [json.load(open(p)) for p in sys.argv[1:2] + sys.argv[3:]]
    hf = json.load(open(sys.argv[2]))
    ours_cols = []
    for o in ours:
        for mode in ("el", "mha"):
            ours_cols.append((f"ours {mode} {arithmetic(o)}, {o['device']}", o, mode))
    ratioed = [o for o in ours if o["device"] == ours[0]["device"]]
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
        ratio_cols = [f"el / mha, {arithmetic(o)} | el {arithmetic(o)} / HF stock fp16" for o in ratioed]
        print("| batch | " + " | ".join(cols + ratio_cols) + " |")
        print("|---" * (len(cols) + 1 + 2 * len(ratioed)) + "|")
        for b in batches:
            cells = []
            speed = {}
            for _, o, mode in ours_cols:
                r = next((r for r in o["runs"] if r["shape"] == shape and r["batch"] == b and r["mode"] == mode), None)
                cells.append(cell(r))
                if r and r.get("samples_per_s"):
                    speed[(id(o), mode)] = r["samples_per_s"]
            stock16 = None
            for _, dtype, is_el in hf_cols:
                r = next((r for r in hf["runs"] if r["shape"] == shape and r["batch"] == b and r["dtype"] == dtype
                          and r["el"] == is_el), None)
                cells.append(cell(r))
                if r and dtype == "float16" and not is_el and r.get("samples_per_s"):
                    stock16 = r["samples_per_s"]
            ratio = lambda x, y: f"{x / y:.2f}x" if x and y else "-"
            for o in ratioed:
                el, mha = speed.get((id(o), "el")), speed.get((id(o), "mha"))
                cells += [ratio(el, mha), ratio(el, stock16)]
            print(f"| {b} | " + " | ".join(cells) + " |")
        for o in ours:
            for s in o.get("largest_batch", []):
                if s["shape"] == shape:
                    bound = "" if s["complete"] else "at least "
                    print(f"\nLargest batch, ours {s['mode']} {arithmetic(o)} on {o['device']}: {bound}{s['largest_batch']}"
                          f" ({s['reason']})")
        print()


if __name__ == "__main__":
    main()
