#!/usr/bin/env bash
# The README's walkthrough of inference in Elasticsearch, runnable: a node with the attnir plugin, the model server,
# an attnir index filled with text through the attnir_embed pipeline, then text queries, hybrid and reranking.
# Usage: docs/elasticsearch-walkthrough.sh [ES_URL] [MODEL_SERVER_PORT]   (a node from bin/es-node start --port 9250)
set -euo pipefail
cd "$(dirname "$0")/.."
ES=${1:-http://127.0.0.1:9250}
PORT=${2:-8765}
json() { curl -sS -H 'Content-Type: application/json' "$@"; echo; }

# 1. The model server holds the models; the node calls it over loopback (settings are dynamic).
if ! curl -s "http://127.0.0.1:$PORT/health" >/dev/null; then
  bin/attnir serve --port "$PORT" > /tmp/attnir-serve.log 2>&1 &
  for _ in $(seq 60); do curl -s "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 1; done
fi
json -XPUT "$ES/_cluster/settings" -d '{"persistent": {
  "attnir.model_server.url": "http://127.0.0.1:'"$PORT"'",
  "attnir.model_server.elasticsearch_url": "'"$ES"'"}}'

# 2. An empty attnir index: the manifest (model, pooling, passage settings) goes into the mapping's _meta.
: > /tmp/attnir-empty.jsonl
bin/attnir index --corpus /tmp/attnir-empty.jsonl --backend "$ES" --index walkthrough --overwrite 2>/dev/null

# 3. A pipeline that embeds as the index does, and documents sent as text.
json -XPUT "$ES/_ingest/pipeline/attnir" -d '{"processors": [
  {"attnir_embed": {"field": "text", "title_field": "title"}}]}'
curl -sS -XPOST "$ES/_bulk?pipeline=attnir&refresh=true" -H 'Content-Type: application/x-ndjson' --data-binary @- <<'EOF' | head -c 300; echo
{"index": {"_index": "walkthrough", "_id": "d1"}}
{"title": "Vitamin D", "text": "Vitamin D deficiency is common in winter and is linked to bone loss in older adults."}
{"index": {"_index": "walkthrough", "_id": "d2"}}
{"title": "Insulin", "text": "Insulin resistance precedes type 2 diabetes and is made worse by obesity."}
{"index": {"_index": "walkthrough", "_id": "d3"}}
{"title": "Sunlight", "text": "Skin makes cholecalciferol when exposed to ultraviolet B light from the sun."}
{"index": {"_index": "walkthrough", "_id": "d4"}}
{"title": "no text field"}
EOF

# 4. Search with text: kNN (the node embeds the query), hybrid without a licence, reranked.
Q="where does the body get vitamin D"
json "$ES/walkthrough/_search?filter_path=hits.hits._id,hits.hits._score" -d '{"knn": {"field": "passages.vector",
  "k": 3, "num_candidates": 10, "query_vector_builder": {"attnir_text": {"index": "walkthrough", "text": "'"$Q"'"}}}}'
json "$ES/walkthrough/_search?filter_path=hits.hits._id,hits.hits._score" -d '{"retriever": {"attnir_hybrid": {
  "query": "'"$Q"'", "rank_window_size": 10}}}'
json "$ES/walkthrough/_search?filter_path=hits.hits._id,hits.hits._score" -d '{"retriever": {"rescorer": {
  "retriever": {"attnir_hybrid": {"query": "'"$Q"'", "rank_window_size": 10}},
  "rescore": {"window_size": 10, "attnir_rerank": {"reranker": "cross-encoder-minilm", "query": "'"$Q"'"}}}}}'

# 5. The CLI without a local model: the cluster embeds the query.
bin/attnir search --backend "$ES" --index walkthrough --server-side-embedding --query "$Q" -k 3 2>/dev/null
