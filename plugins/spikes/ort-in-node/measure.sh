#!/usr/bin/env bash
# The design spike's numbers (docs/elasticsearch-inference-spike.md): installs the spike plugin into a bin/es-node node
# on port 9250, starts attnir serve on 8765, and measures the same embedding requests in the node's process, through
# the node calling the model server, and at the model server directly (InferenceRouteLatency), then kills the model
# server under the node and checks that the node stays up and recovers without a restart. Run on an idle machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
. bin/env.sh
mvn -q -B -f plugins/spikes/ort-in-node/pom.xml package
bin/es-node stop --port 9250 || true
home=target/es/elasticsearch-9.5.3
as_user() { if [ "$(id -u)" -eq 0 ]; then runuser -u attnir-es -- "$@"; else "$@"; fi; }
[ -d "$home/plugins/attnir-spike-ort" ] && ES_JAVA_HOME=$JAVA_HOME as_user "$home/bin/elasticsearch-plugin" remove attnir-spike-ort
ES_JAVA_HOME=$JAVA_HOME as_user "$home/bin/elasticsearch-plugin" install --batch \
  "file://$root/plugins/spikes/ort-in-node/target/attnir-spike-ort-in-node-0.1.0-SNAPSHOT.zip"
bin/es-node start --port 9250 --heap 1g
node=$(bin/es-node url --port 9250)
node_pid=$(cat target/es/cluster-9250/node-1/pid)
log=$(mktemp)
bin/attnir serve --port 8765 --port-file "$log.port" > "$log" 2>&1 &
serve_pid=$! # bin/attnir execs java
for _ in $(seq 60); do curl -sf localhost:8765/health >/dev/null && break; sleep 1; done
echo "node pid $node_pid, model server pid $serve_pid"
out=benchmarks/results/inference-routes
benchmarks/run.sh InferenceRouteLatency --node "$node" --serve http://127.0.0.1:8765 --batch 1 --requests 200 \
  --warmup 20 --node-pid "$node_pid" --serve-pid "$serve_pid" --out "$out"
benchmarks/run.sh InferenceRouteLatency --node "$node" --serve http://127.0.0.1:8765 --batch 32 --requests 40 \
  --warmup 5 --node-pid "$node_pid" --serve-pid "$serve_pid" --out "$out"

echo "== kill -9 the model server under the node"
kill -9 "$serve_pid"
sleep 1
body='{"texts": ["does vitamin D prevent fractures"]}'
code=$(curl -s -o /tmp/remote.out -w '%{http_code}' -H 'Content-Type: application/json' -d "$body" \
  "$node/_attnir_spike/embed_remote?server=http://127.0.0.1:8765")
echo "embed_remote with the server dead: HTTP $code: $(head -c 200 /tmp/remote.out)"
echo "node health: $(curl -s "$node/_cluster/health" | head -c 200)"
echo "node pid $node_pid alive: $(kill -0 "$node_pid" && echo yes || echo no)"
bin/attnir serve --port 8765 > "$log" 2>&1 &
for _ in $(seq 60); do curl -sf localhost:8765/health >/dev/null && break; sleep 1; done
code=$(curl -s -o /tmp/remote.out -w '%{http_code}' -H 'Content-Type: application/json' -d "$body" \
  "$node/_attnir_spike/embed_remote?server=http://127.0.0.1:8765")
echo "embed_remote after restarting the server (no node restart): HTTP $code, $(head -c 80 /tmp/remote.out)"
kill $! || true
bin/es-node stop --port 9250
ES_JAVA_HOME=$JAVA_HOME as_user "$home/bin/elasticsearch-plugin" remove attnir-spike-ort
