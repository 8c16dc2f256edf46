package dev.attnir.indexer.retrieve;

import dev.attnir.encoders.ProgressListener;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns a query into a ranked list of documents: the retrieval seam (BM25, dense, hybrid, and later reranked). */
public interface Retriever {

  /** Short name used in run tags and reports, e.g. {@code bm25}. */
  String name();

  /** Top {@code k} documents, best first; ties broken by document id ascending. */
  List<ScoredDoc> retrieve(String query, int k);

  /**
   * Retrieves for many queries (keyed by query id); implementations batch what can be batched (query encoding).
   * The returned map iterates in the order of {@code queries}.
   */
  default Map<String, List<ScoredDoc>> retrieveAll(Map<String, String> queries, int k, ProgressListener progress) {
    Map<String, List<ScoredDoc>> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> q : queries.entrySet()) {
      out.put(q.getKey(), retrieve(q.getValue(), k));
      progress.advance(1);
    }
    return out;
  }
}
