package dev.attnir.indexer;

/**
 * A search result with the passage that matched.
 *
 * @param rank 1-based rank
 * @param docId document id
 * @param score the retriever's score (order, not score, is authoritative: see {@code dev.attnir.core.Ranking})
 * @param passage ordinal of the passage within the document
 * @param start character offset of the passage in the document body (inclusive)
 * @param end character offset of the passage in the document body (exclusive)
 * @param text the passage as indexed (the document title in front when the index prepends it)
 */
public record SearchHit(int rank, String docId, double score, int passage, int start, int end, String text) {}
