#!/bin/bash
# Cross-encoder (MiniLM), one epoch, near one-hot target (T = 0.1), encoder lr 1e-4 (a 300-step probe learned far faster than at 3e-5) (about 860 steps; resumable with --resume) on SciFact train + NQ train + MS MARCO dev sample + TREC DL 2021
cd "$(dirname "$0")/../../.."
exec ${ATTNIR:-bin/attnir} train-reranker --kind cross-encoder --model all-MiniLM-L6-v2 --max-length 256 \
  --beir scifact=../shared/data/scifact,index=runs/scifact-bge-auto/index,queries=../shared/data/scifact/queries_all_splits.jsonl \
  --beir nq=runs/nq-split,index=runs/nq-split-bge/index \
  --lists msmarco=../shared/data/msmarco-dev-sample/bm25-top20.jsonl,qrels=../shared/data/msmarco-dev-sample/qrels.txt \
  --lists dl21=../shared/data/trec-dl/dl21/bm25-top100.jsonl,qrels=../shared/data/trec-dl/dl21/qrels.txt,min-grade=2 \
  --dev-max 25 --dev-every 200 --epochs 1 --target-temperature 0.1 --encoder-lr 1e-4 --warmup 0.03 --output runs/rerankers/ce-minilm-lr1e-4-e1 "$@"
