#!/usr/bin/env bash
# Runs on the GPU machine, from the project root, after tools/gpu-pack.sh filled .gpu/ here and
# .gpu travelled along (docs/gpu.md): lists the devices, runs the device test suite on the GPU
# backends (kernels built with their index checks), then the kernel benchmarks, with PyTorch's
# cuBLAS SGEMM as the reference.
# SANITIZE=1 runs the suite's CUDA tests under compute-sanitizer instead (SANITIZER_TOOL: memcheck,
# the default, or racecheck, initcheck, synccheck), with the plain kernels, and no benchmarks.
# SELECT="--select-class elattn.runtime.KernelFaultTest ..." runs those tests instead of the packages.
# Results go to $OUT (or ./gpu-out): tests.txt (or sanitizer.txt, every test by name, and
# sanitizer-summary.txt), junit/ (XML reports), devices.txt, kernels-*.json, cublas.txt.
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

select=${SELECT:-"--select-package elattn.runtime --select-package elattn.backend --select-package elattn.tasks
  --select-package elattn.compiler.features --select-package elattn.model.device --select-package elattn.pipeline
  --select-package elattn.cli"}
# The JUnit console launcher over the test classes; "$@" goes before java (a wrapper such as the sanitizer).
run_suite() {
  CI=true "$@" java --enable-native-access=ALL-UNNAMED -Delattn.test.devices=$devices -Delattn.checkKernels=$checks \
    -jar $app/gpu-tools/junit-platform-console-standalone-*.jar execute --class-path "$cp" $select \
    --reports-dir "$out/junit" --details=$details --disable-banner --disable-ansi-colors 2>&1
}

if [ "${SANITIZE:-}" = 1 ]; then
  sanitizer=$(command -v compute-sanitizer || echo "${CUDA_HOME:-/usr/local/cuda}/bin/compute-sanitizer")
  [ -x "$sanitizer" ] || { echo "SANITIZE=1: no compute-sanitizer on the PATH or in \$CUDA_HOME/bin"; exit 1; }
  tool=${SANITIZER_TOOL:-memcheck}
  # Every process the JVM starts too (the CLI tests' child JVMs); device backtraces only (a JVM's
  # host frames say nothing). Plain kernels by default: in checked mode an index out of range is
  # made at 0, hidden from the sanitizer (CHECK_KERNELS=true runs both).
  # Processes that never touch CUDA (the child JVMs) would otherwise count as failures. Each option
  # only where this compute-sanitizer has it.
  options=$("$sanitizer" --help 2>&1)
  wanted=("--target-processes all" "--show-backtrace device" "--require-cuda-init no")
  [ "$tool" = memcheck ] && wanted+=("--leak-check no")
  flags=(--tool "$tool")
  for flag in "${wanted[@]}"; do
    grep -q -- "${flag%% *}" <<<"$options" && flags+=($flag)
  done
  devices=${TEST_DEVICES:-cuda} checks=${CHECK_KERNELS:-false} details=tree
  echo "compute-sanitizer $("$sanitizer" --version 2>&1 | grep -oE '[0-9]{4}\.[0-9.]+' | head -n 1) ${flags[*]}"
  echo "tests on $devices, index checks $checks: every test and its result in $out/sanitizer.txt"
  run_suite "$sanitizer" "${flags[@]}" > "$out/sanitizer.txt"
  # The launcher's summary, then what the sanitizer said: its error lines and each process's summary.
  grep -E '^\[ *[0-9]+ (tests|containers) ' "$out/sanitizer.txt" | tee "$out/sanitizer-summary.txt"
  grep -E '^=+ (Invalid|Program hit|Race|Uninitialized|Barrier|Error|ERROR SUMMARY)' "$out/sanitizer.txt" \
    | sort | uniq -c | sort -rn | head -n 40 | tee -a "$out/sanitizer-summary.txt"
  awk '/ERROR SUMMARY: [0-9]+ error/ { n += $(NF - 1); p++ }
       END { printf "compute-sanitizer %s: %d errors in %d processes (ERROR SUMMARY lines)\n", tool, n, p }' \
    tool="$tool" "$out/sanitizer.txt" | tee -a "$out/sanitizer-summary.txt"
  exit 0
fi

if [ "${SKIP_TESTS:-}" != 1 ]; then
  devices=${TEST_DEVICES:-cuda,${nvidia_cl}} checks=${CHECK_KERNELS:-true} details=summary
  run_suite | tee "$out/tests.txt" | tail -n 40
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
