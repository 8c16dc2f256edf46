package dev.attnir.indexer.retrieve;

/**
 * A retrieved document.
 *
 * @param docId document id
 * @param score retrieval score (BM25, similarity, or fused score)
 * @param passage ordinal of the passage that gave the document its score
 */
public record ScoredDoc(String docId, double score, int passage) {}
