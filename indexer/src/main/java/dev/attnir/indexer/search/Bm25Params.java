package dev.attnir.indexer.search;

/**
 * BM25 parameters, applied at query time (Lucene's length norms do not depend on them).
 *
 * @param k1 term-frequency saturation
 * @param b length normalisation
 */
public record Bm25Params(float k1, float b) {
  public Bm25Params {
    if (!(k1 >= 0) || !Float.isFinite(k1)) {
      throw new IllegalArgumentException("BM25 k1 must be a finite number >= 0, got " + k1);
    }
    if (!(b >= 0 && b <= 1)) {
      throw new IllegalArgumentException("BM25 b must be in [0, 1], got " + b);
    }
  }

  /** k1 = 0.9, b = 0.4: Anserini's defaults, under which its BEIR regressions are published. */
  public static Bm25Params anserini() {
    return new Bm25Params(0.9f, 0.4f);
  }
}
