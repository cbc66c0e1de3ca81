# Temporary: HF transformers on the shipped debian-bart over the test split, batch 64, file order.
import json, sys, time, torch
from transformers import AutoTokenizer, BartForConditionalGeneration
recs = [json.loads(l) for l in open(sys.argv[1])]
out = sys.argv[2]
tok = AutoTokenizer.from_pretrained("models/debian-bart")
texts = [r["description"] for r in recs]
res = {}
for dtype in [torch.float32, torch.float16]:
    m = BartForConditionalGeneration.from_pretrained("models/debian-bart", dtype=dtype).cuda().eval()
    def run(bs, lo=0, hi=None):
        outs = []
        ts = texts[lo:hi]
        for i in range(0, len(ts), bs):
            b = tok(ts[i:i + bs], return_tensors="pt", padding=True, truncation=True, max_length=512).to("cuda")
            with torch.no_grad():
                g = m.generate(**b)
            outs += [tok.decode(x, skip_special_tokens=True).strip() for x in g]
        return outs
    for bs in [64, 256]:
        run(bs, 0, bs)
        torch.cuda.synchronize(); t = time.time()
        o = run(bs)
        torch.cuda.synchronize(); dt = time.time() - t
        res[f"{dtype}-{bs}"] = {"samples_per_s": len(texts) / dt, "seconds": dt}
        if dtype == torch.float32 and bs == 64:
            res["outputs_fp32_64"] = o
        print(dtype, bs, len(texts) / dt, "samples/s", flush=True)
json.dump(res, open(out, "w"))
