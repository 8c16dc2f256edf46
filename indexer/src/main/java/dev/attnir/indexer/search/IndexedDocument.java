package dev.attnir.indexer.search;

import dev.attnir.indexer.Passage;
import java.util.List;

/**
 * One document as a passage index holds it: what copying an index to another backend needs, so nothing is encoded
 * again.
 *
 * @param docId the document's id
 * @param passages its passages in ordinal order
 * @param vectors one vector per passage, or null for a BM25-only index
 * @param digest the document's corpus-fingerprint digest, or null when the index has none for it
 */
public record IndexedDocument(String docId, List<Passage> passages, float[][] vectors, byte[] digest) {}
