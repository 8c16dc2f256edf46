package dev.attnir.core;

import java.util.Objects;

/**
 * A retrieved document.
 *
 * @param docId document id
 * @param score the score of whatever produced it (BM25, a similarity, a fused or a reranker score); a
 *     {@link Ranking}'s order, not its scores, is what counts
 * @param passage ordinal of the passage that gave the document its score
 */
public record ScoredDoc(String docId, double score, int passage) {
  public ScoredDoc {
    Objects.requireNonNull(docId, "docId");
    if (!Double.isFinite(score)) {
      throw new IllegalArgumentException("document " + docId + " has the score " + score + "; scores are finite");
    }
  }
}
