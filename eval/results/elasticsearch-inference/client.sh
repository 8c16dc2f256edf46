#!/usr/bin/env bash
# SciFact built client-side into Elasticsearch (bge-small-en-v1.5, whitening fitted on the corpus, auto passages),
# then BM25-only (one passage per document) for the reranking comparison, with our own reranked pipeline.
set -euo pipefail
cd /work/main
A=/work/dist14/attnir
ES=http://127.0.0.1:9250
/usr/bin/time -v $A evaluate --beir ../shared/data/scifact --backend $ES --index sf-client --pooling whiten \
  --retriever dense,hybrid --oversample 100 --output runs/es-inference/client --overwrite 2> runs/es-inference/client.time
/usr/bin/time -v $A evaluate --beir ../shared/data/scifact --backend $ES --index sf-bm25 --model none \
  --retriever bm25 --rerank cross-encoder-minilm --rerank-depth 100 --output runs/es-inference/bm25-ce --overwrite \
  2> runs/es-inference/bm25-ce.time
echo done
