package dev.attnir.core;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reorders a query's first-stage candidates: the reranking seam (cross-encoders, the multi-view reranker, attention
 * reranking, attention sorting). A reranker returns every candidate it was given exactly once, in its order; scores
 * are its own and may be absent in spirit (a reranker that only reorders may keep the first-stage scores): the
 * {@link Ranking}'s order is what counts.
 */
public interface Reranker {

  /** Short name used in run tags and reports, e.g. {@code monobert}. */
  String name();

  /**
   * Reranks one query's candidates.
   *
   * @param candidates in first-stage order (best first)
   * @return the same documents, best first
   */
  Ranking rerank(String query, List<Candidate> candidates);

  /**
   * Whether a candidate's score depends on the other candidates in the list (MVP's anchors, attention readers), not
   * only on the query and the candidate (a cross-encoder). Such scores change when the list is split, as a
   * sharded search's rescore window is, and are not comparable between lists.
   */
  default boolean scoresDependOnTheList() {
    return false;
  }

  /**
   * Reranks many queries' candidates (both keyed by query id). Implementations batch model calls across queries where
   * that pays; the default reranks one query at a time. The returned map iterates in the order of {@code queries}.
   */
  default Map<String, Ranking> rerankAll(Map<String, String> queries, Map<String, List<Candidate>> candidates,
      ProgressListener progress) {
    Map<String, Ranking> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> q : queries.entrySet()) {
      out.put(q.getKey(), rerank(q.getValue(), candidates.getOrDefault(q.getKey(), List.of())));
      progress.advance(1);
    }
    return out;
  }
}
