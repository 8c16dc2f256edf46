#!/usr/bin/env bash
# Runs a benchmark harness with the project's JVM flags: benchmarks/run.sh <Harness> [args...]
#   EncodingThroughput [passages=2000] [rounds=3]
#   QueryLatency <index-dir> [passes=5] [k=10] [hybrid-depth=100]
#   BackendLatency <lucene-index-dir> <es-url> <es-index>[,<es-index>...] [passes=3] [k=10] [hybrid-depth=100] [out]
#   IndexBuild <work-dir>
#   IndexVerify <rounds> <index-dir>... [--out prefix]
#   IcrLatency <reader>... [--lists FILE] [--depth 20] [--queries 20] [--warmup 2] [--window 4] [--out PREFIX]
#   RerankLatency <reranker-spec>... [--datasets scifact,nq] [--depths 20,100] [--queries 30,10] [--warmup 3]
#       [--scifact-index runs/scifact-bge-auto/index] [--nq-dir runs/nq-split] [--nq-index runs/nq-split-bge/index]
#       [--scifact-dir DIR] [--out benchmarks/results/rerank-latency]
# Results go to benchmarks/results/. Run on an otherwise idle machine; the numbers are medians of interleaved rounds.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/bin/env.sh"
cd "$root"
if [ ! -d benchmarks/target/lib ] || [ -n "$(find benchmarks/src core/src/main encoders/src/main indexer/src/main rerankers/src/main training/src/main eval/src/main experiments/src/main cli/src/main -newer benchmarks/target/attnir-benchmarks-0.1.0-SNAPSHOT.jar -type f 2>/dev/null | head -1)" ]; then
  mvn -q -B -Dstyle.color=never -DskipTests -pl benchmarks -am install >&2
  touch benchmarks/target/attnir-benchmarks-0.1.0-SNAPSHOT.jar # Maven leaves an up-to-date jar untouched
fi
harness=$1
shift
cp="benchmarks/target/attnir-benchmarks-0.1.0-SNAPSHOT.jar:$(ls benchmarks/target/lib/*.jar | tr '\n' ':')"
exec "$JAVA_HOME/bin/java" -Xmx8g $ATTNIR_JVM_FLAGS -Dattnir.shared.dir="$root/../shared" -cp "$cp" \
  "dev.attnir.benchmarks.$harness" "$@"
