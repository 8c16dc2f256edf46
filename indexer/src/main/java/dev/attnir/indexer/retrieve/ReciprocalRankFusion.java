package dev.attnir.indexer.retrieve;

import dev.attnir.core.Ranking;
import dev.attnir.core.ScoredDoc;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reciprocal rank fusion (Cormack, Clarke and Buettcher, SIGIR 2009): a document scores
 * {@code sum over rankings of 1 / (k + rank)} with ranks from 1; a ranking that misses it contributes nothing.
 */
public final class ReciprocalRankFusion implements Fusion {

  private final int k;

  /** @param k the rank constant; 60 in the paper */
  public ReciprocalRankFusion(int k) {
    if (k < 0) {
      throw new IllegalArgumentException("RRF constant k must be >= 0, got " + k);
    }
    this.k = k;
  }

  @Override
  public String name() {
    return "rrf" + k;
  }

  @Override
  public Ranking fuse(List<Ranking> rankings, int topK) {
    Map<String, Double> scores = new HashMap<>();
    Map<String, ScoredDoc> firstSeen = new HashMap<>();
    Map<String, Integer> bestRank = new HashMap<>();
    for (Ranking ranking : rankings) {
      for (int r = 0; r < ranking.size(); r++) {
        ScoredDoc d = ranking.get(r);
        scores.merge(d.docId(), 1.0 / (k + r + 1), Double::sum);
        if (r < bestRank.getOrDefault(d.docId(), Integer.MAX_VALUE)) {
          bestRank.put(d.docId(), r);
          firstSeen.put(d.docId(), d);
        }
      }
    }
    List<ScoredDoc> fused = new ArrayList<>(scores.size());
    scores.forEach((id, s) -> fused.add(new ScoredDoc(id, s, firstSeen.get(id).passage())));
    return Ranking.byScore(fused, topK);
  }
}
