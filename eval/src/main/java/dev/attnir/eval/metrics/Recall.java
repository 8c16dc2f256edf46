package dev.attnir.eval.metrics;

/**
 * Recall at a cutoff as trec_eval's {@code recall}: relevant documents in the top {@code k} over all judged relevant
 * documents; 0 for a query with none.
 */
public final class Recall implements Metric {

  private final int k;

  public Recall(int k) {
    if (k < 1) {
      throw new IllegalArgumentException("recall cutoff must be >= 1, got " + k);
    }
    this.k = k;
  }

  @Override
  public String name() {
    return "R@" + k;
  }

  @Override
  public String trecEvalName() {
    return "recall_" + k;
  }

  @Override
  public double compute(JudgedRanking r) {
    if (r.numRelevant() == 0) {
      return 0;
    }
    int found = 0;
    for (int i = 0; i < Math.min(k, r.size()); i++) {
      if (r.isRelevant(i)) {
        found++;
      }
    }
    return (double) found / r.numRelevant();
  }
}
