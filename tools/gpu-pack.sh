#!/usr/bin/env bash
# Packs everything a GPU-machine run needs into .gpu/ (that machine has no Java and no Maven):
# the jars, the runtime libraries, the test jar with the JMH benchmarks, JUnit's console launcher
# and a Java 25 runtime (by ../shared/tools/gpu-pack.sh). docs/gpu.md has the commands to run there.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export PATH="$JAVA_HOME/bin:$PATH"
junit=org.junit.platform:junit-platform-console-standalone:6.1.3
[ "${SKIP_BUILD:-}" = 1 ] || mvn -B -q package -DskipTests
mkdir -p target/gpu-tools
ls target/gpu-tools/junit-platform-console-standalone-*.jar >/dev/null 2>&1 \
  || mvn -B -q dependency:copy -Dartifact=$junit -DoutputDirectory=target/gpu-tools
# JUnit's jupiter jars are inside the console launcher already; the JMH jars are needed beside it.
rm -rf target/gpu-bench-lib && mkdir -p target/gpu-bench-lib
cp target/test-lib/jmh-*.jar target/test-lib/jopt-simple-*.jar target/test-lib/commons-math3-*.jar target/gpu-bench-lib/ 2>/dev/null || true
# Test classes travel as a folder: JUnit scans jars through the zip file system, which the packed
# runtime lacks, but scans folders fine.
bash ../shared/tools/gpu-pack.sh target/elattn-*[0-9T].jar target/lib target/test-classes target/gpu-tools \
  target/gpu-bench-lib
# The shipped models travel with the working tree (models/); a second copy inside the jar would
# push the upload past the device tool's 64 MiB. On the GPU machine pass --model models/NAME.
zip -q -d .gpu/app/elattn-*[0-9T].jar 'elattn/models/*' >/dev/null || true
# Likewise the test resources (oracle checkpoints, GPT-2 vocabulary): gpu-suite.sh puts
# src/test/resources of the travelling tree on the class path instead.
rm -rf .gpu/app/test-classes/oracle .gpu/app/test-classes/gpt2-bpe
# The Debian test split for tools/gpu-workloads.sh: ../shared does not travel to the GPU machine.
mkdir -p .gpu/data
python3 benchmarks/debian_split.py ../shared/data/debian-descriptions.jsonl.gz .gpu/data/debian-test.jsonl.gz \
  || echo "no Debian test split in .gpu/data: tools/gpu-workloads.sh needs DATA=FILE there" >&2
du -sh .gpu | awk '{print "packed .gpu without the models inside the jar: " $1}'
