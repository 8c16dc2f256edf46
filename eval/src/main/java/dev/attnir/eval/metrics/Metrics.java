package dev.attnir.eval.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Parses metric names such as {@code nDCG@10}, {@code R@100}, {@code MRR@10}, {@code MRR}, {@code MAP}, {@code P@10}. */
public final class Metrics {

  private Metrics() {}

  /** The metrics reported by default: nDCG@10, R@100, R@1000, MRR@10, MAP, P@10. */
  public static List<Metric> defaults() {
    return List.of(new Ndcg(10), new Recall(100), new Recall(1000), new ReciprocalRank(10), new AveragePrecision(),
        new Precision(10));
  }

  /** Parses a comma-separated list of metric names. */
  public static List<Metric> parseList(String names) {
    List<Metric> out = new ArrayList<>();
    for (String n : names.split(",")) {
      if (!n.isBlank()) {
        out.add(parse(n));
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no metrics given");
    }
    return out;
  }

  /**
   * Parses one metric name (case-insensitive).
   *
   * @throws IllegalArgumentException for an unknown name or a bad cutoff
   */
  public static Metric parse(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    if (n.equals("map")) {
      return new AveragePrecision();
    }
    if (n.equals("mrr") || n.equals("recip_rank")) {
      return new ReciprocalRank(Integer.MAX_VALUE);
    }
    int at = n.indexOf('@');
    if (at < 0) {
      int us = n.lastIndexOf('_');
      if (us > 0 && (n.startsWith("ndcg_cut_") || n.startsWith("recall_") || n.startsWith("p_"))) {
        at = us;
      }
    }
    if (at > 0) {
      String kind = n.substring(0, at);
      int k;
      try {
        k = Integer.parseInt(n.substring(at + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("metric '" + name + "': cutoff '" + n.substring(at + 1)
            + "' is not an integer");
      }
      switch (kind) {
        case "ndcg", "ndcg_cut":
          return new Ndcg(k);
        case "r", "recall":
          return new Recall(k);
        case "p", "precision":
          return new Precision(k);
        case "mrr", "rr":
          return new ReciprocalRank(k);
        default:
          break;
      }
    }
    throw new IllegalArgumentException("unknown metric '" + name
        + "'; known: nDCG@k, R@k, P@k, MRR@k, MRR, MAP (or trec_eval names ndcg_cut_k, recall_k, P_k, recip_rank, map)");
  }
}
