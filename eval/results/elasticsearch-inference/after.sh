#!/usr/bin/env bash
# After plugin.sh: the trained-head pooling through the ingest processor (a small head trained on the NQ sample:
# a correctness check, not an effectiveness one), then the model-server fault run.
set -euo pipefail
cd /work/main
while ! grep -q '^done' runs/es-inference/plugin.log; do sleep 10; done
ES=http://127.0.0.1:9250
R=runs/es-inference
mkdir -p $R/nq-train/qrels
cp samples/nq-sample/corpus.jsonl samples/nq-sample/queries.jsonl $R/nq-train/
cp samples/nq-sample/qrels/test.tsv $R/nq-train/qrels/train.tsv
/work/dist15/attnir train-pooling --model all-MiniLM-L6-v2 --output $R/minilm-nq-sample.head --train $R/nq-train \
  --epochs 3 > $R/train-head.log 2>&1
/work/dist15/attnir index --corpus samples/nq-sample/corpus.jsonl --backend $ES --index nq-head-client \
  --model all-MiniLM-L6-v2 --pooling trained --pooling-head $R/minilm-nq-sample.head --overwrite > $R/nq-head-client.log 2>&1
benchmarks/run.sh PluginInference ingest $ES nq-head-client nq-head-ingest --corpus samples/nq-sample/corpus.jsonl \
  --out $R/ingest-trained-head.json > $R/ingest-trained-head.log 2>&1
pkill -f "dist15/attnir-cli-0.1.0-SNAPSHOT.jar serve" || true
sleep 2
benchmarks/run.sh PluginInference fault $ES sf-ingest sf-fault --seconds 90 \
  --server-cmd "/work/dist15/attnir serve --port 8765" --out $R/fault.json > $R/fault.log 2>&1
(nohup /work/dist15/attnir serve --port 8765 > $R/serve2.log 2>&1 &)
echo done
