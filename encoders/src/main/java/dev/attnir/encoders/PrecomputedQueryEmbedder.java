package dev.attnir.encoders;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Serves query vectors computed earlier (e.g. read from the embedding cache for every query of a dataset at once), so
 * experiments search them through the same retrievers as everything else. Asking for a query it does not hold is an
 * error, never a silently empty vector.
 */
public final class PrecomputedQueryEmbedder implements QueryEmbedder {

  private final EmbeddingIdentity identity;
  private final Map<String, float[]> byText = new HashMap<>();

  /**
   * @param identity the identity the vectors were made with
   * @param texts query texts
   * @param vectors their vectors, final (normalised when the identity says so)
   */
  public PrecomputedQueryEmbedder(EmbeddingIdentity identity, List<String> texts, float[][] vectors) {
    if (texts.size() != vectors.length) {
      throw new IllegalArgumentException(texts.size() + " query texts but " + vectors.length + " vectors");
    }
    this.identity = identity;
    for (int i = 0; i < vectors.length; i++) {
      if (vectors[i].length != identity.dimension()) {
        throw new IllegalArgumentException("query vector " + i + " has " + vectors[i].length + " dimensions, the "
            + "identity says " + identity.dimension());
      }
      byText.put(texts.get(i), vectors[i]);
    }
  }

  @Override
  public EmbeddingIdentity identity() {
    return identity;
  }

  @Override
  public float[][] embedQueries(List<String> queries) {
    float[][] out = new float[queries.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = byText.get(queries.get(i));
      if (out[i] == null) {
        throw new IllegalArgumentException("no precomputed vector for query '" + queries.get(i) + "'");
      }
    }
    return out;
  }
}
