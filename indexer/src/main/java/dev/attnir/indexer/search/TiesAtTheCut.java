package dev.attnir.indexer.search;

import dev.attnir.core.Ranking;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The top {@code k} hits of a search with the hits tied at the cut chosen in {@link Ranking}'s tie order (document id
 * descending, trec_eval's order; then passage ordinal), not in the engine's internal order (Lucene's doc id, an
 * Elasticsearch shard's). Without it, which of several equally scored documents make the cut depends on the order
 * documents were indexed and merged, so two backends over the same passages, or one index before and after a rebuild,
 * return different runs.
 *
 * <p>Fetches one hit more than needed and, while that one ties with the k-th, twice as many, so the whole tie group is
 * seen: with no tie at the cut this costs one extra hit.
 */
public final class TiesAtTheCut {

  private static final Comparator<PassageHit> TIE_ORDER = (a, b) -> {
    int byDoc = Ranking.compareCodePoints(b.docId(), a.docId());
    return byDoc != 0 ? byDoc : Integer.compare(a.ordinal(), b.ordinal());
  };

  private TiesAtTheCut() {}

  /**
   * @param fetch the search: at most the given number of hits, best first
   * @param maxDepth the most hits {@code fetch} can return (the index's size, or the engine's result window); a tie
   *     group reaching past it is cut at it
   */
  public static List<PassageHit> top(IntFunction<List<PassageHit>> fetch, int k, int maxDepth) {
    k = Math.min(k, maxDepth);
    if (k <= 0) {
      return List.of();
    }
    int depth = Math.min(k + 1, maxDepth);
    while (true) {
      List<PassageHit> hits = fetch.apply(depth);
      if (hits.size() <= k) {
        return hits;
      }
      float cut = hits.get(k - 1).score();
      if (hits.get(hits.size() - 1).score() != cut || depth >= maxDepth || hits.size() < depth) {
        List<PassageHit> kept = new ArrayList<>(k);
        List<PassageHit> tied = new ArrayList<>();
        for (PassageHit h : hits) {
          if (h.score() > cut) {
            kept.add(h);
          } else if (h.score() == cut) {
            tied.add(h);
          }
        }
        tied.sort(TIE_ORDER);
        kept.addAll(tied.subList(0, Math.min(tied.size(), k - kept.size())));
        return kept;
      }
      depth = (int) Math.min((long) depth * 2, maxDepth);
    }
  }
}
