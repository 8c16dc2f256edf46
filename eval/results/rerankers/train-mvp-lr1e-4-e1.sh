#!/bin/bash
# MVP, one full epoch (856 steps) at the cross-encoder's working settings: near one-hot target (T = 0.1), encoder lr 1e-4,
# 3% warmup, dev every 100 (checkpoints there; continue with --resume); otherwise as train-mvp.sh (m = 4, learned anchor,
# orthogonality 0.1).
cd "$(dirname "$0")/../../.."
exec ${ATTNIR:-bin/attnir} train-reranker --kind mvp --views 4 --anchor learned --orthogonal 0.1 --model all-MiniLM-L6-v2 --max-length 256 \
  --beir scifact=../shared/data/scifact,index=runs/scifact-bge-auto/index,queries=../shared/data/scifact/queries_all_splits.jsonl \
  --beir nq=runs/nq-split,index=runs/nq-split-bge/index \
  --lists msmarco=../shared/data/msmarco-dev-sample/bm25-top20.jsonl,qrels=../shared/data/msmarco-dev-sample/qrels.txt \
  --lists dl21=../shared/data/trec-dl/dl21/bm25-top100.jsonl,qrels=../shared/data/trec-dl/dl21/qrels.txt,min-grade=2 \
  --dev-max 25 --dev-every 100 --epochs 1 --target-temperature 0.1 --encoder-lr 1e-4 --warmup 0.03 \
  --output runs/rerankers/mvp-minilm-lr1e-4-e1 "$@"
