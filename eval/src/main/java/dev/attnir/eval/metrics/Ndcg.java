package dev.attnir.eval.metrics;

/**
 * nDCG at a cutoff as trec_eval's {@code ndcg_cut}: gain is the judged grade (linear), the document at 0-based rank
 * {@code i} is discounted by {@code log2(i + 2)}, and the ideal ranking orders every judged relevant document by grade.
 * A query without relevant documents scores 0.
 */
public final class Ndcg implements Metric {

  private final int k;

  public Ndcg(int k) {
    if (k < 1) {
      throw new IllegalArgumentException("nDCG cutoff must be >= 1, got " + k);
    }
    this.k = k;
  }

  @Override
  public String name() {
    return "nDCG@" + k;
  }

  @Override
  public String trecEvalName() {
    return "ndcg_cut_" + k;
  }

  @Override
  public double compute(JudgedRanking r) {
    double dcg = 0;
    for (int i = 0; i < Math.min(k, r.size()); i++) {
      int gain = r.relevance(i);
      if (gain > 0) {
        dcg += gain / log2(i + 2);
      }
    }
    double ideal = 0;
    int rank = 0;
    for (int level = r.maxLevel(); level > 0 && rank < k; level--) {
      for (int c = 0; c < r.countAtLevel(level) && rank < k; c++) {
        ideal += level / log2(rank + 2);
        rank++;
      }
    }
    return ideal > 0 ? dcg / ideal : 0;
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
