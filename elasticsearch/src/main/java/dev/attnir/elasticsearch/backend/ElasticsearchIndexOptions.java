package dev.attnir.elasticsearch.backend;

import dev.attnir.indexer.search.Bm25Params;

/**
 * Settings of a new Elasticsearch passage index that the {@code IndexManifest} does not hold.
 *
 * @param bm25 BM25 k1 and b, fixed in the index's similarity settings (Elasticsearch applies BM25 parameters per
 *     index, not per query: searching with other parameters is refused, see {@link ElasticsearchSearchBackend})
 * @param vectors how passage vectors are indexed (ignored for a BM25-only index)
 * @param shards primary shards; with more than one, searches use {@code dfs_query_then_fetch} so BM25 statistics are
 *     global, as in one Lucene index
 * @param replicas replica shards
 * @param bulkOperations documents per bulk request
 * @param bulkRetries retries of a document the cluster rejected as overloaded (HTTP 429), with exponential backoff
 */
public record ElasticsearchIndexOptions(Bm25Params bm25, VectorIndexOptions vectors, int shards, int replicas,
    int bulkOperations, int bulkRetries) {

  public ElasticsearchIndexOptions {
    if (bm25 == null || vectors == null) {
      throw new IllegalArgumentException("BM25 parameters and vector index options are required");
    }
    if (shards < 1) {
      throw new IllegalArgumentException("shards must be >= 1, got " + shards);
    }
    if (replicas < 0) {
      throw new IllegalArgumentException("replicas must be >= 0, got " + replicas);
    }
    if (bulkOperations < 1) {
      throw new IllegalArgumentException("bulk operations must be >= 1, got " + bulkOperations);
    }
    if (bulkRetries < 0) {
      throw new IllegalArgumentException("bulk retries must be >= 0, got " + bulkRetries);
    }
  }

  /** Anserini's BM25 (k1 0.9, b 0.4), float HNSW m 16 / ef 100, one shard, no replica, 200 documents a bulk, 8 retries. */
  public static ElasticsearchIndexOptions defaults() {
    return new ElasticsearchIndexOptions(Bm25Params.anserini(), VectorIndexOptions.defaults(), 1, 0, 200, 8);
  }

  public ElasticsearchIndexOptions withBm25(Bm25Params p) {
    return new ElasticsearchIndexOptions(p, vectors, shards, replicas, bulkOperations, bulkRetries);
  }

  public ElasticsearchIndexOptions withShards(int newShards, int newReplicas) {
    return new ElasticsearchIndexOptions(bm25, vectors, newShards, newReplicas, bulkOperations, bulkRetries);
  }

  public ElasticsearchIndexOptions withVectors(VectorIndexOptions v) {
    return new ElasticsearchIndexOptions(bm25, v, shards, replicas, bulkOperations, bulkRetries);
  }
}
