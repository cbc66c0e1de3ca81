#!/usr/bin/env python3
"""Draws the bar chart of docs/benchmarks.md from the same JSON files merge_results.py reads: samples/s
per batch of one shape, ours (el, mha) next to HF transformers (stock and EL, fp16 and fp32), one
bar group per batch. Plain SVG, no plotting library needed; `svg_bar_chart` draws any such chart
(plot_workloads.py uses it too).

Usage: python3 benchmarks/plot_results.py ours.json hf.json SHAPE out.svg
"""
import json
import sys
from xml.sax.saxutils import escape

COLOURS = ["#1b6ca8", "#7fb2dc", "#c0392b", "#e8a29a", "#6c3483", "#b79ad0", "#7f8c8d", "#bfc9ca"]


def series(ours, hf, shape):
    out = []
    arithmetic = ours.get("settings", {}).get("arithmetic", "fp32")
    for mode in ("el", "mha"):
        out.append((f"ours {mode} {arithmetic}", {r["batch"]: r for r in ours["runs"]
                                                 if r["shape"] == shape and r["mode"] == mode}))
    for dtype, label in (("float16", "fp16"), ("float32", "fp32")):
        for el in (False, True):
            out.append((f"HF {'+ EL' if el else 'stock'} {label}",
                        {r["batch"]: r for r in hf["runs"]
                         if r["shape"] == shape and r["dtype"] == dtype and r["el"] == el}))
    return [(name, runs) for name, runs in out if runs]


def speed(r):
    if r and r.get("status") in ("ok", "timeout") and r.get("samples_per_s"):
        return r["samples_per_s"]
    return None


def svg_bar_chart(title, groups, data, reference=None):
    """An SVG bar chart: one group of bars per entry of `groups`, one bar per series of `data`
    ([(name, [value per group])]); a value that is a string is written instead of a bar (a status),
    None leaves a gap. `reference` draws a dashed line at that value."""
    values = [v for _, vs in data for v in vs if isinstance(v, (int, float))]
    top = max(values + [reference or 0, 1e-9])
    width, height, left, bottom = 760, 360, 60, 40
    topm = max(50, 26 + 12 * ((len(data) + 3) // 4))  # room for the legend, 4 series a row
    plot_w, plot_h = width - left - 20, height - bottom - topm
    group_w = plot_w / max(1, len(groups))
    bar_w = group_w * 0.8 / max(1, len(data))
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif"'
           f' font-size="11">', f'<text x="{left}" y="16" font-size="13">{escape(title)}</text>']
    for i in range(5):
        v = top * i / 4
        y = topm + plot_h - plot_h * i / 4
        svg.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        svg.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:.{0 if top >= 10 else 2}f}</text>')
    for g, label in enumerate(groups):
        x0 = left + g * group_w + group_w * 0.1
        for s, (name, vs) in enumerate(data):
            v = vs[g]
            x = x0 + s * bar_w
            if not isinstance(v, (int, float)):
                svg.append(f'<text x="{x + bar_w / 2:.1f}" y="{topm + plot_h - 4}" font-size="8" text-anchor="middle"'
                           f' transform="rotate(-90 {x + bar_w / 2:.1f} {topm + plot_h - 4})">{escape(v or "-")}</text>')
                continue
            h = plot_h * v / top
            svg.append(f'<rect x="{x:.1f}" y="{topm + plot_h - h:.1f}" width="{bar_w * 0.9:.1f}" height="{h:.1f}"'
                       f' fill="{COLOURS[s % len(COLOURS)]}"><title>{escape(name)}, {escape(label)}: {v:.2f}</title></rect>')
        svg.append(f'<text x="{left + g * group_w + group_w / 2:.1f}" y="{topm + plot_h + 16}"'
                   f' text-anchor="middle">{escape(label)}</text>')
    if reference is not None:
        y = topm + plot_h - plot_h * reference / top
        svg.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#000"'
                   f' stroke-dasharray="4 3"/>')
    for s, (name, _) in enumerate(data):
        x = left + (s % 4) * 170
        y = 28 + (s // 4) * 12
        svg.append(f'<rect x="{x}" y="{y - 8}" width="10" height="9" fill="{COLOURS[s % len(COLOURS)]}"/>')
        svg.append(f'<text x="{x + 14}" y="{y}">{escape(name)}</text>')
    svg.append("</svg>")
    return "\n".join(svg) + "\n"


def main():
    ours, hf = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
    shape, path = sys.argv[3], sys.argv[4]
    data = series(ours, hf, shape)
    batches = sorted({b for _, runs in data for b in runs})
    bars = [(name, [speed(runs.get(b)) or (runs[b]["status"].replace("_", " ") if b in runs else None)
                    for b in batches]) for name, runs in data]
    title = f"{shape}: samples/s by batch ({ours['device_name']}, same run)"
    with open(path, "w") as f:
        f.write(svg_bar_chart(title, [f"batch {b}" for b in batches], bars))


if __name__ == "__main__":
    main()
