#!/usr/bin/env python3
"""Merges the workloads benchmark's JSON, all from one run on one GPU, into the markdown tables of
docs/benchmarks.md ("Workloads"): ours (`elattn bench --workload NAME --json`), HF transformers
(hf_workloads.py) and the command's own timing (command_timing.py), as single files or as the bundle
tools/gpu-workloads.sh writes (--bundle).

Tables: samples/s per workload and batch, ours in each arithmetic and mode next to HF stock and HF
+ EL in fp32 and fp16, with our best against HF's best (and against HF + EL's best for the BART
shapes) and issue 13's target; the decode-step profiles (kernel and host time, launches per step,
what new batch shapes cost); the command's whole-process time and time to first output. A ratio of
runs that did not both finish compares the batches both did (the first k, said so).

Usage: python3 benchmarks/merge_workloads.py FILE... > table.md
       python3 benchmarks/merge_workloads.py --bundle OUT.json FILE...   (all reports in one file)
"""
import json
import sys

ORDER = ["debian-bart", "marian-opus", "gpt2-small", "bart-large", "distilbart"]
ARITHMETICS = ["fp32", "fp16", "fp16-tc"]
HF_COLUMNS = [("stock", "float32"), ("stock", "float16"), ("el", "float32"), ("el", "float16")]
# issue 13's targets: (against what, factor)
TARGETS = {"debian-bart": ("hf", 3), "marian-opus": ("hf", 6), "gpt2-small": ("hf", 4), "bart-large": ("el", 1.5)}


def load(paths):
    """Every report of the files: a bundle's list, or the file itself."""
    reports = []
    for p in paths:
        with open(p) as f:
            d = json.load(f)
        reports += d["reports"] if "reports" in d else [d]
    return reports


def finished(r):
    return r is not None and r.get("status") in ("ok", "partial") and r.get("samples_per_s")


def ratio(a, b):
    """a's speed over b's, and the batches compared: None when both finished every batch, else the
    first k both did (from their per-batch seconds)."""
    if not (finished(a) and finished(b)):
        return None, None
    if a["status"] == b["status"] == "ok" and a["records"] == b["records"]:
        return a["samples_per_s"] / b["samples_per_s"], None
    k = min(len(a["batch_list"]), len(b["batch_list"]))
    speed = lambda r: sum(x["records"] for x in r["batch_list"][:k]) / sum(x["seconds"] for x in r["batch_list"][:k])
    return speed(a) / speed(b), k


class Row:
    """One workload at one batch size: our runs by (arithmetic, mode), HF's by (variant, dtype)."""

    def __init__(self, workload, batch):
        self.workload, self.batch = workload, batch
        self.ours, self.hf, self.hf_report, self.device = {}, {}, None, None
        self.checkpoint = False

    def label(self, default_batch):
        return self.workload if self.batch == default_batch else f"{self.workload} (batch {self.batch})"

    def best_ours(self):
        runs = [r for r in self.ours.values() if finished(r)]
        return max(runs, key=lambda r: r["samples_per_s"], default=None)

    def best_hf(self, variant):
        runs = [r for (v, _), r in self.hf.items() if v == variant and finished(r)]
        return max(runs, key=lambda r: r["samples_per_s"], default=None)


def rows(reports):
    """The rows, in ORDER, and each workload's own batch size (its reports say it; else the first seen)."""
    table, default = {}, {}
    for rep in reports:
        if rep.get("benchmark") not in ("elattn workload", "hf workload"):
            continue
        w = rep["workload"]
        batch = rep["settings"]["batch_size"]
        row = table.setdefault((w, batch), Row(w, batch))
        if "default_batch_size" in rep["settings"]:
            default[w] = rep["settings"]["default_batch_size"]
        if rep["benchmark"] == "elattn workload":
            default.setdefault(w, batch)
            row.device = row.device or rep["device_name"]
            row.checkpoint = "checkpoint" in rep["settings"]["model"]
            for r in rep["runs"]:
                r["batch_list"] = r.get("batch_list", [])
                row.ours[(rep["arithmetic"], r["mode"])] = r
        else:
            default.setdefault(w, batch)
            row.hf_report = rep
            for r in rep["runs"]:
                row.hf[(r["variant"], r["dtype"])] = r
    key = lambda k: (ORDER.index(k[0]) if k[0] in ORDER else len(ORDER), k[0], k[1] != default.get(k[0]), k[1])
    return [table[k] for k in sorted(table, key=key)], default


def cell(r):
    if r is None:
        return "-"
    if finished(r):
        part = "" if r["status"] == "ok" else f" (partial, {r['records']} records)"
        v = r["samples_per_s"]
        return (f"{v:.1f}" if v >= 10 else f"{v:.3g}") + part
    return r.get("status", "-").replace("_", " ")


def times(x, k):
    return "-" if x is None else f"{x:.2f}x" + ("" if k is None else f" (first {k} batch{'' if k == 1 else 'es'})")


def speed_table(table, default, ours_cols):
    head = (["workload"] + [f"HF {'+ EL' if v == 'el' else 'stock'} {d.replace('float', 'fp')}" for v, d in HF_COLUMNS]
            + [f"ours {m} {a}" for a, m in ours_cols]
            + ["ours best / HF best", "ours best / HF + EL best", "el / mha", "target"])
    out = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for row in table:
        best = row.best_ours()
        vs_hf = times(*ratio(best, row.best_hf("stock")))
        vs_el = times(*ratio(best, row.best_hf("el")))
        el_mha = ", ".join(f"{a} {times(*ratio(row.ours[(a, 'el')], row.ours[(a, 'mha')]))}" for a in ARITHMETICS
                           if (a, "el") in row.ours and (a, "mha") in row.ours)
        target = TARGETS.get(row.workload) if row.batch == default.get(row.workload) else None
        target = "-" if target is None else f"{target[1]}x HF {'+ EL ' if target[0] == 'el' else ''}best"
        cells = ([cell(row.hf.get(c)) for c in HF_COLUMNS] + [cell(row.ours.get(c)) for c in ours_cols]
                 + [vs_hf, vs_el, el_mha or "-", target])
        out.append(f"| {row.label(default.get(row.workload))} | " + " | ".join(cells) + " |")
    return out


def profile_table(table, default):
    head = ["workload", "run", "decode step ms", "kernel ms", "host ms (share)", "launches / step",
            "plan setup s", "kernel builds s", "first executes s", "peak GiB"]
    out = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for row in table:
        name = row.label(default.get(row.workload))
        for (a, m), r in row.ours.items():
            if not finished(r):
                continue
            d, p = r["decode"], r["plan"]
            # The timed pass runs unprofiled (CUDA graphs): its kernel time per step comes from the
            # profiled pass over the first batch (kernel_profile), the host's share is the rest.
            kernel = r.get("kernel_profile", {}).get("kernel_ms_per_step", float("nan"))
            host = d["step_ms"] - kernel
            share = host / d["step_ms"] if d["step_ms"] else 0
            out.append(f"| {name} | ours {m} {a} | {d['step_ms']:.3f} | {kernel:.3f} |"
                       f" {host:.3f} ({share:.0%}) | {d['launches_per_step']:.0f} |"
                       f" {p['setup_s']:.2f} | {p['build_s']:.2f} | {p['first_execute_s']:.2f} |"
                       f" {r['peak_device_bytes'] / 2**30:.2f} |")
        for (v, dt), r in row.hf.items():
            if not finished(r):
                continue
            p = r.get("profile", {})
            if "host_ms_per_step" in p:
                share = p["host_ms_per_step"] / p["step_ms"] if p["step_ms"] else 0
                prof = (f"{p['step_ms']:.3f} (batch 1) | {p['kernel_ms_per_step']:.3f} | {p['host_ms_per_step']:.3f}"
                        f" ({share:.0%}) | {p['launches_per_step']:.0f}")
            else:
                step = r["decode"].get("step_ms")
                prof = f"{step:.3f} | - | - | -" if step else "- | - | - | -"
            out.append(f"| {name} | HF {'+ EL' if v == 'el' else 'stock'} {dt.replace('float', 'fp')} | {prof} |"
                       f" - | - | - | {r['peak_device_bytes'] / 2**30:.2f} |")
    return out


def outputs_lines(table):
    """For the checkpoint: whether our fp32 outputs are HF fp32's, token for token."""
    out = []
    for row in table:
        hf = row.hf.get(("stock", "float32"))
        if not row.checkpoint or not finished(hf):
            continue
        for m in ("el", "mha"):
            ours = row.ours.get(("fp32", m))
            if finished(ours) and ours["records"] == hf["records"]:
                same = "yes" if ours["outputs_sha256"] == hf["outputs_sha256"] else "NO"
                out.append(f"- {row.workload}: ours {m} fp32 outputs identical to HF stock fp32's over"
                           f" {hf['records']} records: {same}")
        if row.hf_report and "input_ids_match" in row.hf_report:
            out.append(f"- {row.workload}: HF's tokenizer gives our input ids for {row.hf_report['input_ids_match']}"
                       f" inputs")
    return out


def command_table(reports):
    runs = [r for r in reports if r.get("benchmark") == "elattn command"]
    if not runs:
        return []
    out = ["| workload | command | whole process s | first output s | stdout lines | exit code |",
           "|---|---|---|---|---|---|"]
    for r in runs:
        first = "-" if r["first_output_s"] is None else f"{r['first_output_s']:.2f}"
        out.append(f"| {r['workload']} | {r['label']} | {r['wall_s']:.2f} | {first} | {r['stdout_lines']} |"
                   f" {r['exit_code']} |")
    return out


def markdown(reports):
    table, default = rows(reports)
    ours_cols = sorted({k for row in table for k in row.ours},
                       key=lambda k: (ARITHMETICS.index(k[0]) if k[0] in ARITHMETICS else 9, k[1]))
    hf = next((row.hf_report for row in table if row.hf_report), None)
    device = next((row.device for row in table if row.device), hf["device"] if hf else "?")
    versions = f"; transformers {hf['transformers']}, torch {hf['torch']}" if hf else ""
    lines = [f"Same run, same GPU ({device}{versions}): samples/s.", ""]
    lines += speed_table(table, default, ours_cols) + [""]
    lines += ["Decode steps (per step; HF's kernel time and launches from a profiled first batch) and what new batch"
              " shapes cost (ours, summed over the batches):", ""]
    lines += profile_table(table, default) + [""]
    outputs = outputs_lines(table)
    if outputs:
        lines += outputs + [""]
    commands = command_table(reports)
    if commands:
        lines += ["The command as a user runs it:", ""] + commands + [""]
    return "\n".join(lines)


def main():
    args = sys.argv[1:]
    if args[:1] == ["--bundle"]:
        with open(args[1], "w") as f:
            json.dump({"reports": load(args[2:])}, f, indent=1)
        return
    print(markdown(load(args)))


if __name__ == "__main__":
    main()
