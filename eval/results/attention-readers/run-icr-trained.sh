#!/bin/bash
# ICR on TREC DL 2019 (BM25 top 20) with a shipped trained reranker's fine-tuned encoder as the reader (recipe, no
# calibration, calibration without masking): does a cross-encoder fine-tuned on (query, passage) pairs read packed
# lists better than the sentence embedders? Writes runs/icr/dl19-<reader>-<variant>/.
# Usage: ATTNIR=... eval/results/attention-readers/run-icr-trained.sh [reader...]   (default cross-encoder-minilm)
cd "$(dirname "$0")/../../.."
A=${ATTNIR:-bin/attnir}
mkdir -p runs/icr
for reader in "${@:-cross-encoder-minilm}"; do
  for v in recipe nocalib nomask; do
    spec="icr:reader=$reader"
    [ $v = nocalib ] && spec="$spec,calibrate=false"
    [ $v = nomask ] && spec="$spec,mask=false"
    out=runs/icr/dl19-$reader-$v
    [ -f "$out/summary.json" ] && continue
    $A evaluate --candidates ../shared/data/trec-dl/dl19/bm25-top100.jsonl \
      --qrels ../shared/data/trec-dl/dl19/qrels.txt --rerank "$spec" --rerank-depth 20 --output "$out" > "$out.log" 2>&1
  done
done
