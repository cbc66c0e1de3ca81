# Temporary measurement of issue 13's first changes (run on the GPU machine after tools/gpu-pack.sh).
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
source .gpu/env.sh
export LD_PRELOAD=$JAVA_HOME/lib/libjsig.so
cp="$(ls .gpu/app/*.jar .gpu/app/lib/*.jar | tr '\n' ':')"
J="java --enable-native-access=ALL-UNNAMED -Xmx8g -Delattn.kernelCache=/tmp/kc -cp $cp"
nvidia-smi --query-gpu=name --format=csv,noheader | tee "$out/gpu.txt"
for bs in 64 256; do
for graphs in true false; do
  echo "== eval bs=$bs cudaGraphs=$graphs"
  $J -Delattn.cudaGraphs=$graphs elattn.cli.Main eval --input bench-data/debian-test.jsonl --input-field description \
     --reference-field synopsis --model models/debian-bart --device cuda:0 --batch-size $bs --attention el \
     --json "$out/eval-$bs-$graphs.json" 2>&1 | tail -6
done
done
echo "== summarize whole process (cold kernel cache, then warm)"
rm -rf /tmp/kc
for i in 1 2; do
  s=$(date +%s.%N)
  $J elattn.cli.Main summarize --input bench-data/debian-test.jsonl --input-field description --id-field id \
     --model models/debian-bart --device cuda:0 --batch-size 64 --output "$out/ours-$i.jsonl" --overwrite 2>&1 | tail -2
  e=$(date +%s.%N); echo "run $i: $(echo "$e - $s" | bc) s"
done
s=$(date +%s.%N)
$J elattn.cli.Main summarize --model models/debian-bart --device cuda:0 "GNU Make is a tool which controls the generation of executables and other non-source files of a program from the program's source files."
e=$(date +%s.%N); echo "one text: $(echo "$e - $s" | bc) s"
timeout 400 python3 bench-data/hf_debian.py bench-data/debian-test.jsonl "$out/hf.json" 2>&1 | grep -v Warn | tail -8
python3 - "$out" <<'PY'
import json,sys
o=sys.argv[1]
hf=json.load(open(o+"/hf.json"))["outputs_fp32_64"]
ours=[json.loads(l) for l in open(o+"/ours-2.jsonl")]
def text(r):
    for k in ("summary","text","output"):
        if k in r: return r[k] if isinstance(r[k],str) else r[k][0]
    return str(r)
same=sum(1 for a,b in zip(hf,ours) if a==text(b))
print("identical to HF fp32:", same, "of", len(hf)); print("example ours:", ours[0])
PY
