package dev.attnir.indexer;

/** Field names of a passage in the Lucene index. */
public final class IndexFields {
  /** Document id (keyword, stored): updates replace all passages of a document by this term. */
  public static final String DOC_ID = "docid";
  /** Marks the first passage of each document, so documents can be counted. */
  public static final String FIRST_PASSAGE = "first";
  /** Passage ordinal within its document (stored). */
  public static final String ORDINAL = "ordinal";
  /** Character offsets of the passage in the document body (stored). */
  public static final String START = "start";
  public static final String END = "end";
  /** Passage contents: analyzed for BM25 and stored for display and reranking. */
  public static final String CONTENTS = "contents";
  /**
   * The document's {@link CorpusFingerprint#digest} (binary doc values, first passage only): the manifest's corpus
   * fingerprint is summed from these at every commit.
   */
  public static final String DOC_DIGEST = "docdigest";
  /** Passage embedding (HNSW). */
  public static final String VECTOR = "vector";

  private IndexFields() {}
}
