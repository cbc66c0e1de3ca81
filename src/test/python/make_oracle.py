#!/usr/bin/env python3
"""Independent oracle for elattn's Java tests, made by HuggingFace transformers + PyTorch.

What it writes under --out (see src/test/resources/oracle/README.md for the file-by-file story):

  bart/  gpt2/  marian/        tiny random checkpoints (save_pretrained: config.json,
                               generation_config.json, model.safetensors) and cases.json with
                               generation cases (exact inputs, kwargs, output sequences, beam scores)
                               and first-step logits, all computed by HF on the CPU in fp32.
  bart-fp16/  gpt2-bf16/       the same weights stored in fp16 / bf16, with outputs of HF computing
                               in fp32 from those (rounded) weights.
  gpt2-sharded/                the gpt2 weights split over several safetensors files with
                               model.safetensors.index.json; outputs identical to gpt2/.
  tokenizer/                   GPT-2's tokenizer.json (real 50k vocabulary, built from vocab.json +
                               merges.txt) and cases.json: ids of hard strings for GPT-2 and for a
                               BART-style tokenizer over the same vocabulary, with decode round trips.
  summary.json                 versions, peakiness numbers, timings.

Usage (needs torch + transformers 5.x + tokenizers; CPU is enough):
    python3 make_oracle.py --out DIR --bpe DIR_WITH_vocab.json_merges.txt
    python3 make_oracle.py --out DIR --bpe DIR --only tokenizer   # no torch needed

Everything is deterministic: fixed seeds, one CPU thread, eager attention, fp32.
"""

import argparse
import concurrent.futures
import copy
import json
import multiprocessing
import os
import platform
import statistics
import sys
import time

SEED = 20240607          # master seed; each family derives its own from it
EOS_TARGET_FRACTION = 0.6  # calibration: share of greedy runs that emit EOS within 16 new tokens


# --------------------------------------------------------------------------------------------
# JSON helpers
# --------------------------------------------------------------------------------------------

def f32(x):
    """A float32 value as the shortest decimal that parses back to the same float32."""
    import numpy as np
    return float(str(np.float32(x)))


def f32_list(t):
    return [f32(v) for v in t.detach().to("cpu").float().reshape(-1).tolist()]


def dump_json(path, obj):
    """Writes JSON with one top-level key per line and one list element (case) per line:
    diff-friendly yet compact (no per-number line breaks)."""
    with open(path, "w", encoding="utf-8") as f:
        if isinstance(obj, dict):
            f.write("{\n")
            items = list(obj.items())
            for i, (k, v) in enumerate(items):
                f.write(json.dumps(k) + ": ")
                if isinstance(v, list) and v and isinstance(v[0], dict):
                    f.write("[\n")
                    f.write(",\n".join("  " + json.dumps(e, ensure_ascii=True) for e in v))
                    f.write("\n]")
                else:
                    f.write(json.dumps(v, ensure_ascii=True))
                f.write(",\n" if i + 1 < len(items) else "\n")
            f.write("}\n")
        else:
            json.dump(obj, f, ensure_ascii=True)


def versions():
    out = {"python": platform.python_version()}
    for mod in ("torch", "transformers", "tokenizers", "safetensors", "numpy"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - a missing optional module is just not recorded
            out[mod] = None
    return out


def safetensors_listing(folder):
    """Name -> [dtype, shape] of every tensor in the folder's safetensors files, read from the
    headers alone (8-byte little-endian length + JSON), exactly what a Java loader sees."""
    listing = {}
    for fn in sorted(os.listdir(folder)):
        if not fn.endswith(".safetensors"):
            continue
        with open(os.path.join(folder, fn), "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(n))
        for name, meta in header.items():
            if name != "__metadata__":
                listing[name] = [meta["dtype"], meta["shape"], fn]
    return dict(sorted(listing.items()))


# --------------------------------------------------------------------------------------------
# Model families: configuration, generation defaults, prompt alphabet
# --------------------------------------------------------------------------------------------

VOCAB = 512


# Weight scales of the two post-norm encoder-decoders, tuned on the GPU machine (see README): with
# one gain everywhere their decoders collapse into repeating one token, because the cross-attention
# output swamps the decoder's own state. A weak cross-attention value/output path, a weaker
# self-attention value/output path and a strong feed-forward give varied, EOS-terminated outputs
# that still depend on the source. Substring of the module name -> gain; first match wins.
ENC_DEC_INIT = dict(emb_std=0.5, gain=2.0, gains=(
    ("encoder_attn.v_proj", 0.5), ("encoder_attn.out_proj", 0.5),
    ("self_attn.v_proj", 1.0), ("self_attn.out_proj", 1.0),
    ("fc1", 4.0), ("fc2", 4.0)))


def family_specs():
    """The three families with tiny shapes. Special ids follow the real checkpoints' conventions:
    BART <s>=0 <pad>=1 </s>=2 <unk>=3; Marian eos=0, pad=decoder start=last id (as Helsinki-NLP);
    GPT-2 bos=eos=last id and no pad (as openai-community/gpt2)."""
    from transformers import (BartConfig, BartForConditionalGeneration, GPT2Config, GPT2LMHeadModel,
                              MarianConfig, MarianMTModel)
    return {
        "bart": dict(
            cls=BartForConditionalGeneration,
            config=BartConfig(
                vocab_size=VOCAB, max_position_embeddings=64, d_model=64,
                encoder_layers=2, decoder_layers=2, encoder_attention_heads=4, decoder_attention_heads=4,
                encoder_ffn_dim=128, decoder_ffn_dim=128, activation_function="gelu",
                dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, scale_embedding=False,
                pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2,
                forced_eos_token_id=2, tie_word_embeddings=True),
            # As facebook/bart-large(-cnn) ship it: forced BOS after the decoder start, forced EOS
            # at max length, beam 4 with early stopping, trigram blocking, length penalty 2.
            generation=dict(bos_token_id=0, eos_token_id=2, pad_token_id=1, decoder_start_token_id=2,
                            forced_bos_token_id=0, forced_eos_token_id=2, num_beams=4,
                            early_stopping=True, no_repeat_ngram_size=3, length_penalty=2.0,
                            min_length=4, max_length=24),
            eos=2, pad=1, encoder_decoder=True, init=ENC_DEC_INIT,
            # encoder prompt: <s> body </s>, body ids avoid the four specials
            prompt=lambda body: [0] + body + [2], body_range=(4, VOCAB), body_len=(3, 10),
        ),
        "marian": dict(
            cls=MarianMTModel,
            config=MarianConfig(
                vocab_size=VOCAB, decoder_vocab_size=VOCAB, max_position_embeddings=64, d_model=48,
                encoder_layers=2, decoder_layers=2, encoder_attention_heads=4, decoder_attention_heads=4,
                encoder_ffn_dim=96, decoder_ffn_dim=96, activation_function="swish",
                dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, scale_embedding=True,
                pad_token_id=VOCAB - 1, eos_token_id=0, bos_token_id=None,
                decoder_start_token_id=VOCAB - 1, forced_eos_token_id=0,
                share_encoder_decoder_embeddings=True, tie_word_embeddings=True),
            # As Helsinki-NLP/opus-mt-* ship it, including bad_words_ids=[[pad]] (the pad token can
            # never be generated).
            generation=dict(bos_token_id=0, eos_token_id=0, pad_token_id=VOCAB - 1,
                            decoder_start_token_id=VOCAB - 1, forced_eos_token_id=0,
                            bad_words_ids=[[VOCAB - 1]], num_beams=4, max_length=32),
            eos=0, pad=VOCAB - 1, encoder_decoder=True, init=ENC_DEC_INIT,
            prompt=lambda body: body + [0], body_range=(2, VOCAB - 1), body_len=(3, 10),
        ),
        "gpt2": dict(
            cls=GPT2LMHeadModel,
            config=GPT2Config(
                vocab_size=VOCAB, n_positions=64, n_embd=64, n_layer=2, n_head=4, n_inner=128,
                activation_function="gelu_new", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                bos_token_id=VOCAB - 1, eos_token_id=VOCAB - 1, tie_word_embeddings=True),
            # As openai-community/gpt2 ships it: only bos/eos (max_length falls back to HF's 20).
            generation=dict(bos_token_id=VOCAB - 1, eos_token_id=VOCAB - 1),
            eos=VOCAB - 1, pad=VOCAB - 1, encoder_decoder=False, init=dict(emb_std=0.5, gain=2.0),
            prompt=lambda body: body, body_range=(0, VOCAB - 1), body_len=(3, 9),
        ),
    }


# --------------------------------------------------------------------------------------------
# Weights: large random values so that next-token distributions are peaky
# --------------------------------------------------------------------------------------------

def randomize_weights(model, family, gen, emb_std=0.5, gain=2.0, gains=()):
    """Overwrites every trainable tensor in place (ties survive: a tensor shared by several modules
    is written once). Scales: embeddings N(0, 0.5) so logits = LN(h) . E^T have a std of a few
    units (peaky softmax); linear / Conv1D weights N(0, gain/sqrt(fan_in)) (gain 2 by default,
    per-module gains for the encoder-decoders: ENC_DEC_INIT; std 0.07-0.58 here); all
    biases N(0, 0.2) (k/v biases included); layer-norm gains U(0.7, 1.3), shifts N(0, 0.2),
    GPT-2's final ln_f shift N(0, 0.5) (it carries the EOS calibration, see set_eos_shift);
    learned positions N(0, 0.3); final_logits_bias N(0, 0.5). Marian's sinusoidal position
    table is left as HF computes it (it is not saved in the checkpoint)."""
    import torch
    from torch import nn
    from transformers.pytorch_utils import Conv1D

    done = set()

    def write(p, values):
        if id(p) in done:
            return
        done.add(id(p))
        with torch.no_grad():
            p.copy_(values.to(p.dtype))

    def normal(shape, std):
        return torch.randn(shape, generator=gen) * std

    modules = list(model.named_modules())
    # 1. embeddings first, so that a tied lm_head (a Linear sharing the tensor) keeps them
    for name, m in modules:
        if isinstance(m, nn.Embedding):
            if "embed_positions" in name and family == "marian":
                done.add(id(m.weight))   # sinusoidal, computed by HF at init and at load
                continue
            is_pos = "embed_positions" in name or name.endswith("wpe")
            write(m.weight, normal(m.weight.shape, 0.3 if is_pos else emb_std))
    # 2. norms
    for name, m in modules:
        if isinstance(m, nn.LayerNorm):
            write(m.weight, 0.7 + 0.6 * torch.rand(m.weight.shape, generator=gen))
            write(m.bias, normal(m.bias.shape, 0.5 if name.endswith("ln_f") else 0.2))
    # 3. linear layers (nn.Linear is [out, in]; GPT-2's Conv1D is [in, out])
    for name, m in modules:
        if isinstance(m, nn.Linear):
            g = next((v for k, v in gains if k in name), gain)
            write(m.weight, normal(m.weight.shape, g / m.weight.shape[1] ** 0.5))
            if m.bias is not None:
                write(m.bias, normal(m.bias.shape, 0.2))
        elif isinstance(m, Conv1D):
            write(m.weight, normal(m.weight.shape, gain / m.weight.shape[0] ** 0.5))
            write(m.bias, normal(m.bias.shape, 0.2))
    missed = [n for n, p in model.named_parameters() if id(p) not in done]
    if missed:
        raise RuntimeError(f"{family}: parameters not randomized: {missed}")
    if hasattr(model, "final_logits_bias"):
        with torch.no_grad():
            model.final_logits_bias.copy_(normal(model.final_logits_bias.shape, 0.5))


class EosShifter:
    """Makes EOS more or less likely by a tunable amount t (in logit units), so that generations
    end at varied lengths (otherwise random models rarely emit EOS and early_stopping /
    length_penalty would never matter). Encoder-decoders: final_logits_bias[eos] = base + t.
    GPT-2 has no logits bias; its EOS row of the tied embedding gets + t * b / |b|^2 with b the
    final layer norm's shift, which adds about t to the EOS logit (plus a context-dependent part)."""

    def __init__(self, model, spec):
        import torch
        self.model, self.spec = model, spec
        self.eos = spec["eos"]
        if spec["encoder_decoder"]:
            self.base = model.final_logits_bias[0, self.eos].item()
        else:
            self.base = model.transformer.wte.weight[self.eos].detach().clone()
            b = model.transformer.ln_f.bias.detach()
            self.direction = b / torch.dot(b, b)

    def set(self, t):
        import torch
        with torch.no_grad():
            if self.spec["encoder_decoder"]:
                self.model.final_logits_bias[0, self.eos] = self.base + t
            else:
                self.model.transformer.wte.weight[self.eos] = self.base + t * self.direction


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------

def make_prompt(spec, rng, length=None):
    lo, hi = spec["body_range"]
    n = length if length is not None else rng.randint(*spec["body_len"])
    return spec["prompt"]([rng.randrange(lo, hi) for _ in range(n)])


def pad_batch(spec, prompts):
    """Right padding for encoder-decoders (as their tokenizers do), left padding for GPT-2."""
    width = max(len(p) for p in prompts)
    ids, mask = [], []
    for p in prompts:
        pad = [spec["pad"]] * (width - len(p))
        if spec["encoder_decoder"]:
            ids.append(p + pad)
            mask.append([1] * len(p) + [0] * len(pad))
        else:
            ids.append(pad + p)
            mask.append([0] * len(pad) + [1] * len(p))
    return ids, mask


def generate(model, ids, mask, kwargs, beam):
    """model.generate with do_sample=False; beam cases also ask for sequences_scores, greedy ones
    for the raw logits of every step (to measure peakiness). Neither changes the sequences."""
    import torch
    extra = dict(return_dict_in_generate=True)
    if beam:
        extra["output_scores"] = True
    else:
        extra["output_logits"] = True
    with torch.no_grad():
        out = model.generate(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask),
                             do_sample=False, **kwargs, **extra)
    return out


def strip_trailing(seq, pad):
    while seq and seq[-1] == pad:
        seq = seq[:-1]
    return seq


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------

def case_table(spec, width):
    """(name, batch?, kwargs, description). Every case passes the settings it tests explicitly, so
    that the checkpoint's generation_config.json defaults matter only where stated ('defaults')."""
    g = dict(num_beams=1, no_repeat_ngram_size=0, min_length=0)                     # greedy base
    b = dict(num_beams=4, no_repeat_ngram_size=0, min_length=0, length_penalty=1.0,
             early_stopping=False)                                                  # beam base
    if spec["encoder_decoder"]:
        minmax = dict(min_length=8, max_length=14)   # decoder length, decoder start token included
    else:
        minmax = dict(min_length=width + 6, max_length=width + 12)  # prompt (padded) included
    t = [
        ("greedy", False, {**g, "max_new_tokens": 20}, "greedy, one input"),
        ("greedy_batch", True, {**g, "max_new_tokens": 20}, "greedy, batch of 3 with padding"),
        ("greedy_no_repeat_ngram_2", True, {**g, "no_repeat_ngram_size": 2, "max_new_tokens": 20}, ""),
        ("greedy_no_repeat_ngram_3", True, {**g, "no_repeat_ngram_size": 3, "max_new_tokens": 20}, ""),
        ("greedy_min_new_tokens", True, {**g, "min_new_tokens": 8, "max_new_tokens": 16}, ""),
        ("greedy_min_max_length", True, {**g, **minmax}, "min_length/max_length (no *_new_tokens)"),
        ("beam4", False, {**b, "max_new_tokens": 20}, "beam 4, one input"),
        ("beam2_batch", True, {**b, "num_beams": 2, "max_new_tokens": 20}, ""),
        ("beam4_lp1.0", True, {**b, "max_new_tokens": 20}, "early_stopping False"),
        ("beam4_lp2.0", True, {**b, "length_penalty": 2.0, "max_new_tokens": 20}, "early_stopping False"),
        ("beam4_lp0.6", True, {**b, "length_penalty": 0.6, "max_new_tokens": 20}, "early_stopping False"),
        ("beam4_early_true", True, {**b, "early_stopping": True, "max_new_tokens": 20}, "length_penalty 1.0"),
        ("beam4_early_never", True, {**b, "early_stopping": "never", "max_new_tokens": 20}, "length_penalty 1.0"),
        ("beam4_early_true_lp2.0", True, {**b, "early_stopping": True, "length_penalty": 2.0, "max_new_tokens": 20}, ""),
        ("beam4_early_never_lp2.0", True, {**b, "early_stopping": "never", "length_penalty": 2.0, "max_new_tokens": 20}, ""),
        ("beam4_early_never_lp0.0", True, {**b, "early_stopping": "never", "length_penalty": 0.0, "max_new_tokens": 20}, "canonical beam search"),
        ("beam4_no_repeat_ngram_2", True, {**b, "no_repeat_ngram_size": 2, "max_new_tokens": 20}, ""),
        ("beam4_no_repeat_ngram_3", True, {**b, "no_repeat_ngram_size": 3, "max_new_tokens": 20}, ""),
        ("beam4_min_new_tokens", True, {**b, "min_new_tokens": 10, "max_new_tokens": 14}, ""),
        ("beam4_max_new_tokens_3", True, {**b, "max_new_tokens": 3}, "very short limit"),
        ("beam4_min_max_length", True, {**b, **minmax}, "min_length/max_length (no *_new_tokens)"),
        ("beam4_num_return_sequences_2", True, {**b, "num_return_sequences": 2, "max_new_tokens": 20},
         "rows are input-major: input0 best, input0 second, input1 best, ..."),
        ("defaults", False, {}, "no kwargs: everything from generation_config.json"),
        ("defaults_batch", True, {}, "no kwargs: everything from generation_config.json"),
    ]
    if spec["encoder_decoder"] and "forced_bos_token_id" in spec["generation"]:
        t.append(("greedy_forced_off", True,
                  {**g, "forced_bos_token_id": None, "forced_eos_token_id": None, "max_new_tokens": 20},
                  "forced BOS/EOS switched off by explicit None (JSON null) kwargs"))
    if not spec["encoder_decoder"]:
        # GPT-2 has no pad token: batches need one. HF itself falls back to eos with a warning.
        t = [(n, bt, ({**kw, "pad_token_id": spec["pad"]} if bt else kw), d) for n, bt, kw, d in t]
    return t


EFFECTIVE_KEYS = ("max_length", "max_new_tokens", "min_length", "min_new_tokens", "num_beams",
                  "length_penalty", "early_stopping", "no_repeat_ngram_size", "num_return_sequences",
                  "bos_token_id", "eos_token_id", "pad_token_id", "decoder_start_token_id",
                  "forced_bos_token_id", "forced_eos_token_id", "bad_words_ids", "do_sample")


def effective_config(model, kwargs):
    """The generation settings HF resolves from generation_config.json + kwargs, before generate()
    turns max_new_tokens into max_length (private API: recorded for convenience only)."""
    try:
        gc, _ = model._prepare_generation_config(None, do_sample=False, **kwargs)
        return {k: getattr(gc, k, None) for k in EFFECTIVE_KEYS}
    except Exception as e:  # noqa: BLE001
        return {"error": repr(e)}


def run_case(model, spec, ids, mask, kwargs):
    beam = kwargs.get("num_beams", model.generation_config.num_beams or 1) > 1
    out = generate(model, ids, mask, kwargs, beam)
    rec = {"sequences": out.sequences.tolist()}
    if beam:
        rec["sequences_scores"] = f32_list(out.sequences_scores)
    gaps = []
    if not beam and out.logits is not None:
        for step in out.logits:                      # (batch, vocab) raw logits
            top2 = step.float().topk(2, dim=-1).values
            gaps += (top2[:, 0] - top2[:, 1]).tolist()
    return rec, gaps


# --------------------------------------------------------------------------------------------
# One family
# --------------------------------------------------------------------------------------------

def first_step_logits(model, spec, prompts):
    """Raw logits (full vocabulary, final_logits_bias included) of the first decoding step:
    encoder-decoders: decoder input = [decoder_start_token_id]; GPT-2: last prompt position."""
    import torch
    recs = []
    with torch.no_grad():
        for p in prompts:
            ids = torch.tensor([p])
            if spec["encoder_decoder"]:
                start = model.generation_config.decoder_start_token_id
                out = model(input_ids=ids, attention_mask=torch.ones_like(ids),
                            decoder_input_ids=torch.tensor([[start]]))
                recs.append({"input_ids": p, "decoder_input_ids": [start],
                             "logits": f32_list(out.logits[0, -1])})
            else:
                out = model(input_ids=ids, attention_mask=torch.ones_like(ids))
                recs.append({"input_ids": p, "logits": f32_list(out.logits[0, -1])})
    return recs


def greedy_step_logits(model, spec, prompt, steps=12):
    """Raw logits (before any logits processor) of every step of a greedy run of one prompt, forced
    to run `steps` steps (min_new_tokens suppresses EOS in the choice, not in the raw logits):
    checks the decoder's cached state (self-attention cache, EL's stored layer inputs) step by step,
    independently of which tokens win. logits[i] is the output after feeding sequence[:p + i],
    p = prompt length (GPT-2) or 1 (the decoder start token of encoder-decoders)."""
    kw = dict(num_beams=1, no_repeat_ngram_size=0, min_length=0, min_new_tokens=steps, max_new_tokens=steps)
    if not spec["encoder_decoder"]:
        kw["pad_token_id"] = spec["pad"]
    out = generate(model, [prompt], [[1] * len(prompt)], kw, beam=False)
    return {"input_ids": prompt, "kwargs": kw, "sequence": out.sequences[0].tolist(),
            "logits": [f32_list(step[0]) for step in out.logits]}


def debug_states(model, spec, prompt):
    """Hidden states for debugging a Java port layer by layer: encoder output (encoder-decoders) or
    the final-norm output (GPT-2) of one prompt, row-major [tokens, d_model]."""
    import torch
    ids = torch.tensor([prompt])
    with torch.no_grad():
        if spec["encoder_decoder"]:
            h = model.get_encoder()(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state
            name = "encoder_last_hidden_state"
        else:
            h = model.transformer(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state
            name = "last_hidden_state"
    return {"input_ids": prompt, name: f32_list(h[0]), "shape": list(h[0].shape)}


def calibrate_eos(model, spec, rng):
    """Chooses the EOS shift t (logit units) for which about EOS_TARGET_FRACTION of greedy runs over
    8 calibration prompts emit EOS within 16 new tokens, and not too early on average."""
    shifter = EosShifter(model, spec)
    prompts = [make_prompt(spec, rng, length=6) for _ in range(8)]
    mask = [[1] * len(prompts[0])] * len(prompts)
    kw = dict(num_beams=1, max_new_tokens=16, min_length=0, no_repeat_ngram_size=0,
              forced_eos_token_id=None)
    if not spec["encoder_decoder"]:
        kw["pad_token_id"] = spec["pad"]
    skip = 1 if spec["encoder_decoder"] else len(prompts[0])
    best = None
    trials = []
    for i in range(-16, 49):
        t = i * 0.5
        shifter.set(t)
        seqs = generate(model, prompts, mask, kw, beam=False).sequences.tolist()
        ends = []
        for s in seqs:
            gen_part = s[skip:]
            ends.append(gen_part.index(spec["eos"]) + 1 if spec["eos"] in gen_part else None)
        ended = [e for e in ends if e is not None]
        frac = len(ended) / len(ends)
        mean_end = statistics.mean(ended) if ended else 17.0
        score = abs(frac - EOS_TARGET_FRACTION) + (1.0 if mean_end < 4 else 0.0) + abs(t) * 1e-3
        trials.append((t, frac, mean_end))
        if best is None or score < best[0]:
            best = (score, t, frac, mean_end)
    _, t, frac, mean_end = best
    shifter.set(t)
    return {"eos_logit_shift": t, "greedy_eos_fraction_16": frac, "mean_eos_position": mean_end}


def pick_inputs(model, spec, rng):
    """Picks, from a pool of 12 random prompts, the 3 whose beam-search results differ most across
    early_stopping / length_penalty settings (so that those cases discriminate), with at least two
    different lengths (so that padding is exercised)."""
    pool = [make_prompt(spec, rng) for _ in range(12)]
    variants = [dict(early_stopping=False, length_penalty=1.0), dict(early_stopping=True, length_penalty=1.0),
                dict(early_stopping="never", length_penalty=1.0), dict(early_stopping=False, length_penalty=2.0),
                dict(early_stopping=False, length_penalty=0.6), dict(early_stopping="never", length_penalty=0.0)]
    scored = []
    for idx, p in enumerate(pool):
        outs = set()
        for v in variants:
            kw = dict(num_beams=4, no_repeat_ngram_size=0, min_length=0, max_new_tokens=20, **v)
            outs.add(tuple(generate(model, [p], [[1] * len(p)], kw, beam=True).sequences[0].tolist()))
        scored.append((-len(outs), idx, p))
    scored.sort()
    chosen = [s[2] for s in scored[:3]]
    if len({len(p) for p in chosen}) == 1:
        for s in scored[3:]:
            if len(s[2]) != len(chosen[0]):
                chosen[2] = s[2]
                break
    distinct = {tuple(s[2]): -s[0] for s in scored}
    return chosen, [distinct[tuple(p)] for p in chosen], pool


def perturbed_copy(model, gen, rel=1e-4):
    """A copy with every weight multiplied by (1 + rel * N(0,1)): a stand-in for the rounding
    differences between PyTorch and another implementation. Cases whose tokens change under it
    are marked fragile."""
    import torch
    m = copy.deepcopy(model)
    with torch.no_grad():
        for p in m.parameters():
            p.mul_(1 + rel * torch.randn(p.shape, generator=gen))
    return m


def build_family(name, spec, out_dir, seed, log):
    import random
    import torch
    from transformers import GenerationConfig

    t0 = time.time()
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rng = random.Random(seed)
    folder = os.path.join(out_dir, name)

    model = spec["cls"](spec["config"])
    model.set_attn_implementation("eager")
    model.eval()
    randomize_weights(model, name, gen, **spec.get("init", {}))
    model.generation_config = GenerationConfig(**spec["generation"])
    calib = calibrate_eos(model, spec, rng)
    log(f"[{name}] EOS calibration: {calib}")

    model.save_pretrained(folder)
    # Everything below is computed by the model as loaded back from disk: exactly what Java reads.
    loaded = spec["cls"].from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
    probe = make_prompt(spec, random.Random(seed + 1))
    a, b = first_step_logits(model, spec, [probe]), first_step_logits(loaded, spec, [probe])
    reload_diff = max(abs(x - y) for x, y in zip(a[0]["logits"], b[0]["logits"]))
    if reload_diff != 0.0:
        log(f"[{name}] WARNING: reloaded model differs from the saved one by {reload_diff}")
    model = loaded

    chosen, distinct, _pool = pick_inputs(model, spec, rng)
    log(f"[{name}] inputs {chosen}, distinct beam outputs over 6 early_stopping/length_penalty settings: {distinct}")
    ids_b, mask_b = pad_batch(spec, chosen)
    width = len(ids_b[0])
    noisy = perturbed_copy(model, torch.Generator().manual_seed(seed + 2))

    cases, all_gaps, fragile, unbatched_mismatch = [], [], [], []
    for cname, batched, kwargs, desc in case_table(spec, width):
        if batched:
            ids, mask = ids_b, mask_b
        else:
            ids, mask = [chosen[0]], [[1] * len(chosen[0])]
        rec, gaps = run_case(model, spec, ids, mask, kwargs)
        all_gaps += gaps
        case = {"name": cname, "description": desc, "kwargs": kwargs, "input_ids": ids,
                "attention_mask": mask, **rec, "effective_generation_config": effective_config(model, kwargs)}
        # Same case with weights perturbed by 1e-4 relative: are the tokens robust?
        noisy_rec, _ = run_case(noisy, spec, ids, mask, kwargs)
        case["stable_under_weight_noise"] = noisy_rec["sequences"] == rec["sequences"]
        if not case["stable_under_weight_noise"]:
            fragile.append(cname)
        # Batch rows against the same inputs generated one at a time (unpadded). Not comparable for
        # GPT-2 when a total length (max_length/min_length, default max_length 20) counts the padding.
        length_counts_padding = not spec["encoder_decoder"] and (
            "max_new_tokens" not in kwargs or kwargs.get("min_length", 0) > 0)
        if batched and length_counts_padding:
            case["rows_match_unbatched"] = None
        elif batched:
            nrs = kwargs.get("num_return_sequences", 1)
            pad_out = kwargs.get("pad_token_id", spec["pad"])
            same = True
            for i, p in enumerate(chosen):
                solo, _ = run_case(model, spec, [p], [[1] * len(p)], kwargs)
                for r in range(nrs):
                    row = rec["sequences"][i * nrs + r]
                    if not spec["encoder_decoder"]:
                        row = row[width - len(p):]          # drop the left padding
                    if strip_trailing(row, pad_out) != strip_trailing(solo["sequences"][r], pad_out):
                        same = False
            case["rows_match_unbatched"] = same
            if not same:
                unbatched_mismatch.append(cname)
        cases.append(case)

    # Which settings actually changed the output (a case that equals its baseline tests less).
    by_name = {c["name"]: c["sequences"] for c in cases}
    differs = {n: by_name[n] != by_name["beam4_lp1.0"] for n in by_name if n.startswith("beam4_") and n != "beam4_lp1.0"}
    differs.update({n: by_name[n] != by_name["greedy_batch"] for n in by_name if n.startswith("greedy_") and n != "greedy_batch"})

    steps = greedy_step_logits(model, spec, chosen[0])
    fsl = first_step_logits(model, spec, chosen[:2])
    for r in fsl:
        top2 = sorted(r["logits"], reverse=True)[:2]
        all_gaps.append(top2[0] - top2[1])
    all_gaps.sort()
    peak = {"steps": len(all_gaps), "median_top1_top2_gap": statistics.median(all_gaps),
            "p05_gap": all_gaps[int(0.05 * (len(all_gaps) - 1))], "min_gap": all_gaps[0]}
    log(f"[{name}] peakiness (raw-logit top1-top2 gap over greedy steps + first steps): {peak}")
    log(f"[{name}] cases whose output differs from their baseline: "
        f"{sorted(n for n, d in differs.items() if d)}; same as baseline: {sorted(n for n, d in differs.items() if not d)}")
    log(f"[{name}] fragile under 1e-4 weight noise: {fragile}; batch rows != unbatched: {unbatched_mismatch}")

    doc = {
        "family": name,
        "model_class": spec["cls"].__name__,
        "versions": versions(),
        "seed": seed,
        "compute": "CPU, float32, attn_implementation=eager, torch.set_num_threads(1)",
        "eos_calibration": calib,
        "peakiness": peak,
        "differs_from_baseline": differs,
        "fragile_cases": fragile,
        "batch_rows_differ_from_unbatched": unbatched_mismatch,
        "tensors": safetensors_listing(folder),
        "first_step_logits": fsl,
        "greedy_step_logits": steps,
        "debug": debug_states(model, spec, chosen[0]),
        "cases": cases,
    }
    dump_json(os.path.join(folder, "cases.json"), doc)
    log(f"[{name}] {len(cases)} cases in {time.time() - t0:.1f}s")
    return model, chosen, peak, {"fragile": fragile, "unbatched_mismatch": unbatched_mismatch,
                                 "eos": calib, "distinct_inputs": distinct}


def save_variant(model, spec, base_name, variant, out_dir, chosen, log, dtype=None, max_shard_size=None):
    """A copy of a checkpoint in another storage dtype or split into shards, plus the outputs HF
    computes in float32 from exactly those stored values (fp16/bf16 weights upcast)."""
    import torch
    folder = os.path.join(out_dir, f"{base_name}-{variant}")
    m = copy.deepcopy(model)
    if dtype is not None:
        m = m.to(dtype)
    kw = {"max_shard_size": max_shard_size} if max_shard_size else {}
    m.save_pretrained(folder, **kw)
    loaded = spec["cls"].from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
    ids, mask = pad_batch(spec, chosen)
    cases = []
    for cname, kwargs in [("greedy_batch", dict(num_beams=1, no_repeat_ngram_size=0, min_length=0, max_new_tokens=20)),
                          ("beam4_lp1.0", dict(num_beams=4, no_repeat_ngram_size=0, min_length=0, length_penalty=1.0,
                                               early_stopping=False, max_new_tokens=20))]:
        if not spec["encoder_decoder"]:
            kwargs["pad_token_id"] = spec["pad"]
        rec, _ = run_case(loaded, spec, ids, mask, kwargs)
        cases.append({"name": cname, "kwargs": kwargs, "input_ids": ids, "attention_mask": mask, **rec})
    fsl = first_step_logits(loaded, spec, chosen[:2])
    ref = first_step_logits(model, spec, chosen[:2])
    max_diff = max(abs(x - y) for a, b in zip(fsl, ref) for x, y in zip(a["logits"], b["logits"]))
    doc = {"family": base_name, "variant": variant, "model_class": spec["cls"].__name__,
           "versions": versions(),
           "stored_dtype": str(dtype).replace("torch.", "") if dtype is not None else "float32",
           "compute": "weights loaded with dtype=torch.float32 (upcast), CPU, eager attention",
           "max_abs_first_step_logit_diff_vs_fp32_original": max_diff,
           "tensors": safetensors_listing(folder),
           "first_step_logits": fsl, "cases": cases}
    dump_json(os.path.join(folder, "cases.json"), doc)
    log(f"[{base_name}-{variant}] files {sorted(os.listdir(folder))}, first-step logit diff vs fp32 {max_diff:.3g}")
    return max_diff


# --------------------------------------------------------------------------------------------
# Tokenizer oracle
# --------------------------------------------------------------------------------------------

HARD_STRINGS = [
    "", " ", "   ", "\t", "\n", "Hello world", " Hello world", "Hello world ",
    "  leading and trailing  ", "multiple     spaces   between", "tabs\tand\nnewlines\r\nmixed \t \n end",
    "\n\nparagraph one\n\n\nparagraph two\n", "trailing newline\n",
    "I'm it's don't they're we've you'll he'd",
    "I'M IT'S DON'T THEY'RE WE'VE YOU'LL HE'D",
    "'s 't 're 've 'm 'll 'd", "rock'n'roll O'Neil's 'quoted' \"double\"",
    "caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00dcber \u00c7a",
    "e\u0301 combining acute, n\u0303", "\u00c5ngstr\u00f6m \u212b",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8", "\u4e2d\u6587\u5206\u8bcd\u6d4b\u8bd5\uff0c\u6807\u70b9\u3002",
    "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8", "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!",
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
    "\U0001F600 smile", "\U0001F44D\U0001F3FD thumbs", "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466 family",
    "\U0001F3F3\uFE0F\u200D\U0001F308 flag", "\U0001F1E9\U0001F1EA\U0001F1EB\U0001F1F7 regional",
    "numbers 0 7 42 1234567890 3.14159 -273.15 1,000,000 1e-9",
    "2024-01-15T10:30:00Z 12:34 $5.99 50% #1",
    "!!!???...;;;---***", "(((nested)))[[[]]]{{{}}}<<<>>>",
    "pneumonoultramicroscopicsilicovolcanoconiosis",
    "Donaudampfschifffahrtselektrizit\u00e4tenhauptbetriebswerkbauunterbeamtengesellschaft",
    "a" * 120,
    "https://example.com/path/to/page?query=1&lang=en#section-2",
    "mail user.name+tag@example.co.uk now",
    "def f(x):\n    return x ** 2  # square\n",
    "for (int i = 0; i < n; i++) { sum += a[i]; }",
    "\u00a0non-breaking\u00a0space \u200bzero-width \u3000ideographic",
    "\uff46\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48 \uff11\uff12\uff13",
    "control\u0000chars\u0007here\u001b[0m",
    "<|endoftext|>", "a<|endoftext|>b", "<s>tags</s> <pad> <unk> <mask>",
    "The quick brown fox jumps over the lazy dog.",
]


def build_tokenizer(bpe_dir, out_dir, log):
    """GPT2TokenizerFast and BartTokenizerFast from the real GPT-2 vocab.json + merges.txt.
    Note: transformers 5.x ignores vocab_file=/merges_file= passed to the constructor (it builds an
    EMPTY vocabulary); from_pretrained(folder) is what reads the pair, so that is used here."""
    import tokenizers
    from transformers import BartTokenizerFast, GPT2TokenizerFast

    folder = os.path.join(out_dir, "tokenizer")
    os.makedirs(folder, exist_ok=True)
    gpt2 = GPT2TokenizerFast.from_pretrained(bpe_dir)
    bart = BartTokenizerFast.from_pretrained(bpe_dir)
    if len(gpt2) != 50257:
        raise RuntimeError(f"GPT-2 tokenizer from {bpe_dir} has {len(gpt2)} tokens, expected 50257")
    # Compact (pretty=False) tokenizer.json: same format as the hub's, half the size of pretty output.
    tj_path = os.path.join(folder, "tokenizer.json")
    gpt2.backend_tokenizer.save(tj_path, pretty=False)
    reloaded = tokenizers.Tokenizer.from_file(tj_path)
    bart_tj = json.loads(bart.backend_tokenizer.to_str())
    gpt2_tj = json.loads(gpt2.backend_tokenizer.to_str())
    same_model = bart_tj["model"] == gpt2_tj["model"]

    def record(tok, text):
        ids = tok(text)["input_ids"]
        return {"ids": ids, "tokens": tok.convert_ids_to_tokens(ids),
                "decoded": tok.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False),
                "decoded_skip_special": tok.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False),
                "decoded_default": tok.decode(ids)}

    cases, mismatches = [], []
    for text in HARD_STRINGS:
        g, b = record(gpt2, text), record(bart, text)
        g["round_trip"] = g["decoded"] == text
        b["round_trip"] = b["decoded_skip_special"] == text
        if reloaded.encode(text).ids != g["ids"]:
            mismatches.append(text)
        cases.append({"text": text, "gpt2": g, "bart": b})
    if mismatches:
        raise RuntimeError(f"tokenizer.json reloaded gives other ids for {mismatches!r}")
    doc = {
        "versions": versions(),
        "source": "GPT-2 vocab.json + merges.txt (../shared/data/gpt2-bpe), via "
                  "GPT2TokenizerFast.from_pretrained / BartTokenizerFast.from_pretrained",
        "gpt2": {"class": type(gpt2).__name__, "len": len(gpt2), "special_tokens": dict(zip(gpt2.all_special_tokens, gpt2.all_special_ids)),
                 "add_prefix_space": False, "adds_special_tokens": False, "tokenizer_json": "tokenizer.json"},
        "bart": {"class": type(bart).__name__, "len": len(bart),
                 "special_tokens": dict(zip(bart.all_special_tokens, bart.all_special_ids)),
                 "adds_special_tokens": "<s> ... </s>",
                 "model_identical_to_gpt2": same_model,
                 "note": "the GPT-2 vocabulary has no <s>, </s>, <pad>, <unk>, <mask>: HF appends them as added tokens "
                         "50257-50261 (real BART checkpoints ship their own vocab.json with <s>=0 <pad>=1 </s>=2 <unk>=3). "
                         "tokenizer_json_without_model is BART's tokenizer.json minus its 'model' section, which "
                         "equals the GPT-2 tokenizer.json's 'model' when model_identical_to_gpt2 is true.",
                 "tokenizer_json_without_model": {k: v for k, v in bart_tj.items() if k != "model"}},
        "cases": cases,
    }
    dump_json(os.path.join(folder, "cases.json"), doc)
    bad_rt = [c["text"] for c in cases if not c["gpt2"]["round_trip"]]
    log(f"[tokenizer] {len(cases)} strings, tokenizer.json {os.path.getsize(tj_path) / 1e6:.2f} MB, "
        f"bart model == gpt2 model: {same_model}, gpt2 decode != text for: {bad_rt!r}")
    return {"strings": len(cases), "gpt2_round_trip_failures": bad_rt}


# --------------------------------------------------------------------------------------------

FAMILY_ORDER = ["bart", "gpt2", "marian"]


def run_part(job, out, bpe, t0):
    """One worker: the tokenizer oracle or one model family (with its fp16/bf16/sharded copies)."""
    def log(msg):
        print(f"{time.time() - t0:7.1f}s {msg}", flush=True)

    if job == "tokenizer":
        return build_tokenizer(bpe, out, log)
    import warnings
    import torch
    import transformers
    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()   # HF's per-call warnings (pad = eos, ...) are expected
    warnings.filterwarnings("ignore")
    specs = family_specs()
    seed = SEED + 1000 * FAMILY_ORDER.index(job)
    model, chosen, peak, info = build_family(job, specs[job], out, seed, log)
    res = {"seed": seed, "peakiness": peak, **info}
    if job == "bart":
        res["fp16_logit_diff"] = save_variant(model, specs[job], job, "fp16", out, chosen, log, dtype=torch.float16)
    if job == "gpt2":
        res["bf16_logit_diff"] = save_variant(model, specs[job], job, "bf16", out, chosen, log, dtype=torch.bfloat16)
        res["sharded_logit_diff"] = save_variant(model, specs[job], job, "sharded", out, chosen, log,
                                                 max_shard_size="100KB")
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output folder (created)")
    ap.add_argument("--bpe", required=True, help="folder with GPT-2's vocab.json and merges.txt")
    ap.add_argument("--only", choices=["models", "tokenizer"], help="build one part only")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()

    def log(msg):
        print(f"{time.time() - t0:7.1f}s {msg}", flush=True)

    log(f"versions {versions()}")
    summary = {"versions": versions(), "seed": SEED, "command": " ".join(sys.argv)}
    # The four parts are independent: run them in parallel processes (one CPU thread each, so the
    # numbers do not depend on the machine's core count). torch is imported only in the workers.
    jobs = []
    if args.only != "models":
        jobs.append("tokenizer")
    if args.only != "tokenizer":
        jobs += ["bart", "gpt2", "marian"]
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=len(jobs), mp_context=ctx) as pool:
        futures = {job: pool.submit(run_part, job, args.out, args.bpe, t0) for job in jobs}
        results = {job: f.result() for job, f in futures.items()}
    if "tokenizer" in results:
        summary["tokenizer"] = results.pop("tokenizer")
    if results:
        summary["families"] = results
    summary["seconds"] = round(time.time() - t0, 1)
    dump_json(os.path.join(args.out, "summary.json"), summary)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(args.out) for f in fs)
    log(f"done: {total / 1e6:.2f} MB under {args.out}")


if __name__ == "__main__":
    main()
