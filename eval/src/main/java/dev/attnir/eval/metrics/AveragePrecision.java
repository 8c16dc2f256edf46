package dev.attnir.eval.metrics;

/**
 * Average precision as trec_eval's {@code map}: the sum of precision at each relevant retrieved document divided by
 * the number of judged relevant documents; 0 for a query with none.
 */
public final class AveragePrecision implements Metric {

  @Override
  public String name() {
    return "MAP";
  }

  @Override
  public String trecEvalName() {
    return "map";
  }

  @Override
  public double compute(JudgedRanking r) {
    if (r.numRelevant() == 0) {
      return 0;
    }
    double sum = 0;
    int found = 0;
    for (int i = 0; i < r.size(); i++) {
      if (r.isRelevant(i)) {
        found++;
        sum += (double) found / (i + 1);
      }
    }
    return sum / r.numRelevant();
  }
}
