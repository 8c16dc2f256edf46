package dev.attnir.indexer.retrieve;

import dev.attnir.core.Ranking;
import dev.attnir.core.ScoredDoc;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Weighted sum of min-max normalised scores: each ranking's scores are mapped to [0, 1] by its own minimum and
 * maximum, a document missing from a ranking gets 0 there, and the fused score is the weighted sum.
 */
public final class LinearFusion implements Fusion {

  private final double[] weights;

  /** @param weights one weight per ranking, in the order rankings are passed to {@link #fuse} */
  public LinearFusion(double... weights) {
    if (weights.length == 0) {
      throw new IllegalArgumentException("linear fusion needs at least one weight");
    }
    for (double w : weights) {
      if (!(w >= 0) || !Double.isFinite(w)) {
        throw new IllegalArgumentException("linear fusion weights must be finite and >= 0, got " + w);
      }
    }
    this.weights = weights.clone();
  }

  /** Lexical and dense rankings weighted {@code 1 - denseWeight} and {@code denseWeight}. */
  public static LinearFusion lexicalDense(double denseWeight) {
    if (!(denseWeight >= 0 && denseWeight <= 1)) {
      throw new IllegalArgumentException("dense weight must be in [0, 1], got " + denseWeight);
    }
    return new LinearFusion(1 - denseWeight, denseWeight);
  }

  @Override
  public String name() {
    return "linear" + (weights.length == 2 ? String.format(java.util.Locale.ROOT, "%.2f", weights[1]) : "");
  }

  @Override
  public Ranking fuse(List<Ranking> rankings, int topK) {
    if (rankings.size() != weights.length) {
      throw new IllegalArgumentException("linear fusion has " + weights.length + " weights but got "
          + rankings.size() + " rankings");
    }
    Map<String, Double> scores = new HashMap<>();
    Map<String, ScoredDoc> best = new HashMap<>();
    for (int i = 0; i < rankings.size(); i++) {
      Ranking ranking = rankings.get(i);
      if (ranking.isEmpty()) {
        continue;
      }
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (ScoredDoc d : ranking) {
        min = Math.min(min, d.score());
        max = Math.max(max, d.score());
      }
      double range = max - min;
      for (ScoredDoc d : ranking) {
        double norm = range > 0 ? (d.score() - min) / range : 1.0;
        scores.merge(d.docId(), weights[i] * norm, Double::sum);
        best.putIfAbsent(d.docId(), d);
      }
    }
    List<ScoredDoc> fused = new ArrayList<>(scores.size());
    scores.forEach((id, s) -> fused.add(new ScoredDoc(id, s, best.get(id).passage())));
    return Ranking.byScore(fused, topK);
  }
}
