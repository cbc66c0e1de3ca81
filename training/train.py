#!/usr/bin/env python3
"""Trains elattn's embedded default models on Debian package descriptions, in one command.

    python3 training/train.py --data debian-descriptions.jsonl.gz --out OUT_DIR

What it does, in order (see training/README.md for the numbers of the committed run):

  1. Reads the data (one JSON object a line: package, synopsis, description, split) and keeps the
     given train/valid/test split.
  2. Trains one byte-level BPE tokenizer (GPT-2 pre-tokenizer, 256-symbol byte alphabet, 8000 ids,
     specials <s> <pad> </s> <unk> <mask> at ids 0..4 as BART has them) on the train split's
     descriptions and synopses. It is saved twice through transformers' save_pretrained:
       - BART style: RobertaProcessing post-processor, encode gives <s> X </s>;
       - GPT-2 style: ByteLevel post-processor, nothing added on encode, bos <s>, eos = pad = </s>.
  3. Smoke test: every later stage (batching, a few training steps, validation, fp16 save, reload,
     generate, samples, packaging) on tiny models, so that a bug shows up in seconds, not after
     the long training.
  4. debian-bart: BartForConditionalGeneration, description (<s> X </s>, at most 256 tokens) ->
     synopsis (<s> X </s>, at most 32 tokens). Decoder input = labels shifted right with
     decoder_start_token_id </s>=2, exactly as HF's shift_tokens_right; so at generation the
     decoder starts with 2, forced_bos makes the next token <s>=0, and the synopsis follows.
  5. debian-gpt2: GPT2LMHeadModel on "description </s>" (no <s>, at most 256 tokens), starting at
     position 0: a prompt encoded with no specials, as `generate` gets it, is then exactly what the
     model saw in training, and it learns to end a description with </s>.
  6. Each model is trained for a wall-clock budget (--bart-seconds, --gpt2-seconds; validation
     not counted): the learning rate warms up linearly over the first steps and then decays
     linearly to 0 as the budget's time runs out. The step count reached is printed and recorded;
     --bart-steps/--gpt2-steps give a step-based linear decay over a fixed count instead.
     The weights of the epoch with the lowest valid loss are kept.
  7. Saves each model as fp16 safetensors with its tokenizer and generation_config.json, reloads
     the saved folder (fp32 upcast, CPU, eager attention), reports the valid loss of the shipped
     weights and writes samples.json: 5 test records, input ids, HF generate output ids and text.

Deterministic: fixed seeds for python, torch and the data order; only the time-derived step
count (recorded) and GPU kernel nondeterminism can differ between runs.
"""

import argparse
import copy
import gzip
import hashlib
import json
import os
import platform
import random
import re
import shutil
import sys
import tarfile
import time

SEED = 20240607
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]   # ids 0..4, BART's order
BOS, PAD, EOS = 0, 1, 2
VOCAB_SIZE = 8000
SRC_MAX, TGT_MAX, LM_MAX = 256, 32, 256   # BART source / target tokens, GPT-2 tokens
N_SAMPLES = 5

T0 = time.time()


def log(msg):
    print(f"[{time.time() - T0:7.1f}s] {msg}", flush=True)


def versions():
    out = {"python": platform.python_version()}
    for mod in ("torch", "transformers", "tokenizers", "safetensors", "numpy"):
        try:
            out[mod] = __import__(mod).__version__
        except ImportError:
            out[mod] = None
    return out


# ------------------------------------------------------------------------------------------------
# Data and tokenizer
# ------------------------------------------------------------------------------------------------

def load_data(path):
    """split name -> list of records, in file order."""
    splits = {"train": [], "valid": [], "test": []}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            splits[rec["split"]].append(rec)
    return splits


def train_tokenizer(train_records):
    """Byte-level BPE as tokenizers' ByteLevelBPETokenizer builds it (no normalizer, ByteLevel
    pre-tokenizer without prefix space, ByteLevel decoder), trained on descriptions + synopses."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, min_frequency=2, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)

    def texts():
        for r in train_records:
            yield r["description"]
            yield r["synopsis"]

    tok.train_from_iterator(texts(), trainer, length=2 * len(train_records))
    # BART's <mask> takes the space before it (lstrip), as facebook/bart-* ship it.
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=False, single_word=False,
                                       normalized=False, special=True)])
    assert [tok.token_to_id(s) for s in SPECIALS] == [0, 1, 2, 3, 4], "specials must be ids 0..4"
    assert tok.get_vocab_size() == VOCAB_SIZE, tok.get_vocab_size()
    return tok


def hf_tokenizer(raw, style):
    """transformers' fast tokenizer around a copy of `raw` for 'bart' (<s> X </s>) or 'gpt2'
    (nothing added). save_pretrained of these writes tokenizer.json + tokenizer_config.json."""
    from tokenizers import AddedToken, Tokenizer, processors
    from transformers import BartTokenizerFast, GPT2TokenizerFast
    tok = Tokenizer.from_str(raw.to_str())
    mask = AddedToken("<mask>", lstrip=True, rstrip=False, special=True, normalized=False)
    if style == "bart":
        tok.post_processor = processors.RobertaProcessing(("</s>", EOS), ("<s>", BOS),
                                                          trim_offsets=True, add_prefix_space=False)
        hf = BartTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>",
                               sep_token="</s>", cls_token="<s>", unk_token="<unk>",
                               pad_token="<pad>", mask_token=mask, add_prefix_space=False)
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
        hf = GPT2TokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>",
                               unk_token="<unk>", pad_token="</s>", mask_token=mask,
                               add_prefix_space=False)
    hf.model_max_length = 512
    ids = hf("Hello world")["input_ids"]
    assert (ids[0] == BOS and ids[-1] == EOS) if style == "bart" else (BOS not in ids and EOS not in ids), ids
    return hf


def encode_all(splits, tok_bart, tok_gpt2):
    """Token ids per split: BART (source, target) pairs and GPT-2 sequences."""
    out = {}
    for name, recs in splits.items():
        descs = [r["description"] for r in recs]
        src = tok_bart(descs, truncation=True, max_length=SRC_MAX)["input_ids"]
        tgt = tok_bart([r["synopsis"] for r in recs], truncation=True, max_length=TGT_MAX)["input_ids"]
        lm = []
        for ids in tok_gpt2(descs)["input_ids"]:
            # "description </s>"; a description cut at LM_MAX has no </s> (it did not end there)
            lm.append(ids + [EOS] if len(ids) < LM_MAX else ids[:LM_MAX])
        out[name] = {"src": src, "tgt": tgt, "lm": lm}
    return out


# ------------------------------------------------------------------------------------------------
# Batching
# ------------------------------------------------------------------------------------------------

def batches(lengths, batch_size, rng):
    """Length-bucketed batches in a seeded random order: shuffle, sort by length inside chunks of
    50 batches (little padding), cut into batches, shuffle the batches."""
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    chunk = batch_size * 50
    out = []
    for c in range(0, len(idx), chunk):
        part = sorted(idx[c:c + chunk], key=lambda i: lengths[i])
        out.extend(part[b:b + batch_size] for b in range(0, len(part), batch_size))
    rng.shuffle(out)
    return out


def pad(seqs, value, torch, device):
    """Pads to the longest, rounded up to a multiple of 16: few distinct shapes, so cuBLAS picks
    its kernels for a shape once instead of every few steps."""
    width = -(-max(len(s) for s in seqs) // 16) * 16
    return torch.tensor([s + [value] * (width - len(s)) for s in seqs], dtype=torch.long, device=device)


def bart_batch(data, ids, torch, device):
    """input_ids, attention_mask, decoder_input_ids, labels (-100 on padding). The decoder input is
    HF's shift_tokens_right(labels): [decoder_start=</s>] + labels[:-1], padding -> <pad>."""
    src = pad([data["src"][i] for i in ids], PAD, torch, device)
    tgt = pad([data["tgt"][i] for i in ids], PAD, torch, device)
    dec = torch.full_like(tgt, PAD)
    dec[:, 0] = EOS                      # decoder_start_token_id
    dec[:, 1:] = tgt[:, :-1]
    labels = tgt.masked_fill(tgt == PAD, -100)
    return dict(input_ids=src, attention_mask=(src != PAD).long(), decoder_input_ids=dec), labels


def gpt2_batch(data, ids, torch, device):
    """input_ids right-padded (no attention mask needed: causal attention never lets a real
    position see the padding after it) and next-token labels, -100 on padding."""
    lens = [len(data["lm"][i]) for i in ids]
    x = pad([data["lm"][i] for i in ids], PAD, torch, device)
    pos = torch.arange(x.shape[1], device=device)[None, :]
    real = pos < torch.tensor(lens, device=device)[:, None]
    labels = x.masked_fill(~real, -100)[:, 1:]
    return dict(input_ids=x), labels


def loss_of(model, inputs, labels, torch):
    logits = model(**inputs).logits
    if logits.shape[1] != labels.shape[1]:          # GPT-2: predict token t+1 from position t
        logits = logits[:, :-1]
    return torch.nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]),
                                             labels.reshape(-1), ignore_index=-100, reduction="sum"), \
        (labels != -100).sum()


def valid_loss(model, data, make_batch, lengths, torch, device, batch_size=128):
    """Mean cross-entropy per target token over the whole split, fp32, no dropout."""
    model.eval()
    total, count = 0.0, 0
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    with torch.no_grad():
        for b in range(0, len(order), batch_size):
            inputs, labels = make_batch(data, order[b:b + batch_size], torch, device)
            s, n = loss_of(model, inputs, labels, torch)
            total += s.item()
            count += n.item()
    model.train()
    return total / count


# ------------------------------------------------------------------------------------------------
# Models
# ------------------------------------------------------------------------------------------------

def make_bart(tiny):
    from transformers import BartConfig, BartForConditionalGeneration, GenerationConfig
    d, layers, heads, ffn = (32, 1, 2, 64) if tiny else (256, 3, 4, 1024)
    cfg = BartConfig(vocab_size=VOCAB_SIZE, max_position_embeddings=512, d_model=d,
                     encoder_layers=layers, decoder_layers=layers, encoder_attention_heads=heads,
                     decoder_attention_heads=heads, encoder_ffn_dim=ffn, decoder_ffn_dim=ffn,
                     activation_function="gelu", dropout=0.1, attention_dropout=0.0,
                     activation_dropout=0.0, scale_embedding=False, tie_word_embeddings=True,
                     pad_token_id=PAD, bos_token_id=BOS, eos_token_id=EOS, decoder_start_token_id=EOS,
                     forced_eos_token_id=EOS)
    model = BartForConditionalGeneration(cfg)
    # Summaries: beam 4, trigram blocking; forced <s> after the decoder start (as trained: labels
    # begin with <s>) and forced </s> at max_length, as facebook/bart-large-cnn.
    model.generation_config = GenerationConfig(
        bos_token_id=BOS, eos_token_id=EOS, pad_token_id=PAD, decoder_start_token_id=EOS,
        forced_bos_token_id=BOS, forced_eos_token_id=EOS, num_beams=4, max_length=40, min_length=3,
        no_repeat_ngram_size=3, early_stopping=True, length_penalty=1.0)
    return model


def make_gpt2(tiny):
    from transformers import GenerationConfig, GPT2Config, GPT2LMHeadModel
    d, layers, heads = (32, 1, 2) if tiny else (256, 4, 4)
    cfg = GPT2Config(vocab_size=VOCAB_SIZE, n_positions=512, n_embd=d, n_layer=layers, n_head=heads,
                     activation_function="gelu_new", resid_pdrop=0.1, embd_pdrop=0.1, attn_pdrop=0.0,
                     bos_token_id=BOS, eos_token_id=EOS, pad_token_id=EOS, tie_word_embeddings=True)
    model = GPT2LMHeadModel(cfg)
    model.generation_config = GenerationConfig(
        bos_token_id=BOS, eos_token_id=EOS, pad_token_id=EOS, max_new_tokens=40, num_beams=4,
        no_repeat_ngram_size=3, early_stopping=True)
    return model


# ------------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------------

def train(model, data, make_batch, train_lengths, valid_lengths, hp, seconds, steps, torch, device):
    """AdamW + linear warmup/decay under bf16 autocast for `steps` steps, or, when steps is None,
    for `seconds` of training. data: split name -> that split's token ids. Validates after every
    epoch (and at the end); returns (state dict of the best epoch, stats)."""
    model.to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=hp["lr"], betas=(0.9, 0.98), eps=1e-8,
                            weight_decay=0.01, fused=device.type == "cuda")
    # Linear warmup over `warm` steps, then linear decay to 0: over `steps` steps when given, else
    # over the wall-clock budget (`seconds` of training, validation excluded), since the step time
    # is only known once running (the first steps are slow while cuBLAS meets new shapes).
    warm = hp["warmup"]
    clock = {"train": 0.0}

    def factor(s):
        done = s / steps if steps else clock["train"] / seconds
        return min(1.0, (s + 1) / warm) * max(0.0, 1.0 - done)

    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    rng = random.Random(SEED)
    step, epoch, best = 0, 0, (float("inf"), None, -1)
    history = []
    t_start = time.time()
    train_before = 0.0            # training seconds of the finished epochs (validation excluded)
    running, running_n = 0.0, 0   # the loss of every 50th step (reading it syncs the GPU)
    finished = False
    while not finished:
        epoch += 1
        t_epoch = time.time()
        for ids in batches(train_lengths, hp["batch"], rng):
            inputs, labels = make_batch(data["train"], ids, torch, device)
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                s, n = loss_of(model, inputs, labels, torch)
            loss = s / n
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            if steps is None and step % 10 == 0:     # the clock is read every 10 steps (syncs)
                torch.cuda.synchronize() if device.type == "cuda" else None
                clock["train"] = train_before + time.time() - t_epoch
                finished = clock["train"] >= seconds
            finished = finished or (steps is not None and step >= steps)
            sched.step()
            running += loss.item() if step % 50 == 0 else 0.0
            running_n += 1 if step % 50 == 0 else 0
            if step % 250 == 0:
                log(f"  step {step} epoch {epoch} loss {running / max(1, running_n):.4f} "
                    f"lr {sched.get_last_lr()[0]:.2e} ({clock['train']:.0f} s of training)")
                running, running_n = 0.0, 0
            if finished:
                break
        if device.type == "cuda":
            torch.cuda.synchronize()
        train_before += time.time() - t_epoch
        v = valid_loss(model, data["valid"], make_batch, valid_lengths, torch, device)
        history.append({"epoch": epoch, "step": step, "valid_loss": round(v, 5),
                        "seconds": round(time.time() - t_start, 1)})
        log(f"  epoch {epoch} step {step}: valid loss {v:.4f} ({time.time() - t_start:.0f} s)")
        if v < best[0]:
            best = (v, {k: t.detach().to("cpu", copy=True) for k, t in model.state_dict().items()}, epoch)
    stats = {"steps": step, "epochs": epoch, "train_seconds_excluding_validation": round(train_before, 1),
             "train_seconds_including_validation": round(time.time() - t_start, 1),
             "best_epoch": best[2], "best_valid_loss_fp32_master_weights": round(best[0], 5), "history": history}
    return best[1], stats


# ------------------------------------------------------------------------------------------------
# Saving, samples, packaging
# ------------------------------------------------------------------------------------------------

def save_model(model, state, tok, folder):
    """fp16 safetensors + config (dtype float16) + generation_config + tokenizer files."""
    shutil.rmtree(folder, ignore_errors=True)
    model.load_state_dict(state)
    model.to("cpu").half().save_pretrained(folder, safe_serialization=True)
    tok.save_pretrained(folder)
    path = os.path.join(folder, "config.json")
    cfg = json.load(open(path))
    if cfg.get("dtype") != "float16":          # transformers 5 writes it; make sure the file says so
        log(f"  config.json had dtype {cfg.get('dtype')!r}; set to float16")
        cfg["dtype"] = "float16"
        with open(path, "w") as f:
            json.dump(cfg, f, indent=2, sort_keys=True)
            f.write("\n")


def prompt_of(text, words=8):
    """The description up to the end of its `words`-th word (original spacing kept)."""
    m = re.match(r"\s*(?:\S+\s+){%d}" % (words - 1) + r"\S+", text)
    return m.group(0) if m else text


def write_samples(cls, folder, tok, test_records, kind, torch):
    """Reloads the saved folder (fp16 weights upcast to fp32, CPU, eager attention) and runs HF
    generate with the folder's own generation_config.json on the first N_SAMPLES test records."""
    from transformers import AutoTokenizer
    torch.set_num_threads(1)
    model = cls.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
    loaded_tok = AutoTokenizer.from_pretrained(folder)
    out = []
    # records whose description fits the BART source (no truncation: text and ids agree)
    fits = [r for r in test_records if len(tok(r["description"])["input_ids"]) <= SRC_MAX]
    for rec in fits[:N_SAMPLES]:
        text = rec["description"] if kind == "bart" else prompt_of(rec["description"])
        ids = loaded_tok(text)["input_ids"]
        assert ids == tok(text)["input_ids"], "reloaded tokenizer differs"
        x = torch.tensor([ids])
        with torch.no_grad():
            g = model.generate(x, attention_mask=torch.ones_like(x), do_sample=False,
                               output_scores=True, return_dict_in_generate=True)
        seq = g.sequences[0].tolist()
        new = seq if kind == "bart" else seq[len(ids):]
        item = {"package": rec["package"], "input_text": text, "input_ids": ids, "output_ids": seq,
                "decoded": loaded_tok.decode(new, skip_special_tokens=True)}
        if kind == "bart":
            item["reference_synopsis"] = rec["synopsis"]
        else:
            item["new_ids"] = new
            item["reference_description"] = rec["description"]
        if getattr(g, "sequences_scores", None) is not None:
            item["sequences_score"] = float(g.sequences_scores[0])
        out.append(item)
    doc = {
        "model": os.path.basename(folder),
        "how": ("HF generate(input_ids, attention_mask=ones, do_sample=False) with the folder's own "
                "generation_config.json; weights loaded from this folder's fp16 safetensors with "
                "dtype=float32 (upcast), CPU, eager attention, one thread."),
        "output_ids": ("as HF returns them: the decoder sequence starting with decoder_start_token_id 2"
                       if kind == "bart" else "as HF returns them: prompt ids followed by new ids"),
        "decoded": "tokenizer.decode(new tokens, skip_special_tokens=True)",
        "input": ("the description; tokenizer(text) adds <s> ... </s>" if kind == "bart" else
                  "the first 8 words of the description; tokenizer(text) adds nothing"),
        "generation_config": model.generation_config.to_diff_dict(),
        "versions": versions(),
        "samples": out,
    }
    with open(os.path.join(folder, "samples.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    return out


def package(folder, out_dir, name):
    """$OUT/<name>.safetensors + $OUT/<name>.tar (every other file): fits the 16 MiB a file."""
    shutil.copy(os.path.join(folder, "model.safetensors"), os.path.join(out_dir, name + ".safetensors"))
    with tarfile.open(os.path.join(out_dir, name + ".tar"), "w") as tar:
        for fn in sorted(os.listdir(folder)):
            if fn != "model.safetensors":
                tar.add(os.path.join(folder, fn), arcname=fn)
    sizes = {fn: os.path.getsize(os.path.join(folder, fn)) for fn in sorted(os.listdir(folder))}
    log(f"  {name}: {sum(sizes.values()) / 2 ** 20:.2f} MiB {sizes}")
    return sizes


def run_model(kind, tiny, enc, splits, toks, args, out_dir, torch, device):
    """Train, save, reload, validate the shipped weights, write samples; returns its report."""
    from transformers import BartForConditionalGeneration, GPT2LMHeadModel
    torch.manual_seed(SEED)
    if kind == "bart":
        model, cls, make_batch = make_bart(tiny), BartForConditionalGeneration, bart_batch
        data = {s: {"src": enc[s]["src"], "tgt": enc[s]["tgt"]} for s in enc}
        lengths = {s: [len(a) + len(b) for a, b in zip(data[s]["src"], data[s]["tgt"])] for s in data}
        hp = {"batch": 256, "lr": 1e-3, "warmup": 200}
        seconds, steps = args.bart_seconds, args.bart_steps
    else:
        model, cls, make_batch = make_gpt2(tiny), GPT2LMHeadModel, gpt2_batch
        data = {s: {"lm": enc[s]["lm"]} for s in enc}
        lengths = {s: [len(a) for a in data[s]["lm"]] for s in data}
        hp = {"batch": 128, "lr": 1e-3, "warmup": 200}
        seconds, steps = args.gpt2_seconds, args.gpt2_steps
    if tiny:   # smoke test: a few steps on a slice, every code path
        data = {s: {k: v[:200] for k, v in d.items()} for s, d in data.items()}
        lengths = {s: v[:200] for s, v in lengths.items()}
        hp, seconds, steps = dict(hp, warmup=2), None, 5
    n_params = sum(p.numel() for p in model.parameters())
    log(f"{kind}{' (smoke)' if tiny else ''}: {n_params / 1e6:.2f} M parameters, {hp}")
    state, stats = train(model, data, make_batch, lengths["train"], lengths["valid"], hp,
                         seconds, steps, torch, device)
    folder = os.path.join(args.models, ("smoke-" if tiny else "") + "debian-" + kind)
    save_model(model, state, toks[kind], folder)
    shipped = cls.from_pretrained(folder, dtype=torch.float32).to(device)
    stats["valid_loss_shipped_fp16_weights"] = round(
        valid_loss(shipped, data["valid"], make_batch, lengths["valid"], torch, device), 5)
    stats["test_loss_shipped_fp16_weights"] = round(
        valid_loss(shipped, data["test"], make_batch, lengths["test"], torch, device), 5)
    del shipped
    samples = write_samples(cls, folder, toks[kind], splits["test"], kind, torch)
    torch.set_num_threads(os.cpu_count() or 1)
    for s in samples:
        log(f"  sample {s['package']}: {s['decoded']!r}")
    stats.update({"parameters": n_params, "hyper_parameters": hp})
    if not tiny:
        stats["files"] = package(folder, out_dir, "debian-" + kind)
    log(f"{kind}: {json.dumps({k: v for k, v in stats.items() if k != 'history'})}")
    return stats


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="debian-descriptions.jsonl.gz")
    ap.add_argument("--out", required=True, help="where the packaged models and metrics.json go")
    ap.add_argument("--models", default=None, help="where the model folders are written (default OUT/models)")
    ap.add_argument("--bart-seconds", type=float, default=180.0)
    ap.add_argument("--gpt2-seconds", type=float, default=120.0)
    ap.add_argument("--bart-steps", type=int, default=None, help="fixed step count (replays a run)")
    ap.add_argument("--gpt2-steps", type=int, default=None, help="fixed step count (replays a run)")
    ap.add_argument("--only-tokenizer", action="store_true", help="train and save the tokenizers only (no torch)")
    ap.add_argument("--skip-smoke", action="store_true")
    args = ap.parse_args()
    args.models = args.models or os.path.join(args.out, "models")
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.models, exist_ok=True)
    random.seed(SEED)

    splits = load_data(args.data)
    log(f"data: {', '.join(f'{k} {len(v)}' for k, v in splits.items())}")
    raw = train_tokenizer(splits["train"])
    digest = hashlib.sha256(raw.to_str().encode()).hexdigest()[:16]
    toks = {"bart": hf_tokenizer(raw, "bart"), "gpt2": hf_tokenizer(raw, "gpt2")}
    log(f"tokenizer: {raw.get_vocab_size()} ids, sha256 {digest}")
    if args.only_tokenizer:
        for k, t in toks.items():
            t.save_pretrained(os.path.join(args.models, "debian-" + k))
        return
    enc = encode_all(splits, toks["bart"], toks["gpt2"])
    for name in ("src", "tgt", "lm"):
        lens = [len(x) for x in enc["train"][name]]
        log(f"  train {name}: mean {sum(lens) / len(lens):.1f} tokens, max {max(lens)}, "
            f"{sum(1 for x in lens if x >= {'src': SRC_MAX, 'tgt': TGT_MAX, 'lm': LM_MAX}[name])} at the cap")

    import torch
    torch.backends.cuda.matmul.allow_tf32 = True   # training only; samples run on the CPU in fp32
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    log(f"versions {versions()}, device {torch.cuda.get_device_name(0) if device.type == 'cuda' else 'cpu'}")

    if not args.skip_smoke:
        for kind in ("bart", "gpt2"):
            run_model(kind, True, enc, splits, toks, args, args.out, torch, device)
        log("smoke test passed")

    report = {"versions": versions(), "tokenizer_sha256_16": digest, "seed": SEED,
              "device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
              "command": " ".join(sys.argv)}
    for kind in ("bart", "gpt2"):
        report[kind] = run_model(kind, False, enc, splits, toks, args, args.out, torch, device)
        with open(os.path.join(args.out, "metrics.json"), "w") as f:
            json.dump(report, f, indent=1)
    log("done")


if __name__ == "__main__":
    main()
