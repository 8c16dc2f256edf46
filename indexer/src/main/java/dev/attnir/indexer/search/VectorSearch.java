package dev.attnir.indexer.search;

/**
 * How nearest passages are found.
 *
 * @param exact true for brute force over every vector (the reference for checking HNSW), false for the HNSW graph
 * @param oversample HNSW only: the graph is searched for {@code k * oversample} neighbours and the best {@code k}
 *     kept, trading time for recall
 */
public record VectorSearch(boolean exact, int oversample) {
  public VectorSearch {
    if (oversample < 1) {
      throw new IllegalArgumentException("oversample must be >= 1, got " + oversample);
    }
  }

  /** HNSW with the given oversampling factor. */
  public static VectorSearch hnsw(int oversample) {
    return new VectorSearch(false, oversample);
  }

  /** Exact brute-force search. */
  public static VectorSearch exhaustive() {
    return new VectorSearch(true, 1);
  }
}
