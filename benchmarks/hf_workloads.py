#!/usr/bin/env python3
"""The HF transformers side of the workloads benchmark (docs/benchmarks.md, "Workloads").

Reads one workload as `elattn bench --workload NAME --export SPEC.json` wrote it (the model: the
checkpoint folder, or an HF config.json to fill with seeded random weights; the generation keyword
arguments; the batch size; every input's token ids, and the texts of the shipped model's inputs)
and runs the same job with HF transformers `generate`: the same inputs in the same order, batches of
the same size, each padded to its longest input (right for encoder-decoders, left for GPT-2), the
same settings. The checkpoint is loaded with from_pretrained and its tokenizer.json, which tokenizes
the texts inside the timed pass (as ours does; its ids are checked against ours first); a
random-weight model is built with from_config after torch.manual_seed(seed). fp32 and fp16, stock
and, for BART models, with EL-attention patched in (hf_baseline.py's patch).

Each run: a warm-up (the first batch, generated in full under torch.profiler, which gives the
kernel time and kernel launches per decode step), then the timed pass over every batch (stopped
after the batch during which --limit-s passed, reported "partial"). Reports samples/s, generated
tokens/s, peak device memory (torch.cuda.max_memory_allocated), the wall time per decode step
(between consecutive steps of `generate`, seen by a stopping criterion), per batch the records,
width and seconds, and a SHA-256 of the generated tokens hashed as ours are.

Usage: python3 benchmarks/hf_workloads.py SPEC.json --out hf.json [--dtypes float32,float16]
       [--el auto|off] [--limit-s 60] [--total-limit-s 300]
"""
import argparse
import bisect
import functools
import hashlib
import json
import math
import os
import sys
import tempfile
import time
import traceback

import torch
import transformers
from torch.profiler import ProfilerActivity, profile, record_function
from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer
from transformers.generation.stopping_criteria import StoppingCriteria, StoppingCriteriaList

import hf_baseline

STEP_MARK = "elattn_step"


class StepClock(StoppingCriteria):
    """Notes the time of every generation step (called once per step, after HF's per-step sync); stops nothing."""

    def __init__(self):
        self.times = []

    def __call__(self, input_ids, scores, **kwargs):
        self.times.append(time.perf_counter())
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)


def build_model(spec, dtype):
    """The workload's model on the GPU in `dtype`, and its tokenizer (None for random weights)."""
    model = spec["model"]
    if "checkpoint" in model:
        m = AutoModelForSeq2SeqLM.from_pretrained(model["dir"]).to("cuda", dtype=dtype).eval()
        return m, AutoTokenizer.from_pretrained(model["dir"])
    config = dict(model["config"])
    config = AutoConfig.for_model(config.pop("model_type"), **config)
    torch.manual_seed(model["seed"])
    cls = AutoModelForSeq2SeqLM if config.is_encoder_decoder else AutoModelForCausalLM
    with torch.device("cuda"):
        m = cls.from_config(config)
    return m.to(dtype).eval(), None


def mark_steps(model):
    """Wraps the model's forward (one call per generation step) in a profiler range named STEP_MARK. The
    wrapper keeps forward's signature (functools.wraps): generate checks its keyword arguments against it,
    and refuses the EL path's encoder_outputs when it sees only *args, **kwargs."""
    forward = model.forward

    @functools.wraps(forward)
    def marked(*args, **kwargs):
        with record_function(STEP_MARK):
            return forward(*args, **kwargs)

    model.forward = marked
    return lambda: setattr(model, "forward", forward)


def padded(rows, pad, left):
    """The batch's token ids padded to its longest row, and the attention mask, on the GPU."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        at = width - len(r) if left else 0
        ids[i, at:at + len(r)] = torch.tensor(r)
        mask[i, at:at + len(r)] = 1
    return ids.cuda(), mask.cuda()


class Job:
    """One workload: its inputs in batches, its settings, and how a batch is generated."""

    def __init__(self, spec):
        self.spec = spec
        self.inputs = spec["inputs"]
        self.batch = spec["batch_size"]
        self.texts = "checkpoint" in spec["model"]
        self.batches = [self.inputs[i:i + self.batch] for i in range(0, len(self.inputs), self.batch)]

    def kwargs(self, model):
        """The generate keyword arguments: none for a checkpoint, whose generation_config.json decides as
        it does for a user; else the settings where they differ from the model's generation config (a
        beam-search flag at its default would only draw a warning in greedy search)."""
        if self.texts:
            return {}
        return {k: v for k, v in self.spec["generation"].items() if getattr(model.generation_config, k, None) != v}

    def generate(self, model, tokenizer, state, rows, clock=None):
        """Generates one batch; returns the generated tokens of each row (up to and including EOS) and its width."""
        config = model.config
        kw = self.kwargs(model)
        if self.texts:
            enc = tokenizer([r["text"] for r in rows], padding=True, truncation=True,
                            max_length=config.max_position_embeddings, return_tensors="pt").to("cuda")
            ids, mask = enc["input_ids"], enc["attention_mask"]
        else:
            pad = kw.get("pad_token_id", model.generation_config.pad_token_id)
            ids, mask = padded([r["input_ids"] for r in rows], pad, not config.is_encoder_decoder)
        if clock is not None:
            kw["stopping_criteria"] = StoppingCriteriaList([clock])
        if state is not None:
            out = hf_baseline.el_generate(model, state, ids, mask, **kw)
        else:
            out = model.generate(input_ids=ids, attention_mask=mask, **kw)
        sequences = out.tolist()
        if self.texts:
            tokenizer.batch_decode(out, skip_special_tokens=True)  # ours decodes its outputs too
        start = 1 if config.is_encoder_decoder else ids.shape[1]
        eos = kw.get("eos_token_id", model.generation_config.eos_token_id)
        eos = set(eos if isinstance(eos, list) else [eos])
        generated = []
        for s in sequences:
            tokens = s[start:]
            end = next((i + 1 for i, t in enumerate(tokens) if t in eos), len(tokens))
            generated.append(tokens[:end])
        return generated, ids.shape[1]


def kernel_profile(prof, steps):
    """Kernel time and launches per decode step from a profiled generation: kernels launched inside
    the second to last STEP_MARK ranges (the first step, like the encoder or prompt, is the prefill)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "trace.json")
        prof.export_chrome_trace(path)
        with open(path) as f:
            events = json.load(f)["traceEvents"]
    ranges = sorted((e["ts"], e["ts"] + e["dur"]) for e in events
                    if e.get("name") == STEP_MARK and e.get("cat") == "user_annotation")
    if len(ranges) < 2:
        return {"error": f"{len(ranges)} step ranges in the trace"}
    launched = {e["args"]["correlation"]: e["ts"] for e in events
                if e.get("cat") in ("cuda_runtime", "cuda_driver") and "correlation" in e.get("args", {})}
    starts = [r[0] for r in ranges]
    kernel_us, launches = 0.0, 0
    for e in events:
        if e.get("cat") != "kernel":
            continue
        ts = launched.get(e.get("args", {}).get("correlation"))
        if ts is None:
            continue
        i = bisect.bisect_right(starts, ts) - 1
        if i >= 1 and ts <= ranges[i][1]:
            kernel_us += e["dur"]
            launches += 1
    decode_steps = len(ranges) - 1
    return {"batch": 1, "decode_steps": decode_steps, "generate_steps": steps,
            "kernel_ms_per_step": kernel_us / 1e3 / decode_steps, "launches_per_step": launches / decode_steps}


def sha256(sequences):
    h = hashlib.sha256()
    for s in sequences:
        h.update((" ".join(str(t) for t in s) + "\n").encode("ascii"))
    return h.hexdigest()


def run_one(job, dtype, el, limit_s):
    """Warm-up under the profiler, then the timed pass; never raises for out of memory."""
    result = {"variant": "el" if el else "stock", "dtype": str(dtype).replace("torch.", "")}
    model = None
    try:
        model, tokenizer = build_model(job.spec, dtype)
        state = hf_baseline.patch_el(model) if el else None
        with torch.inference_mode():
            unmark = mark_steps(model)
            clock = StepClock()
            start = time.perf_counter()
            with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
                job.generate(model, tokenizer, state, job.batches[0], clock)
                torch.cuda.synchronize()
            result["warmup_s"] = time.perf_counter() - start
            unmark()
            try:
                result["profile"] = kernel_profile(prof, len(clock.times))
            except Exception as e:  # the profile is extra: its failure must not lose the timing
                result["profile"] = {"error": repr(e)}
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            outputs, batch_list = [], []
            end = time.perf_counter() + limit_s
            pass_start = time.perf_counter()
            for rows in job.batches:
                clock = StepClock()
                t0 = time.perf_counter()
                generated, width = job.generate(model, tokenizer, state, rows, clock)
                t1 = time.perf_counter()
                steps = len(clock.times)
                batch_list.append({"records": len(rows), "width": width, "seconds": t1 - t0,
                                   "prefill_ms": (clock.times[0] - t0) * 1e3 if steps else None,
                                   "decode": {"steps": steps - 1, "wall_s": clock.times[-1] - clock.times[0]}
                                   if steps > 1 else {"steps": 0, "wall_s": 0.0}})
                outputs += generated
                if t1 > end and len(outputs) < len(job.inputs):
                    break
            seconds = time.perf_counter() - pass_start
        steps = sum(b["decode"]["steps"] for b in batch_list)
        wall = sum(b["decode"]["wall_s"] for b in batch_list)
        tokens = sum(len(s) for s in outputs)
        result.update(status="ok" if len(outputs) == len(job.inputs) else "partial", message=None,
                      records=len(outputs), batches=len(batch_list), seconds=seconds,
                      samples_per_s=len(outputs) / seconds, tokens_per_s=tokens / seconds, generated_tokens=tokens,
                      peak_device_bytes=torch.cuda.max_memory_allocated(), outputs_sha256=sha256(outputs),
                      decode={"steps": steps, "wall_s": wall, "step_ms": wall * 1e3 / steps if steps else None},
                      batch_list=batch_list)
        p = result["profile"]
        first = batch_list[0]["decode"]
        if "kernel_ms_per_step" in p and first["steps"]:
            p["step_ms"] = first["wall_s"] * 1e3 / first["steps"]
            p["host_ms_per_step"] = p["step_ms"] - p["kernel_ms_per_step"]
    except torch.OutOfMemoryError as e:
        result.update(status="out_of_memory", message=str(e).splitlines()[0])
    except Exception as e:  # reported, and the other runs go on
        traceback.print_exc()
        result.update(status="failed", message=repr(e))
    finally:
        del model
        torch.cuda.empty_cache()
    return result


def check_tokenizer(job):
    """How many inputs HF's tokenizer turns into exactly our ids (texts only)."""
    folder = job.spec["model"]["dir"]
    tokenizer = AutoTokenizer.from_pretrained(folder)
    limit = AutoConfig.from_pretrained(folder).max_position_embeddings
    same = sum(tokenizer(r["text"], truncation=True, max_length=limit)["input_ids"] == r["input_ids"]
               for r in job.inputs)
    return f"{same} of {len(job.inputs)}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("spec", help="the workload, as elattn bench --workload NAME --export wrote it")
    ap.add_argument("--out", default="hf-workload.json")
    ap.add_argument("--dtypes", default="float32,float16")
    ap.add_argument("--el", choices=("auto", "off"), default="auto",
                    help="auto: also HF + EL-attention for BART models")
    ap.add_argument("--limit-s", type=float, default=math.inf,
                    help="stop a run's timed pass after the batch during which this passed")
    ap.add_argument("--total-limit-s", type=float, default=math.inf, help="skip the runs left after this")
    args = ap.parse_args()
    total_end = time.perf_counter() + args.total_limit_s
    with open(args.spec) as f:
        spec = json.load(f)
    job = Job(spec)
    report = {"benchmark": "hf workload", "workload": spec["workload"], "transformers": transformers.__version__,
              "torch": torch.__version__, "device": torch.cuda.get_device_name(0),
              "device_bytes": torch.cuda.get_device_properties(0).total_memory,
              "settings": {k: spec[k] for k in ("records", "batch_size", "default_batch_size", "exact_new_tokens",
                                                "generation")},
              "runs": []}
    if job.texts:
        report["input_ids_match"] = check_tokenizer(job)
        print(f"{spec['workload']}: HF's tokenizer gives our ids for {report['input_ids_match']} inputs", flush=True)
    variants = [False, True] if spec["bart_family"] and args.el == "auto" else [False]
    for dtype in [getattr(torch, d) for d in args.dtypes.split(",")]:
        for el in variants:
            if time.perf_counter() > total_end:
                r = {"variant": "el" if el else "stock", "dtype": str(dtype).replace("torch.", ""),
                     "status": "skipped", "message": "total time limit"}
            else:
                r = run_one(job, dtype, el, args.limit_s)
            print(json.dumps({k: v for k, v in r.items() if k != "batch_list"}), flush=True)
            report["runs"].append(r)
            with open(args.out, "w") as f:
                json.dump(report, f, indent=2)  # partial results survive a kill


if __name__ == "__main__":
    sys.exit(main())
