#!/bin/bash
# ICR (in-context attention reranking) with the encoder readers on TREC DL 2019 (BM25 top 20), recipe and ablations
# (no calibration, calibration without masking, last query token); on SciFact test and the NQ held-out questions
# (BM25 top 20) with the recipe. Writes runs/icr/<set>-<reader>-<variant>/ and a log per run; finished runs are skipped.
# Usage: ATTNIR=... READERS="r1 r2" eval/results/attention-readers/run-icr.sh [dl19] [scifact] [nq]
#   nq needs runs/nq-split and runs/nq-split-bge/index (rerankers.md, "Reproduce"); scifact needs
#   runs/scifact-bge-auto/index (any index of SciFact with BM25 works: only its BM25 leg is used).
cd "$(dirname "$0")/../../.."
A=${ATTNIR:-bin/attnir}
mkdir -p runs/icr
for set in "${@:-dl19}"; do
  for reader in ${READERS:-all-MiniLM-L6-v2 bge-small-en-v1.5 e5-small-v2}; do
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
      start=$(date +%s)
      case $set in
        dl19) $A evaluate --candidates ../shared/data/trec-dl/dl19/bm25-top100.jsonl \
                --qrels ../shared/data/trec-dl/dl19/qrels.txt --rerank "$spec" --rerank-depth 20 --output "$out" ;;
        scifact) $A evaluate --beir ../shared/data/scifact --model bge-small-en-v1.5 --index runs/scifact-bge-auto/index \
                --retriever bm25 --rerank "$spec" --rerank-depth 20 --output "$out" ;;
        nq) $A evaluate --beir runs/nq-split --index runs/nq-split-bge/index \
                --retriever bm25 --rerank "$spec" --rerank-depth 20 --output "$out" ;;
      esac > "$out.log" 2>&1
      echo "$set $reader $v: $(( $(date +%s) - start )) s" >> runs/icr/times.txt
    done
  done
done
