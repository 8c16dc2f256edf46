#!/bin/bash
# Order sensitivity of every reranker on TREC DL 2019 BM25 lists (first 20 judged queries, top 20, 5 shuffles;
# slot test with a grade >= 2 positive and the 4 best-ranked grade-0 negatives). Output: runs/order-sensitivity.txt
cd "$(dirname "$0")/../../.."
A=${ATTNIR:-bin/attnir}
$A order-sensitivity --candidates ../shared/data/trec-dl/dl19/bm25-top100.jsonl \
  --qrels ../shared/data/trec-dl/dl19/qrels.txt --queries 20 --depth 20 --shuffles 5 --min-grade 2 \
  --rerank cross-encoder-minilm --rerank mvp-minilm --rerank icr:reader=all-MiniLM-L6-v2 \
  --rerank icr:reader=bge-small-en-v1.5 --rerank icr:reader=e5-small-v2 \
  --rerank attention-sorting:reader=all-MiniLM-L6-v2 --rerank attention-sorting:reader=bge-small-en-v1.5 \
  --rerank attention-sorting:reader=e5-small-v2
