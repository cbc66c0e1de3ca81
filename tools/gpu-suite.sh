#!/usr/bin/env bash
# Runs on the GPU machine, from the project root, after tools/gpu-pack.sh filled .gpu/ here and
# .gpu travelled along (docs/gpu.md): lists the devices, runs the device test suite on the GPU
# backends, then the kernel benchmarks, with PyTorch's cuBLAS SGEMM as the reference.
# Results go to $OUT (or ./gpu-out): tests.txt, devices.txt, kernels-*.json, cublas.txt.
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
source .gpu/env.sh
export LD_PRELOAD=$JAVA_HOME/lib/libjsig.so   # see docs/gpu.md: NVIDIA OpenCL and the JVM's signals
app=.gpu/app
cp="$app/test-classes:src/test/resources:$(ls $app/*.jar $app/lib/*.jar $app/gpu-bench-lib/*.jar | tr '\n' ':')"
run_java() { java --enable-native-access=ALL-UNNAMED -cp "$cp" "$@"; }

run_java elattn.cli.Main devices 2>&1 | tee "$out/devices.txt"
nvidia_cl=$(grep -E '^\*? *opencl:[0-9]+ .*NVIDIA' "$out/devices.txt" | grep -oE 'opencl:[0-9]+' | head -n 1)
pocl=$(grep -E '^\*? *opencl:[0-9]+ ' "$out/devices.txt" | grep -v NVIDIA | grep -oE 'opencl:[0-9]+' | head -n 1)
echo "NVIDIA OpenCL device: ${nvidia_cl:-none}; CPU OpenCL device: ${pocl:-none}"

if [ "${SKIP_TESTS:-}" != 1 ]; then
  CI=true java --enable-native-access=ALL-UNNAMED -Delattn.test.devices=${TEST_DEVICES:-cuda,${nvidia_cl}} \
    -jar $app/gpu-tools/junit-platform-console-standalone-*.jar execute --class-path "$cp" \
    --select-package elattn.runtime --select-package elattn.backend --select-package elattn.tasks \
    --select-package elattn.compiler.features --select-package elattn.model.device \
    --select-package elattn.pipeline --select-package elattn.cli \
    --details=summary --disable-banner --disable-ansi-colors 2>&1 | tee "$out/tests.txt" | tail -n 40
fi

if [ "${SKIP_BENCH:-}" != 1 ]; then
  jmh="org.openjdk.jmh.Main -wi 2 -w 1 -i 5 -r 1 -f 1"
  # tensorCore is CUDA-only (its OpenCL source refuses to build): run on cuda:0 alone.
  run_java $jmh 'KernelBenchmark' -e 'KernelBenchmark.tensorCore' -p device=cuda:0${nvidia_cl:+,$nvidia_cl} \
    -rf json -rff "$out/kernels-gpu.json" 2>&1 | grep -E '^(Benchmark|KernelBenchmark)'
  run_java $jmh 'KernelBenchmark.tensorCore' -p device=cuda:0 \
    -rf json -rff "$out/kernels-tensor-core.json" 2>&1 | grep -E '^(Benchmark|KernelBenchmark)'
  run_java $jmh 'KernelBenchmark' -e 'KernelBenchmark.tensorCore' -p device=jvm${pocl:+,$pocl} -p form=loop \
    -rf json -rff "$out/kernels-cpu.json" 2>&1 | grep -E '^(Benchmark|KernelBenchmark)'
  python3 benchmarks/cublas_reference.py 2>&1 | tee "$out/cublas.txt"
fi
