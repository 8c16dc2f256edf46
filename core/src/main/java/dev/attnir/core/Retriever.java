package dev.attnir.core;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns a query into a {@link Ranking} of documents: the retrieval seam. BM25, dense and hybrid retrieval implement
 * it, and so does a first stage followed by a {@link Reranker}, so whatever evaluates or serves retrievers gets
 * reranking without new plumbing.
 */
public interface Retriever {

  /** Short name used in run tags and reports, e.g. {@code bm25}. */
  String name();

  /** The top {@code k} documents, best first. */
  Ranking retrieve(String query, int k);

  /**
   * Retrieves for many queries (keyed by query id); implementations batch what can be batched (query encoding,
   * reranker batches). The returned map iterates in the order of {@code queries}.
   */
  default Map<String, Ranking> retrieveAll(Map<String, String> queries, int k, ProgressListener progress) {
    Map<String, Ranking> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> q : queries.entrySet()) {
      out.put(q.getKey(), retrieve(q.getValue(), k));
      progress.advance(1);
    }
    return out;
  }
}
