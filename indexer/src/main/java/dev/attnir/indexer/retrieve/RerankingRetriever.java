package dev.attnir.indexer.retrieve;

import dev.attnir.core.Candidate;
import dev.attnir.core.ProgressListener;
import dev.attnir.core.Ranking;
import dev.attnir.core.Reranker;
import dev.attnir.core.Retriever;
import dev.attnir.core.ScoredDoc;
import dev.attnir.indexer.search.PassageRef;
import dev.attnir.indexer.search.SearchBackend;
import dev.attnir.indexer.search.StoredPassage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A first stage followed by a reranker, itself a {@link Retriever}: the first stage retrieves at least {@code depth}
 * documents, their best passages are fetched from the backend (one batched fetch for all queries) and handed to the
 * reranker as {@link Candidate}s, and the reranked documents come first, followed by the first stage's documents
 * beyond the depth in their first-stage order. The result's order is authoritative (the reranker's scores and the
 * first stage's scores of the tail are on different scales; run files keep the order, see {@link Ranking}).
 */
public final class RerankingRetriever implements Retriever {

  private final Retriever firstStage;
  private final SearchBackend passages;
  private final Reranker reranker;
  private final int depth;

  /**
   * @param firstStage the retriever whose top documents are reranked
   * @param passages the backend holding the passages the first stage's documents refer to
   * @param depth documents reranked per query
   */
  public RerankingRetriever(Retriever firstStage, SearchBackend passages, Reranker reranker, int depth) {
    if (depth < 1) {
      throw new IllegalArgumentException("rerank depth must be >= 1, got " + depth);
    }
    this.firstStage = firstStage;
    this.passages = passages;
    this.reranker = reranker;
    this.depth = depth;
  }

  @Override
  public String name() {
    return firstStage.name() + "+" + reranker.name();
  }

  public int depth() {
    return depth;
  }

  @Override
  public Ranking retrieve(String query, int k) {
    return retrieveAll(Map.of("q", query), k, ProgressListener.none()).get("q");
  }

  @Override
  public Map<String, Ranking> retrieveAll(Map<String, String> queries, int k, ProgressListener progress) {
    Map<String, Ranking> first = firstStage.retrieveAll(queries, Math.max(k, depth), ProgressListener.none());
    List<PassageRef> refs = new ArrayList<>();
    for (Ranking r : first.values()) {
      for (ScoredDoc d : r.top(depth)) {
        refs.add(new PassageRef(d.docId(), d.passage()));
      }
    }
    List<StoredPassage> stored = passages.passages(refs);
    Map<String, List<Candidate>> candidates = new LinkedHashMap<>();
    int next = 0;
    for (Map.Entry<String, Ranking> e : first.entrySet()) {
      Ranking top = e.getValue().top(depth);
      List<Candidate> cs = new ArrayList<>(top.size());
      for (int i = 0; i < top.size(); i++) {
        ScoredDoc d = top.get(i);
        StoredPassage p = stored.get(next++);
        cs.add(new Candidate(d.docId(), i + 1, d.score(), d.passage(), p.start(), p.end(), p.contents()));
      }
      candidates.put(e.getKey(), cs);
    }
    Map<String, Ranking> reranked = reranker.rerankAll(queries, candidates, progress);
    Map<String, Ranking> out = new LinkedHashMap<>();
    for (String q : queries.keySet()) {
      Ranking r = reranked.get(q);
      requirePermutation(q, candidates.get(q), r);
      List<ScoredDoc> docs = new ArrayList<>(r.docs());
      Ranking firstRanking = first.get(q);
      for (int i = depth; i < firstRanking.size(); i++) {
        docs.add(firstRanking.get(i));
      }
      out.put(q, new Ranking(docs).top(k));
    }
    return out;
  }

  /** A reranker must return exactly its candidates: a dropped or invented document would corrupt every metric. */
  private void requirePermutation(String query, List<Candidate> candidates, Ranking reranked) {
    if (reranked == null) {
      throw new IllegalStateException("reranker " + reranker.name() + " returned nothing for query " + query);
    }
    Set<String> expected = new HashSet<>();
    candidates.forEach(c -> expected.add(c.docId()));
    Set<String> got = new HashSet<>();
    reranked.forEach(d -> got.add(d.docId()));
    if (!expected.equals(got)) {
      Set<String> missing = new HashSet<>(expected);
      missing.removeAll(got);
      Set<String> extra = new HashSet<>(got);
      extra.removeAll(expected);
      throw new IllegalStateException("reranker " + reranker.name() + " did not return its candidates for query "
          + query + ": missing " + missing + ", not among the candidates " + extra);
    }
  }
}
