#!/usr/bin/env python3
"""Same-GPU baseline of issue 5: HF transformers `generate` at the generation benchmark's settings.

BART-large shape (BartConfig() defaults, random weights), 1024 source tokens, beam 4, exactly 128
new tokens (min_new_tokens = max_new_tokens), batches 32, 128, 256: stock, and with EL-attention
patched into the decoder's cross-attention; GPT-2 medium shape (24 layers, d 1024), 512-token
prompts, beam 4, exactly 64 new tokens, batches 16 and 64, stock only. fp16 and fp32. Reports
samples/s and peak GiB (torch.cuda.max_memory_allocated) per configuration as JSON.

EL-attention (Yan et al., ICML 2021) in PyTorch: the encoder output H is kept once per sentence
(not expanded per beam, no per-layer cross K/V cache); per head the query is expanded through the
head's rows of W_k (q~ = q_h W^K_h, the key bias drops out of the softmax), scored against H,
softmaxed, the context c = p H taken, then W^V_h c + b^V_h, then the usual output projection.
Before timing, the script checks on a small random model that the patched model's cross-attention
and generated sequences equal stock's.

Usage: python3 benchmarks/hf_baseline.py --out hf.json [--limit-s 60] [--total-limit-s 300]
"""
import argparse
import json
import math
import sys
import time

import torch
import transformers
from transformers import BartConfig, BartForConditionalGeneration, GPT2Config, GPT2LMHeadModel
from transformers.generation.stopping_criteria import StoppingCriteria, StoppingCriteriaList
from transformers.modeling_outputs import BaseModelOutput


class ElState:
    """The un-expanded encoder output and its mask, shared by every patched cross-attention."""

    def __init__(self):
        self.h = None      # (sentences, width, d)
        self.mask = None   # (sentences, width) additive: 0 for a real key, -inf for a pad


def el_cross_attention(attn, state, n_outputs):
    """A forward for BartAttention `attn` (a decoder's encoder_attn) computing EL-attention over state.h."""
    heads, d = attn.num_heads, attn.embed_dim
    dh = d // heads

    def forward(hidden_states, *args, **kwargs):
        rows, t, _ = hidden_states.shape
        h = state.h
        sentences, width, _ = h.shape
        per_sentence = rows // sentences  # beams: HF keeps rows sentence-major for the whole search
        q = attn.q_proj(hidden_states) * attn.scaling                                  # (rows, t, d)
        q = q.view(rows, t, heads, dh)
        wk = attn.k_proj.weight.view(heads, dh, d)
        expanded = torch.einsum("rthe,hed->rthd", q, wk)                               # (rows, t, heads, d)
        expanded = expanded.reshape(sentences, per_sentence * t * heads, d)
        scores = torch.bmm(expanded, h.transpose(1, 2)) + state.mask[:, None, :]     # (sentences, ., width)
        p = torch.softmax(scores, dim=-1, dtype=torch.float32).to(h.dtype)
        context = torch.bmm(p, h).view(rows, t, heads, d)                              # (rows, t, heads, d)
        wv = attn.v_proj.weight.view(heads, dh, d)
        out = torch.einsum("rthd,hed->rthe", context, wv) + attn.v_proj.bias.view(heads, dh)
        out = attn.out_proj(out.reshape(rows, t, d))
        return (out,) + (None,) * (n_outputs - 1)

    return forward


def patch_el(model):
    """Replaces every decoder cross-attention of a BART model by EL-attention; returns the shared state."""
    state = ElState()
    d = model.config.d_model
    for layer in model.model.decoder.layers:
        attn = layer.encoder_attn
        with torch.no_grad():
            x = torch.zeros(1, 1, d, device=model.device, dtype=model.dtype)
            n_outputs = len(attn(hidden_states=x, key_value_states=torch.zeros(1, 2, d, device=model.device,
                                                                                  dtype=model.dtype)))
        attn.forward = el_cross_attention(attn, state, n_outputs)
    return state


def el_generate(model, state, input_ids, attention_mask, **kwargs):
    """Runs the encoder once, keeps H per sentence in `state`, and generates with a width-1 stand-in
    for the encoder output (what generate expands per beam); the patched layers read `state`."""
    h = model.get_encoder()(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    state.h = h
    state.mask = torch.zeros(attention_mask.shape, dtype=h.dtype, device=h.device).masked_fill(
        attention_mask == 0, float("-inf"))
    stand_in = BaseModelOutput(last_hidden_state=h[:, :1, :])
    ones = torch.ones(input_ids.shape[0], 1, dtype=attention_mask.dtype, device=attention_mask.device)
    try:
        return model.generate(encoder_outputs=stand_in, attention_mask=ones, **kwargs)
    finally:
        state.h = state.mask = None


class Deadline(StoppingCriteria):
    """Stops a configuration at its time limit by raising (so the run is reported, not shortened)."""

    def __init__(self, seconds):
        self.end = time.perf_counter() + seconds
        self.steps = 0

    def __call__(self, input_ids, scores, **kwargs):
        self.steps += 1
        if time.perf_counter() > self.end:
            raise TimeoutError(f"time limit after {self.steps} steps")
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)


def gen_kwargs(new_tokens, beams, pad):
    return dict(num_beams=beams, min_new_tokens=new_tokens, max_new_tokens=new_tokens, do_sample=False,
                pad_token_id=pad)


def verify_el(device):
    """A small random BART: the patched cross-attention and generation must equal stock's."""
    torch.manual_seed(0)
    config = BartConfig(vocab_size=120, d_model=64, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
                        decoder_attention_heads=4, encoder_ffn_dim=128, decoder_ffn_dim=128, max_position_embeddings=64)
    stock = BartForConditionalGeneration(config).to(device).float().eval()
    patched = BartForConditionalGeneration(config).to(device).float().eval()
    patched.load_state_dict(stock.state_dict())
    state = patch_el(patched)
    ids = torch.randint(4, config.vocab_size, (3, 20), device=device)
    mask = torch.ones_like(ids)
    mask[1, 15:] = 0  # a padded sentence: EL must mask the same keys
    ids[1, 15:] = config.pad_token_id
    with torch.inference_mode():
        # one layer's cross-attention on 2 rows per sentence
        attn_stock = stock.model.decoder.layers[0].encoder_attn
        attn_el = patched.model.decoder.layers[0].encoder_attn
        h = stock.get_encoder()(input_ids=ids, attention_mask=mask).last_hidden_state
        x = torch.randn(6, 1, config.d_model, device=device)
        expanded_h = h.repeat_interleave(2, dim=0)
        expanded_mask = mask.repeat_interleave(2, dim=0)
        additive = torch.zeros(6, 1, 1, 20, device=device).masked_fill(expanded_mask[:, None, None, :] == 0,
                                                                       float("-inf"))
        want = attn_stock(hidden_states=x, key_value_states=expanded_h, attention_mask=additive)[0]
        state.h = h
        state.mask = torch.zeros(mask.shape, device=device).masked_fill(mask == 0, float("-inf"))
        got = attn_el(hidden_states=x)[0]
        state.h = state.mask = None
        err = (want - got).abs().max().item()
        if err > 1e-4:
            raise SystemExit(f"EL cross-attention differs from stock by {err}")
        kw = gen_kwargs(12, 4, config.pad_token_id)
        a = stock.generate(input_ids=ids, attention_mask=mask, **kw)
        b = el_generate(patched, state, ids, mask, **kw)
    if not torch.equal(a, b):
        raise SystemExit(f"EL generation differs from stock:\n{a}\n{b}")
    return {"max_abs_diff_cross_attention": err, "sequences_equal": True}


def run_one(make_model, dtype, batch, width, new_tokens, beams, el, limit_s, seed=1234):
    """One configuration: builds the model, warms up, times generate; never raises for OOM or timeout."""
    result = {"batch": batch, "dtype": str(dtype).replace("torch.", ""), "el": el}
    model = state = None
    try:
        torch.manual_seed(seed)
        model = make_model().to("cuda", dtype=dtype).eval()
        state = patch_el(model) if el else None
        vocab = model.config.vocab_size
        pad = model.config.pad_token_id if model.config.pad_token_id is not None else model.config.eos_token_id
        ids = torch.randint(4, vocab - 1, (batch, width), device="cuda")
        mask = torch.ones_like(ids)

        def generate(rows, tokens, criteria=None):
            kw = gen_kwargs(tokens, beams, pad)
            if criteria is not None:
                kw["stopping_criteria"] = StoppingCriteriaList([criteria])
            if el:
                return el_generate(model, state, ids[:rows], mask[:rows], **kw)
            return model.generate(input_ids=ids[:rows], attention_mask=mask[:rows], **kw)

        with torch.inference_mode():
            generate(1, 2)  # warm-up: kernels, cuBLAS handles
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            deadline = Deadline(limit_s)
            start = time.perf_counter()
            out = generate(batch, new_tokens, deadline)
            torch.cuda.synchronize()
            seconds = time.perf_counter() - start
        generated = out.shape[1] - (1 if model.config.is_encoder_decoder else width)
        result.update(status="ok", seconds=seconds, samples_per_s=batch / seconds,
                      tokens_per_s=batch * new_tokens / seconds, generated_tokens=generated,
                      peak_gib=torch.cuda.max_memory_allocated() / 2**30)
    except TimeoutError as e:
        result.update(status="timeout", message=str(e), peak_gib=torch.cuda.max_memory_allocated() / 2**30)
    except torch.OutOfMemoryError as e:
        result.update(status="out_of_memory", message=str(e).splitlines()[0])
    finally:
        del model, state
        torch.cuda.empty_cache()
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="hf.json")
    ap.add_argument("--limit-s", type=float, default=60, help="time limit of one configuration")
    ap.add_argument("--total-limit-s", type=float, default=math.inf, help="skip what is left after this")
    ap.add_argument("--bart-batches", default="32,128,256")
    ap.add_argument("--gpt2-batches", default="16,64")
    ap.add_argument("--dtypes", default="float16,float32")
    ap.add_argument("--bart-new-tokens", type=int, default=128)
    ap.add_argument("--gpt2-new-tokens", type=int, default=64)
    ap.add_argument("--verify-only", action="store_true")
    args = ap.parse_args()
    total_end = time.perf_counter() + args.total_limit_s

    report = {"benchmark": "hf transformers generate", "transformers": transformers.__version__,
              "torch": torch.__version__, "device": torch.cuda.get_device_name(0),
              "el_check": verify_el("cuda"), "runs": []}
    print("EL-attention patch matches stock:", report["el_check"], flush=True)
    if args.verify_only:
        json.dump(report, open(args.out, "w"), indent=2)
        return
    bart = lambda: BartForConditionalGeneration(BartConfig())
    gpt2 = lambda: GPT2LMHeadModel(GPT2Config(n_layer=24, n_embd=1024, n_head=16))
    configs = []
    for dtype in [getattr(torch, d) for d in args.dtypes.split(",")]:
        for b in [int(x) for x in args.bart_batches.split(",") if x]:
            for el in (False, True):
                configs.append(("bart-large", bart, dtype, b, 1024, args.bart_new_tokens, el))
    for dtype in [getattr(torch, d) for d in args.dtypes.split(",")]:
        for b in [int(x) for x in args.gpt2_batches.split(",") if x]:
            configs.append(("gpt2-medium", gpt2, dtype, b, 512, args.gpt2_new_tokens, False))
    for shape, make, dtype, batch, width, tokens, el in configs:
        if time.perf_counter() > total_end:
            r = {"batch": batch, "dtype": str(dtype).replace("torch.", ""), "el": el, "status": "skipped",
                 "message": "total time limit"}
        else:
            r = run_one(make, dtype, batch, width, tokens, 4, el, args.limit_s)
        r.update(shape=shape, beams=4, new_tokens=tokens, input_width=width)
        print(json.dumps(r), flush=True)
        report["runs"].append(r)
        json.dump(report, open(args.out, "w"), indent=2)  # partial results survive a kill


if __name__ == "__main__":
    sys.exit(main())
