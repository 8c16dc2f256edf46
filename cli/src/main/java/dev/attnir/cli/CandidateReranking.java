package dev.attnir.cli;

import dev.attnir.core.Candidate;
import dev.attnir.core.ProgressListener;
import dev.attnir.core.Ranking;
import dev.attnir.core.Reranker;
import dev.attnir.core.ScoredDoc;
import dev.attnir.eval.data.CandidateLists;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rankings of a fixed first stage ({@link CandidateLists}): the lists as given, and the same lists with their top
 * {@code depth} reranked, the rest kept in first-stage order below them (as {@code RerankingRetriever} does for a
 * live first stage). This is the reranking protocol of RankGPT, rank_llm and the TREC DL reranking papers: every
 * reranker sees the same candidates and texts.
 */
final class CandidateReranking {

  private CandidateReranking() {}

  /** Each query's candidates in file order, with their first-stage scores. */
  static Map<String, Ranking> firstStage(CandidateLists lists, int k) {
    Map<String, Ranking> out = new LinkedHashMap<>();
    lists.candidates().forEach((q, cs) -> {
      List<ScoredDoc> docs = new ArrayList<>(cs.size());
      for (Candidate c : cs) {
        docs.add(c.scored(c.score()));
      }
      out.put(q, new Ranking(docs).top(k));
    });
    return out;
  }

  /**
   * The top {@code depth} of each list reranked, then the rest in list order, cut to {@code k}.
   *
   * @throws IllegalStateException when the reranker drops or invents a document for a query
   */
  static Map<String, Ranking> reranked(CandidateLists lists, Reranker reranker, int depth, int k,
      ProgressListener progress) {
    Map<String, List<Candidate>> top = new LinkedHashMap<>();
    lists.candidates().forEach((q, cs) -> top.put(q, cs.subList(0, Math.min(depth, cs.size()))));
    Map<String, Ranking> reranked = reranker.rerankAll(lists.queries(), top, progress);
    Map<String, Ranking> out = new LinkedHashMap<>();
    for (Map.Entry<String, List<Candidate>> e : lists.candidates().entrySet()) {
      String q = e.getKey();
      Ranking r = reranked.get(q);
      Set<String> expected = new HashSet<>();
      top.get(q).forEach(c -> expected.add(c.docId()));
      Set<String> got = new HashSet<>();
      if (r != null) {
        r.forEach(d -> got.add(d.docId()));
      }
      if (r == null || r.size() != expected.size() || !expected.equals(got)) {
        throw new IllegalStateException("reranker " + reranker.name() + " did not return exactly the "
            + expected.size() + " candidates of query " + q + " from " + lists.file());
      }
      List<ScoredDoc> docs = new ArrayList<>(r.docs());
      List<Candidate> cs = e.getValue();
      for (int i = top.get(q).size(); i < cs.size(); i++) {
        docs.add(cs.get(i).scored(cs.get(i).score()));
      }
      out.put(q, new Ranking(docs).top(k));
    }
    return out;
  }
}
