#!/bin/bash
# The MVP ablations of the trained-rerankers issue, each one full epoch at the shipped model's settings
# (train-mvp-lr1e-4-e1.sh: m = 4, learned anchor, orthogonality 0.1, T = 0.1, encoder lr 1e-4) with one thing changed,
# then evaluated on the test sets with eval.sh. Each takes about 55 min of training and 40 min of evaluation on 2
# cores (the frozen encoder less); an interrupted run continues with the same command (--resume).
# Needs runs/nq-split, runs/nq-split-bge/index and runs/scifact-bge-auto/index (rerankers.md, "Reproduce").
# Usage: eval/results/rerankers/ablations.sh [views1 views2 views8 orth0 mean frozen bge e5]...
cd "$(dirname "$0")/../../.."
for a in ${@:-views1 views2 views8 orth0 mean frozen bge e5}; do
  views=4; anchor=learned; orthogonal=0.1; model=all-MiniLM-L6-v2; extra=""
  case $a in
    views1) views=1 ;;
    views2) views=2 ;;
    views8) views=8 ;;
    orth0) orthogonal=0 ;;
    mean) anchor=mean ;;
    frozen) extra="--freeze-encoder" ;;
    bge) model=bge-small-en-v1.5 ;;
    e5) model=e5-small-v2 ;;
    *) echo "unknown ablation $a" >&2; exit 2 ;;
  esac
  out=runs/rerankers/mvp-ablation-$a
  resume=""
  [ -d "$out" ] && resume="--resume"
  ${ATTNIR:-bin/attnir} train-reranker --kind mvp --views $views --anchor $anchor --orthogonal $orthogonal \
    --model $model --max-length 256 $extra \
    --beir scifact=../shared/data/scifact,index=runs/scifact-bge-auto/index,queries=../shared/data/scifact/queries_all_splits.jsonl \
    --beir nq=runs/nq-split,index=runs/nq-split-bge/index \
    --lists msmarco=../shared/data/msmarco-dev-sample/bm25-top20.jsonl,qrels=../shared/data/msmarco-dev-sample/qrels.txt \
    --lists dl21=../shared/data/trec-dl/dl21/bm25-top100.jsonl,qrels=../shared/data/trec-dl/dl21/qrels.txt,min-grade=2 \
    --dev-max 25 --dev-every 100 --epochs 1 --target-temperature 0.1 --encoder-lr 1e-4 --warmup 0.03 \
    --output $out $resume || exit 1
  eval/results/rerankers/eval.sh mvp-$a "trained:file=$out/reranker.rrk" dl19 nq scifact || exit 1
done
