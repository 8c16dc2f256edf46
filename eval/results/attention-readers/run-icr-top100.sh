#!/bin/bash
# ICR's sliding window over TREC DL 2019's whole BM25 top 100 (recipe: 4 passages per read, stride 2).
# Writes runs/icr/dl19-<reader>-top100/.  Usage: ATTNIR=... run-icr-top100.sh [reader...]
cd "$(dirname "$0")/../../.."
A=${ATTNIR:-bin/attnir}
mkdir -p runs/icr
for reader in ${@:-all-MiniLM-L6-v2 bge-small-en-v1.5}; do
  out=runs/icr/dl19-$reader-top100
  [ -f "$out/summary.json" ] && continue
  $A evaluate --candidates ../shared/data/trec-dl/dl19/bm25-top100.jsonl --qrels ../shared/data/trec-dl/dl19/qrels.txt \
    --rerank "icr:reader=$reader" --rerank-depth 100 --output "$out" > "$out.log" 2>&1
done
