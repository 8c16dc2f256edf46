package dev.attnir.core;

import java.util.Objects;

/**
 * A first-stage result handed to a {@link Reranker}: the document, where the first stage put it, and the passage it is
 * judged on (the passage that gave the document its first-stage score).
 *
 * @param docId document id
 * @param rank 1-based first-stage rank
 * @param score first-stage score
 * @param passage ordinal of the passage within its document
 * @param start character offset of the passage in the document body (inclusive)
 * @param end character offset of the passage in the document body (exclusive)
 * @param text the passage as indexed (with the document title in front when the index prepends it)
 */
public record Candidate(String docId, int rank, double score, int passage, int start, int end, String text) {
  public Candidate {
    Objects.requireNonNull(docId, "docId");
    Objects.requireNonNull(text, "text");
    if (rank < 1) {
      throw new IllegalArgumentException("candidate " + docId + ": rank must be >= 1, got " + rank);
    }
  }

  /** The candidate as a ranked document with a new score (e.g. a reranker's). */
  public ScoredDoc scored(double newScore) {
    return new ScoredDoc(docId, newScore, passage);
  }
}
