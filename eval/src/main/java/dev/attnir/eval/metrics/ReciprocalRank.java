package dev.attnir.eval.metrics;

/**
 * Reciprocal rank of the first relevant document: trec_eval's {@code recip_rank} without a cutoff, or, with cutoff
 * {@code k}, the same measure on the ranking truncated at {@code k} (MRR@k as MS MARCO and BEIR report it).
 */
public final class ReciprocalRank implements Metric {

  private final int k;

  /** @param k cutoff, or {@link Integer#MAX_VALUE} for none */
  public ReciprocalRank(int k) {
    if (k < 1) {
      throw new IllegalArgumentException("MRR cutoff must be >= 1, got " + k);
    }
    this.k = k;
  }

  @Override
  public String name() {
    return k == Integer.MAX_VALUE ? "MRR" : "MRR@" + k;
  }

  @Override
  public String trecEvalName() {
    return k == Integer.MAX_VALUE ? "recip_rank" : "recip_rank (run cut at " + k + ")";
  }

  @Override
  public double compute(JudgedRanking r) {
    for (int i = 0; i < Math.min(k, r.size()); i++) {
      if (r.isRelevant(i)) {
        return 1.0 / (i + 1);
      }
    }
    return 0;
  }
}
