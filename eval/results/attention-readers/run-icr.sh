#!/bin/bash
# ICR (in-context attention reranking) with the encoder readers on TREC DL 2019 (BM25 top 20), recipe and ablations
# (no calibration, calibration without masking, last query token);
# then SciFact test (BM25 top 20) with the recipe. Writes runs/icr/<set>-<reader>-<variant>/ and a log per run.
# Usage: ATTNIR=... eval/results/attention-readers/run-icr.sh [dl19] [scifact]
cd "$(dirname "$0")/../../.."
A=${ATTNIR:-bin/attnir}
mkdir -p runs/icr
for set in "${@:-dl19}"; do
  for reader in all-MiniLM-L6-v2 bge-small-en-v1.5 e5-small-v2; do
    variants="recipe"
    [ "$set" = dl19 ] && variants="recipe nocalib nomask last"
    for v in $variants; do
      case $v in
        recipe) spec="icr:reader=$reader" ;;
        nocalib) spec="icr:reader=$reader,calibrate=false" ;;
        nomask) spec="icr:reader=$reader,mask=false" ;;
        last) spec="icr:reader=$reader,focus=last" ;;
      esac
      out=runs/icr/$set-$reader-$v
      [ -f "$out/summary.json" ] && continue
      case $set in
        dl19) $A evaluate --candidates ../shared/data/trec-dl/dl19/bm25-top100.jsonl \
                --qrels ../shared/data/trec-dl/dl19/qrels.txt --rerank "$spec" --rerank-depth 20 --output "$out" ;;
        scifact) $A evaluate --beir ../shared/data/scifact --model bge-small-en-v1.5 --index runs/scifact-bge-auto/index \
                --retriever bm25 --rerank "$spec" --rerank-depth 20 --output "$out" ;;
      esac > "$out.log" 2>&1
    done
  done
done
