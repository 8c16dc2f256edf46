#!/usr/bin/env bash
# After client.sh: the same SciFact work through the plugin (ingest, text queries, rerank, load).
set -euo pipefail
cd /work/main
while ! grep -q '^done' runs/es-inference/client.log; do sleep 10; done
ES=http://127.0.0.1:9250
R=runs/es-inference
bin/es-node stop --port 9250 > $R/node-restart.log 2>&1 || true
bin/es-node start --port 9250 --heap 1g >> $R/node-restart.log 2>&1
benchmarks/run.sh PluginInference ingest $ES sf-client sf-ingest --bulk 64 --out $R/ingest.json > $R/ingest.log 2>&1
/work/dist14/attnir evaluate --beir ../shared/data/scifact --backend $ES --index sf-ingest --pooling whiten \
  --retriever dense,hybrid --oversample 100 --output $R/ingest-eval > $R/ingest-eval.log 2>&1
benchmarks/run.sh PluginInference rerank $ES sf-bm25 cross-encoder-minilm --window 100 --run $R/es-rerank.trec \
  --out $R/rerank.json > $R/rerank.log 2>&1
benchmarks/run.sh PluginInference latency $ES sf-ingest --queries 300 --warmup 10 --out $R/latency.json \
  > $R/latency.log 2>&1
benchmarks/run.sh PluginInference load $ES sf-ingest sf-load --seconds 60 --out $R/load.json > $R/load.log 2>&1
echo done
