package dev.attnir.encoders;

import java.util.List;

/**
 * Query texts to vectors in an index's embedding space: what dense retrieval needs of an embedder. An
 * {@link Embedder} is one; {@link PrecomputedQueryEmbedder} serves vectors computed earlier (from the embedding cache,
 * in experiments).
 */
public interface QueryEmbedder {

  /** What determines the vectors; dense retrieval refuses an index built with another identity. */
  EmbeddingIdentity identity();

  /** One vector per query, in order. */
  float[][] embedQueries(List<String> queries);

  /** The vector of one query. */
  default float[] embedQuery(String query) {
    return embedQueries(List.of(query))[0];
  }
}
