#!/bin/bash
# Evaluates one reranker: DL19 (BM25 and SPLADE++ top-100), NQ held-out (dense and hybrid top-20), SciFact test
# (BM25 and hybrid top-100). Usage: eval.sh LABEL SPEC [parts...]   parts: dl19 nq scifact (default all)
set -e
cd "$(dirname "$0")/../../.."
A=${ATTNIR:-bin/attnir}
label=$1; spec=$2; shift 2
parts=${*:-dl19 nq scifact}
out=runs/rerankers/eval
mkdir -p $out
for p in $parts; do
  case $p in
    dl19)
      for fs in bm25 spladepp; do
        $A evaluate --candidates ../shared/data/trec-dl/dl19/$fs-top100.jsonl --qrels ../shared/data/trec-dl/dl19/qrels.txt \
          --rerank "$spec" --rerank-depth 100 --output $out/dl19-$fs-$label
      done ;;
    nq)
      $A evaluate --beir runs/nq-split --index runs/nq-split-bge/index --retriever dense,hybrid \
        --rerank "$spec" --rerank-depth 20 --output $out/nq-heldout-$label ;;
    scifact)
      $A evaluate --beir ../shared/data/scifact --index runs/scifact-bge-auto/index --retriever ${SCIFACT_RETRIEVERS:-bm25} \
        --rerank "$spec" --rerank-depth 100 --output $out/scifact-test-$label ;;
  esac
done
