package dev.attnir.indexer.retrieve;

import dev.attnir.indexer.search.PassageHit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Passage-to-document aggregation by the best passage (MaxP, Dai and Callan, SIGIR 2019): a document scores as its
 * highest-scoring retrieved passage.
 */
public final class MaxPassage {

  /** Best score first, then document id ascending (Anserini's tie-break). */
  public static final Comparator<ScoredDoc> RANKING = Comparator.comparingDouble(ScoredDoc::score).reversed()
      .thenComparing(ScoredDoc::docId);

  private MaxPassage() {}

  /** Aggregates passage hits into at most {@code k} documents. */
  public static List<ScoredDoc> aggregate(List<PassageHit> hits, int k) {
    Map<String, ScoredDoc> best = new HashMap<>();
    for (PassageHit h : hits) {
      ScoredDoc current = best.get(h.docId());
      if (current == null || h.score() > current.score()) {
        best.put(h.docId(), new ScoredDoc(h.docId(), h.score(), h.ordinal()));
      }
    }
    List<ScoredDoc> docs = new ArrayList<>(best.values());
    docs.sort(RANKING);
    return docs.size() > k ? new ArrayList<>(docs.subList(0, k)) : docs;
  }

  /**
   * Retrieves passages deep enough to fill {@code k} documents: starts at {@code k} times the index's passages per
   * document and doubles while fewer than {@code k} distinct documents came back and more passages exist.
   *
   * @param search passage search returning at most the requested number of hits
   */
  public static List<ScoredDoc> topDocuments(IntFunction<List<PassageHit>> search, int k, double passagesPerDoc,
      long totalPassages) {
    long depth = Math.max(k, (long) Math.ceil(k * passagesPerDoc));
    while (true) {
      int d = (int) Math.min(depth, Math.max(1, totalPassages));
      List<PassageHit> hits = search.apply(d);
      List<ScoredDoc> docs = aggregate(hits, k);
      if (docs.size() >= k || hits.size() < d || d >= totalPassages) {
        return docs;
      }
      depth *= 2;
    }
  }
}
