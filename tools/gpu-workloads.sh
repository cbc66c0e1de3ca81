#!/usr/bin/env bash
# Runs on the GPU machine, from the project root, after tools/gpu-pack.sh filled .gpu/ here and .gpu
# travelled along (docs/gpu.md): the workloads benchmark (docs/benchmarks.md, "Workloads"). Per
# workload: its inputs exported (`elattn bench --workload NAME --export`), ours in each arithmetic
# (`elattn bench --workload NAME --json`), HF transformers on the same inputs (benchmarks/hf_workloads.py),
# and for debian-bart the command itself (benchmarks/command_timing.py: `elattn summarize --input` on
# the test split, and `elattn summarize TEXT` twice). Then the merged table and the chart.
# Time-limited to fit one call of the device tool (10 minutes): each timed pass stops after the batch
# during which RUN_LIMIT_S passed, every step gets only the time left of TOTAL_S, and what would start
# after it is skipped (all five workloads with the defaults take longer: run them in two calls, e.g.
# WORKLOADS="debian-bart marian-opus gpt2-small", then WORKLOADS="bart-large distilbart").
# Results in $OUT (or ./gpu-out), five files (the device tool returns at most 8): workloads.json (every
# report, as `merge_workloads.py --bundle` writes them), workloads-table.md, workloads.svg,
# workloads.log, gpu.txt.
# Environment: WORKLOADS (default: debian-bart marian-opus gpt2-small bart-large distilbart),
# ARITHMETICS (ours; default "fp32 fp16-tc"; fp16 also possible), MODES (default el,mha; bart-large runs
# el at batch 256 and MODES at batch 128), HF_DTYPES (default float32,float16), RUN_LIMIT_S (40),
# TOTAL_S (510), RECORDS (only the first N inputs of each workload), DATA (the Debian descriptions;
# default .gpu/data/debian-test.jsonl.gz, which gpu-pack.sh writes), DEVICE (ours; default cuda:0),
# SKIP_JAVA=1, SKIP_HF=1, SKIP_COMMAND=1.
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
log="$out/workloads.log"
raw=$(mktemp -d /tmp/workloads.XXXXXX)
mkdir -p "$raw/spec"
source .gpu/env.sh
export LD_PRELOAD=$JAVA_HOME/lib/libjsig.so   # see docs/gpu.md: NVIDIA OpenCL and the JVM's signals
jar=$(ls .gpu/app/elattn-*[0-9T].jar | head -n 1)
data=${DATA:-.gpu/data/debian-test.jsonl.gz}
workloads=${WORKLOADS:-debian-bart marian-opus gpt2-small bart-large distilbart}
limit=${RUN_LIMIT_S:-40}
deadline=$(( SECONDS + ${TOTAL_S:-510} ))
records=()
[ -n "${RECORDS:-}" ] && records=(--records "$RECORDS")
# The command as the `elattn` launcher runs it (the jar's embedded models are left out of .gpu: --model).
user=(java --enable-native-access=ALL-UNNAMED -jar "$jar")
# The benchmark, with room for bart-large's random weights; --model: the debian-bart checkpoint, and the
# tokenizer that gives the other workloads the Debian test split's lengths.
bench=(java --enable-native-access=ALL-UNNAMED -Xmx8g -XX:MaxDirectMemorySize=110g -jar "$jar" bench
       --model models/debian-bart --data "$data")
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | tee "$out/gpu.txt"

# Runs "$@" in the time left, its output in the log (and on the screen, without the noise).
step() {
  local left=$(( deadline - SECONDS ))
  if [ $left -le 10 ]; then
    echo "skipped, total time spent: $*" | tee -a "$log"
    return 1
  fi
  echo "+ $*" >> "$log"
  timeout $left "$@" 2>&1 | tee -a "$log" | { grep -v -e DEBUG -e Warning || true; }
  return "${PIPESTATUS[0]}"
}

# The test split alone (and only RECORDS of it): what `summarize --input` reads in the command's timing.
python3 benchmarks/debian_split.py "$data" "$raw/debian-test.jsonl.gz" --limit "${RECORDS:-0}"

for w in $workloads; do
  spec="$raw/spec/$w.json"
  step "${bench[@]}" --workload "$w" "${records[@]}" --export "$spec" || continue
  if [ "${SKIP_JAVA:-}" != 1 ]; then
    for a in ${ARITHMETICS:-fp32 fp16-tc}; do
      case $a in
        fp32) flags=(--dtype fp32) ;;
        fp16) flags=(--dtype fp16) ;;
        fp16-tc) flags=(--dtype fp16 --tensor-cores) ;;
        *) echo "unknown arithmetic $a (fp32, fp16, fp16-tc)"; exit 2 ;;
      esac
      ours=("${bench[@]}" --workload "$w" "${records[@]}" --device "${DEVICE:-cuda:0}" "${flags[@]}" --time-limit-s "$limit")
      if [ "$w" = bart-large ]; then
        # batch 256 in el (mha's batch-256 arrays pass 32-bit indexing), then el against mha at batch 128
        step "${ours[@]}" --attention el --json "$raw/ours-$w-$a.json"
        step "${ours[@]}" --attention "${MODES:-el,mha}" --batch-size 128 --json "$raw/ours-$w-b128-$a.json"
      else
        step "${ours[@]}" --attention "${MODES:-el,mha}" --json "$raw/ours-$w-$a.json"
      fi
    done
  fi
  if [ "${SKIP_HF:-}" != 1 ]; then
    step python3 benchmarks/hf_workloads.py "$spec" --out "$raw/hf-$w.json" --dtypes "${HF_DTYPES:-float32,float16}" \
      --limit-s "$limit" --total-limit-s $(( deadline - SECONDS - 10 ))
  fi
  if [ "$w" = debian-bart ] && [ "${SKIP_COMMAND:-}" != 1 ]; then
    step python3 benchmarks/command_timing.py --out "$raw/command-input.json" --workload "$w" \
      --label "summarize --input (test split) --batch-size 64" -- "${user[@]}" summarize --model models/debian-bart \
      ${DEVICE:+--device "$DEVICE"} --input "$raw/debian-test.jsonl.gz" --input-field description --batch-size 64 --truncate
    text=$(python3 -c 'import gzip, json, sys; print(json.loads(gzip.open(sys.argv[1], "rt").readline())["description"])' \
      "$raw/debian-test.jsonl.gz")
    for run in 1 2; do
      step python3 benchmarks/command_timing.py --out "$raw/command-text-$run.json" --workload "$w" \
        --label "summarize TEXT (one record), run $run" -- "${user[@]}" summarize --model models/debian-bart \
        ${DEVICE:+--device "$DEVICE"} --truncate "$text"
    done
  fi
done

reports=$(ls "$raw"/*.json 2>/dev/null)
if [ -n "$reports" ]; then
  python3 benchmarks/merge_workloads.py --bundle "$out/workloads.json" $reports
  python3 benchmarks/merge_workloads.py "$out/workloads.json" | tee "$out/workloads-table.md"
  python3 benchmarks/plot_workloads.py "$out/workloads.json" "$out/workloads.svg"
fi
rm -rf "$raw"
