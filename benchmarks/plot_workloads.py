#!/usr/bin/env python3
"""Draws the workloads chart of docs/benchmarks.md from the files merge_workloads.py reads: per
workload, each of our runs (and HF + EL for the BART shapes) as samples/s relative to HF stock's best
(fp32 or fp16) in the same run; the dashed line is HF's best. Plain SVG (plot_results.svg_bar_chart).

Usage: python3 benchmarks/plot_workloads.py FILE... out.svg
"""
import sys

from merge_workloads import finished, load, ratio, rows
from plot_results import svg_bar_chart


def bar(run, hf_best):
    """A run's speed relative to HF's best, or why it has none."""
    if finished(run):
        return ratio(run, hf_best)[0]
    return run["status"].replace("_", " ") if run else None


def main():
    *paths, out = sys.argv[1:]
    table, default = rows(load(paths))
    table = [row for row in table if row.best_hf("stock")]
    ours = sorted({k for row in table for k in row.ours})
    series = [(f"ours {m} {a}", [bar(row.ours.get((a, m)), row.best_hf("stock")) for row in table]) for a, m in ours]
    if any(row.best_hf("el") for row in table):
        series.append(("HF + EL best", [bar(row.best_hf("el"), row.best_hf("stock")) for row in table]))
    device = next((row.device for row in table if row.device), "?")
    title = f"samples/s relative to HF transformers' best (dashed), same run, {device}"
    with open(out, "w") as f:
        f.write(svg_bar_chart(title, [row.label(default.get(row.workload)) for row in table], series, reference=1.0))


if __name__ == "__main__":
    main()
