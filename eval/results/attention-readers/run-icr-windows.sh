#!/bin/bash
# The window's effect on ICR (TREC DL 2019, BM25 top 20): windows of 2, 4 (the default, run-icr.sh) and 8 passages,
# stride half the window; fewer passages per 512-position read leave each more tokens but need more reads.
# Writes runs/icr/dl19-<reader>-window<W>/.  Usage: ATTNIR=... run-icr-windows.sh [reader...]
cd "$(dirname "$0")/../../.."
A=${ATTNIR:-bin/attnir}
mkdir -p runs/icr
for reader in "${@:-all-MiniLM-L6-v2 bge-small-en-v1.5}"; do
  for w in 2 8; do
    out=runs/icr/dl19-$reader-window$w
    [ -f "$out/summary.json" ] && continue
    $A evaluate --candidates ../shared/data/trec-dl/dl19/bm25-top100.jsonl --qrels ../shared/data/trec-dl/dl19/qrels.txt \
      --rerank "icr:reader=$reader,window=$w" --rerank-depth 20 --output "$out" > "$out.log" 2>&1
  done
done
