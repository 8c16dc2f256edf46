package dev.attnir.eval.metrics;

/**
 * Precision at a cutoff as trec_eval's {@code P}: relevant documents in the top {@code k} divided by {@code k}, even
 * when fewer than {@code k} were retrieved.
 */
public final class Precision implements Metric {

  private final int k;

  public Precision(int k) {
    if (k < 1) {
      throw new IllegalArgumentException("precision cutoff must be >= 1, got " + k);
    }
    this.k = k;
  }

  @Override
  public String name() {
    return "P@" + k;
  }

  @Override
  public String trecEvalName() {
    return "P_" + k;
  }

  @Override
  public double compute(JudgedRanking r) {
    int found = 0;
    for (int i = 0; i < Math.min(k, r.size()); i++) {
      if (r.isRelevant(i)) {
        found++;
      }
    }
    return (double) found / k;
  }
}
