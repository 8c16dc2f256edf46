package dev.attnir.indexer;

/**
 * A unit of indexing and retrieval cut from a document.
 *
 * @param docId id of the document it comes from
 * @param ordinal position among the document's passages, from 0
 * @param start character offset in the document's body text where the passage starts (inclusive)
 * @param end character offset in the body text where it ends (exclusive)
 * @param contents what is indexed for BM25 and fed to the encoder (the title, when prepended, plus the window)
 */
public record Passage(String docId, int ordinal, int start, int end, String contents) {}
