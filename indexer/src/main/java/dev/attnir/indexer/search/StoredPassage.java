package dev.attnir.indexer.search;

/**
 * A passage as stored in the index.
 *
 * @param docId document id
 * @param ordinal ordinal within the document
 * @param start character offset in the document body (inclusive)
 * @param end character offset in the document body (exclusive)
 * @param contents indexed contents
 */
public record StoredPassage(String docId, int ordinal, int start, int end, String contents) {}
