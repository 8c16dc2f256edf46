package dev.attnir.eval.metrics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-query values and their means.
 *
 * @param metrics the metrics, in report order
 * @param queries evaluated queries, in the order of the values arrays
 * @param perQuery metric name to per-query values (aligned with {@code queries})
 * @param averaging which queries the means average over
 */
public record EvaluationResult(List<Metric> metrics, List<String> queries, Map<String, double[]> perQuery,
    Evaluator.Averaging averaging) {

  /** Mean of one metric over the evaluated queries. */
  public double mean(String metricName) {
    double[] v = perQuery.get(metricName);
    if (v == null) {
      throw new IllegalArgumentException("metric " + metricName + " was not computed; computed: " + perQuery.keySet());
    }
    if (v.length == 0) {
      return 0;
    }
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s / v.length;
  }

  /** Means of all metrics, in report order. */
  public Map<String, Double> means() {
    Map<String, Double> m = new LinkedHashMap<>();
    for (Metric metric : metrics) {
      m.put(metric.name(), mean(metric.name()));
    }
    return m;
  }

  /** Value of one metric for one query. */
  public double value(String metricName, String queryId) {
    int i = queries.indexOf(queryId);
    if (i < 0) {
      throw new IllegalArgumentException("query " + queryId + " was not evaluated");
    }
    return perQuery.get(metricName)[i];
  }
}
