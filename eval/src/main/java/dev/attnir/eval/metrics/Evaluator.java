package dev.attnir.eval.metrics;

import dev.attnir.eval.data.Qrels;
import dev.attnir.eval.data.TrecRun;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Scores a run against qrels, per query and on average, exactly as trec_eval does. */
public final class Evaluator {

  /** Which queries the mean is taken over. */
  public enum Averaging {
    /**
     * Every judged query; one the run has no results for scores 0 (trec_eval {@code -c}). The default: a system that
     * returns nothing for a query is not rewarded by dropping it from the average.
     */
    ALL_JUDGED,
    /** Judged queries with at least one result (trec_eval without {@code -c}; pytrec_eval and BEIR). */
    RETRIEVED_AND_JUDGED
  }

  private Evaluator() {}

  /**
   * Evaluates a run. Queries are taken in the qrels' order; a run query without judgments is not evaluated, as in
   * trec_eval.
   */
  public static EvaluationResult evaluate(TrecRun run, Qrels qrels, List<Metric> metrics, Averaging averaging) {
    List<String> queries = new ArrayList<>();
    for (String q : qrels.queries()) {
      if (averaging == Averaging.ALL_JUDGED || !run.of(q).isEmpty()) {
        queries.add(q);
      }
    }
    Map<String, double[]> values = new LinkedHashMap<>();
    for (Metric m : metrics) {
      values.put(m.name(), new double[queries.size()]);
    }
    for (int i = 0; i < queries.size(); i++) {
      String q = queries.get(i);
      JudgedRanking ranking;
      try {
        ranking = JudgedRanking.of(run.of(q), qrels.of(q));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("query " + q + ": " + e.getMessage(), e);
      }
      for (Metric m : metrics) {
        values.get(m.name())[i] = m.compute(ranking);
      }
    }
    return new EvaluationResult(List.copyOf(metrics), List.copyOf(queries), values, averaging);
  }
}
