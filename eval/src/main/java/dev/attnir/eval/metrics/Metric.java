package dev.attnir.eval.metrics;

/** A per-query effectiveness measure, computed exactly as trec_eval computes its namesake. */
public interface Metric {

  /** Display name, e.g. {@code nDCG@10}. */
  String name();

  /** trec_eval's name for the same measure, e.g. {@code ndcg_cut_10}, or the closest description. */
  String trecEvalName();

  /** Value for one query. */
  double compute(JudgedRanking ranking);
}
