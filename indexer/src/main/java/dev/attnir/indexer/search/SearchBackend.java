package dev.attnir.indexer.search;

import dev.attnir.indexer.IndexManifest;
import java.util.List;

/**
 * Where passages are stored and searched: one Lucene index on this machine, or a cluster (Elasticsearch) when one
 * machine is not enough. Retrievers talk only to this interface.
 */
public interface SearchBackend extends AutoCloseable {

  /** How the index was built. */
  IndexManifest manifest();

  /**
   * Whether {@link #lexical} and {@link #vector} return the best passage of each of the top {@code k} documents
   * (Elasticsearch's nested queries) rather than the top {@code k} passages. Max-passage aggregation ranks either the
   * same way; with document hits it need not over-fetch passages to fill {@code k} documents.
   */
  default boolean hitsAreDocuments() {
    return false;
  }

  /** Top {@code k} passages by BM25 for a bag-of-words query analyzed with the index's analyzer. */
  List<PassageHit> lexical(String query, int k, Bm25Params params);

  /**
   * Top {@code k} passages by vector similarity to {@code query}, which must come from an embedder matching the
   * index's embedding identity (retrievers check this).
   */
  List<PassageHit> vector(float[] query, int k, VectorSearch mode);

  /**
   * The fitted or trained pooling state with this SHA-256, stored with the index, or null when it is missing (callers
   * verify the digest).
   */
  byte[] poolingState(String sha256);

  /**
   * Stored passages, in the order asked for (a batched fetch: what a page of hits or a reranker's candidates need).
   *
   * @throws IllegalArgumentException naming a passage the index does not hold
   */
  List<StoredPassage> passages(List<PassageRef> refs);

  /** One stored passage. */
  default StoredPassage passage(String docId, int ordinal) {
    return passages(List.of(new PassageRef(docId, ordinal))).get(0);
  }

  @Override
  void close();
}
