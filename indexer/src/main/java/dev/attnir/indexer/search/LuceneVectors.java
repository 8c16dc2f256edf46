package dev.attnir.indexer.search;

import dev.attnir.encoders.EmbeddingIdentity;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.util.VectorUtil;

/** Maps a model's vector similarity to Lucene's and Lucene's scores back to raw similarities. */
public final class LuceneVectors {

  private LuceneVectors() {}

  /**
   * Lucene similarity for an embedding: normalised cosine/dot vectors use DOT_PRODUCT (cheapest, exact for unit
   * vectors), unnormalised cosine uses COSINE, unnormalised dot product MAXIMUM_INNER_PRODUCT.
   */
  public static VectorSimilarityFunction function(EmbeddingIdentity e) {
    return switch (e.similarity()) {
      case COSINE -> e.normalize() ? VectorSimilarityFunction.DOT_PRODUCT : VectorSimilarityFunction.COSINE;
      case DOT_PRODUCT -> e.normalize() ? VectorSimilarityFunction.DOT_PRODUCT
          : VectorSimilarityFunction.MAXIMUM_INNER_PRODUCT;
      case EUCLIDEAN -> VectorSimilarityFunction.EUCLIDEAN;
    };
  }

  /** Raw similarity of two vectors: dot product, cosine, or negative squared distance. */
  public static float raw(VectorSimilarityFunction f, float[] a, float[] b) {
    return switch (f) {
      case DOT_PRODUCT, MAXIMUM_INNER_PRODUCT -> VectorUtil.dotProduct(a, b);
      case COSINE -> VectorUtil.cosine(a, b);
      case EUCLIDEAN -> -VectorUtil.squareDistance(a, b);
    };
  }

  /** Inverts Lucene's score scaling back to the raw similarity. */
  public static float rawFromScore(VectorSimilarityFunction f, float score) {
    return switch (f) {
      case DOT_PRODUCT, COSINE -> 2f * score - 1f;
      case EUCLIDEAN -> -(1f / score - 1f);
      case MAXIMUM_INNER_PRODUCT -> score < 1f ? 1f - 1f / score : score - 1f;
    };
  }
}
