#!/bin/bash
# usage: run.sh NAME [extra train-reranker options]
cd "$(dirname "$0")/../../.."
name=$1; shift
exec ${ATTNIR:-bin/attnir} train-reranker --model all-MiniLM-L6-v2 --max-length 128 \
  --lists msmarco=../shared/data/msmarco-dev-sample/bm25-top20.jsonl,qrels=../shared/data/msmarco-dev-sample/qrels.txt \
  --lists dl21=../shared/data/trec-dl/dl21/bm25-top100.jsonl,qrels=../shared/data/trec-dl/dl21/qrels.txt,min-grade=2 \
  --dev-max 25 --dev-every 30 --max-steps 60 --output runs/rerankers/diag/$name "$@"
