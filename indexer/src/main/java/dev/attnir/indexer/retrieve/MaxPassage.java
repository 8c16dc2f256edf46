package dev.attnir.indexer.retrieve;

import dev.attnir.core.Ranking;
import dev.attnir.core.ScoredDoc;
import dev.attnir.indexer.search.PassageHit;
import dev.attnir.indexer.search.SearchBackend;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Passage-to-document aggregation by the best passage (MaxP, Dai and Callan, SIGIR 2019): a document scores as its
 * highest-scoring retrieved passage.
 */
public final class MaxPassage {

  private MaxPassage() {}

  /** Aggregates passage hits into at most {@code k} documents. */
  public static Ranking aggregate(List<PassageHit> hits, int k) {
    Map<String, ScoredDoc> best = new HashMap<>();
    for (PassageHit h : hits) {
      ScoredDoc current = best.get(h.docId());
      if (current == null || h.score() > current.score()) {
        best.put(h.docId(), new ScoredDoc(h.docId(), h.score(), h.ordinal()));
      }
    }
    return Ranking.byScore(best.values(), k);
  }

  /**
   * Passages to fetch per wanted document: the index's passages per document, or 1 for a backend whose hits are
   * already one per document ({@link SearchBackend#hitsAreDocuments()}).
   */
  public static double passagesPerHit(SearchBackend backend) {
    return backend.hitsAreDocuments() ? 1.0 : backend.manifest().passagesPerDocument();
  }

  /**
   * How many passages a search may ask for: the manifest's count for a local index, unbounded for a backend whose hits
   * are documents (a cluster knows its own size, and a manifest's counts lag documents written without a commit, such
   * as those an ingest pipeline embedded: capping by them would silently cut the ranking short).
   */
  public static long searchablePassages(SearchBackend backend) {
    return backend.hitsAreDocuments() ? Long.MAX_VALUE : backend.manifest().passageCount();
  }

  /**
   * Retrieves passages deep enough to fill {@code k} documents: starts at {@code k} times the index's passages per
   * document and doubles while fewer than {@code k} distinct documents came back and more passages exist.
   *
   * @param search passage search returning at most the requested number of hits
   */
  public static Ranking topDocuments(IntFunction<List<PassageHit>> search, int k, double passagesPerDoc,
      long totalPassages) {
    long depth = Math.max(k, (long) Math.ceil(k * passagesPerDoc));
    while (true) {
      int d = (int) Math.min(depth, Math.max(1, totalPassages));
      List<PassageHit> hits = search.apply(d);
      Ranking docs = aggregate(hits, k);
      if (docs.size() >= k || hits.size() < d || d >= totalPassages) {
        return docs;
      }
      depth *= 2;
    }
  }
}
