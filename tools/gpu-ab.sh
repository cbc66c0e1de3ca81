#!/usr/bin/env bash
# Runs on the GPU machine, from the project root, after tools/gpu-pack.sh filled .gpu/ here (docs/gpu.md):
# A/B runs of the workloads benchmark (`elattn bench --workload W`) in one call, for comparing
# settings or two builds on the same GPU. Each variant is a line of VARIANTS:
#   "NAME:JVM-FLAGS:BENCH-ARGS"   e.g. "rows:-Delattn.crossAttentionRows=true:" or "tc::--dtype fp16 --tensor-cores"
# JVM-FLAGS and BENCH-ARGS are space-separated; `--attention el` is added unless BENCH-ARGS names one.
# Environment: WORKLOADS (default gpt2-small), VARIANTS (default "fp32::"), RECORDS (256), JARS (the
# jars to run, default the packed one; e.g. "before=.gpu/app/elattn-before.jar after=" for two builds,
# an empty path meaning the packed jar), TESTS (JUnit selectors run on CUDA first, as tools/gpu-suite.sh's
# SELECT), RUN_S (time limit per run, 90). Results: $OUT/W-NAME[-BUILD].json, a summary line each.
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
source .gpu/env.sh
export LD_PRELOAD=$JAVA_HOME/lib/libjsig.so   # see docs/gpu.md: NVIDIA OpenCL and the JVM's signals
packed=$(ls .gpu/app/elattn-*[0-9T].jar | head -n 1)
nvidia-smi --query-gpu=name --format=csv,noheader
if [ -n "${TESTS:-}" ]; then
  SKIP_BENCH=1 TEST_DEVICES=cuda CHECK_KERNELS=false SELECT="$TESTS" timeout "${TESTS_S:-150}" bash tools/gpu-suite.sh \
    > "$out/suite.log" 2>&1
  grep -E "tests (successful|failed|aborted|skipped)|✘" "$out/suite.log" | head -30
fi
java=(java --enable-native-access=ALL-UNNAMED -Xmx8g -XX:MaxDirectMemorySize=110g)
for build in ${JARS:-=}; do
  tag=${build%%=*}
  jar=${build#*=}
  jar=${jar:-$packed}
  for w in ${WORKLOADS:-gpt2-small}; do
    while IFS=: read -r name flags args; do
      [ -n "$name" ] || continue
      read -r -a flags <<< "$flags"
      read -r -a args <<< "$args"
      [[ " ${args[*]} " == *" --attention "* ]] || args+=(--attention el)
      echo "== $w $name ${tag}"
      timeout "${RUN_S:-90}" "${java[@]}" "${flags[@]}" -jar "$jar" bench --model models/debian-bart \
        --data .gpu/data/debian-test.jsonl.gz --workload "$w" --records "${RECORDS:-256}" --device cuda:0 "${args[@]}" \
        --json "$out/$w-$name${tag:+-$tag}.json" 2>&1 | grep -v -e DEBUG -e Warning -e "signal()" | tail -n 1
    done <<< "$(tr ';' '\n' <<< "${VARIANTS:-fp32::}")"
  done
done
