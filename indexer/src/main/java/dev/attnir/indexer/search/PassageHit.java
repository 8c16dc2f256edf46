package dev.attnir.indexer.search;

/**
 * A retrieved passage.
 *
 * @param docId id of its document
 * @param ordinal passage ordinal within the document
 * @param score retrieval score: BM25, or the raw vector similarity (cosine/dot, or negative squared distance)
 */
public record PassageHit(String docId, int ordinal, float score) {}
