#!/usr/bin/env bash
# Runs on the GPU machine, from the project root, after tools/gpu-pack.sh filled .gpu/ here and
# .gpu travelled along (docs/gpu.md): the generation benchmark (elattn.bench.GenerationBenchmark)
# and the HF transformers baseline (benchmarks/hf_baseline.py) one after the other on the same GPU,
# then the merged table. Sized to finish in about 8 minutes (the device tool allows 10 a call):
# every configuration has a time limit (a run that reaches it is reported with a projected speed),
# and each benchmark skips what is left after its total limit.
# Results in $OUT (or ./gpu-out): generation-<device>.json/.md, hf.json, table.md, <shape>.svg, *.log.
# Environment: DEVICES (default cuda:0; e.g. "cuda:0 opencl:1" adds NVIDIA OpenCL with smaller
# batches), ARITHMETICS (the first device's, default fp32; e.g. "fp16-tc fp32": tensor cores, then
# fp32; each a report of its own, generation-<device>[-<arithmetic>].json), JAVA_TOTAL_S (250 each), HF_TOTAL_S (170), RUN_LIMIT_S (60), SEARCH_LIMIT_S (60), HF_LIMIT_S (40),
# HF_ARGS (more options of hf_baseline.py, e.g. "--dtypes float16"), SKIP_HF=1, SKIP_JAVA=1.
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
source .gpu/env.sh
export LD_PRELOAD=$JAVA_HOME/lib/libjsig.so   # see docs/gpu.md: NVIDIA OpenCL and the JVM's signals
app=.gpu/app
cp="$(ls $app/*.jar $app/lib/*.jar | tr '\n' ':')"
devices=${DEVICES:-cuda:0}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | tee "$out/gpu.txt"

if [ "${SKIP_JAVA:-}" != 1 ]; then
  first=1
  for device in $devices; do
    extra=()
    arithmetics=${ARITHMETICS:-fp32}
    # The first device gets the full configuration; the others (OpenCL next to CUDA) fp32 at batch 32 / 16 only.
    [ $first = 1 ] || { extra=(--batches bart-large=32 --batches gpt2-medium=16 --search bart-large=false); arithmetics=fp32; }
    for arithmetic in $arithmetics; do
      case $arithmetic in
        fp32) flags=(--dtype fp32); suffix= ;;
        fp16) flags=(--dtype fp16); suffix=-fp16 ;;
        fp16-tc) flags=(--dtype fp16 --tensor-cores true); suffix=-fp16-tc ;;
        *) echo "unknown arithmetic $arithmetic (fp32, fp16, fp16-tc)"; exit 2 ;;
      esac
      name=${device/:/}$suffix
      timeout $(( ${JAVA_TOTAL_S:-250} + 90 )) java --enable-native-access=ALL-UNNAMED -Xmx8g -XX:MaxDirectMemorySize=110g \
        -cp "$cp" elattn.bench.GenerationBenchmark --device "$device" "${flags[@]}" \
        --run-limit-s ${RUN_LIMIT_S:-60} --search-limit-s ${SEARCH_LIMIT_S:-60} --total-limit-s ${JAVA_TOTAL_S:-250} "${extra[@]}" \
        --json "$out/generation-$name.json" --markdown "$out/generation-$name.md" 2>&1 | tee "$out/java-$name.log" | grep -v DEBUG
    done
    first=0
  done
fi

if [ "${SKIP_HF:-}" != 1 ]; then
  timeout $(( ${HF_TOTAL_S:-170} + 60 )) python3 benchmarks/hf_baseline.py --out "$out/hf.json" \
    --limit-s ${HF_LIMIT_S:-40} --total-limit-s ${HF_TOTAL_S:-170} ${HF_ARGS:-} 2>&1 | tee "$out/hf.log" | grep -v Warning
fi

ours=$(ls "$out"/generation-cuda*.json "$out"/generation-*.json 2>/dev/null | awk '!seen[$0]++' | tr '\n' ' ')
if [ -n "$ours" ] && [ -f "$out/hf.json" ]; then
  set -- $ours
  first=$1; shift
  python3 benchmarks/merge_results.py "$first" "$out/hf.json" "$@" | tee "$out/table.md"
  for shape in bart-large gpt2-medium; do
    python3 benchmarks/plot_results.py "$first" "$out/hf.json" "$shape" "$out/$shape.svg"
  done
fi
