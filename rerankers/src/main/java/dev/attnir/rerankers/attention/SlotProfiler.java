package dev.attnir.rerankers.attention;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Calibrates a {@link SlotProfile}: for each calibration query, {@code k} of its passages in a seeded random order are
 * read, and each slot's share of the attention the passages receive is averaged over all contexts. Random orders make
 * the share a property of the slot, not of the passages placed there. The calibration set must be disjoint from the
 * evaluation set.
 */
public final class SlotProfiler {

  private SlotProfiler() {}

  /** A calibration item: a query and at least {@code k} passages to draw from. */
  public record Item(String query, List<String> passages) {}

  /**
   * The profile of {@code reader} for {@code k} slots.
   *
   * @param orders random orders read per item
   * @throws IllegalArgumentException when an item has fewer than {@code k} passages (naming it)
   */
  public static SlotProfile calibrate(AttentionReader reader, AttentionReader.Focus focus, int k, List<Item> items,
      int orders, long seed, int batch) {
    if (k < 1 || orders < 1 || items.isEmpty()) {
      throw new IllegalArgumentException("calibration needs k >= 1, orders >= 1 and at least one item");
    }
    Random random = new Random(seed);
    List<AttentionReader.Context> contexts = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      Item item = items.get(i);
      if (item.passages().size() < k) {
        throw new IllegalArgumentException("calibration item " + i + " has " + item.passages().size()
            + " passages, fewer than k=" + k);
      }
      for (int o = 0; o < orders; o++) {
        List<String> pool = new ArrayList<>(item.passages());
        Collections.shuffle(pool, random);
        contexts.add(new AttentionReader.Context(item.query(), pool.subList(0, k)));
      }
    }
    double[] sum = new double[k];
    double[] sumSq = new double[k];
    for (int from = 0; from < contexts.size(); from += batch) {
      List<ContextAttention> read = reader.read(contexts.subList(from, Math.min(contexts.size(), from + batch)),
          focus);
      for (ContextAttention a : read) {
        double total = 0;
        for (int s = 0; s < k; s++) {
          total += a.mass(s);
        }
        for (int s = 0; s < k; s++) {
          double share = a.mass(s) / total;
          sum[s] += share;
          sumSq[s] += share * share;
        }
      }
    }
    int n = contexts.size();
    double[] mean = new double[k];
    double[] err = new double[k];
    for (int s = 0; s < k; s++) {
      mean[s] = sum[s] / n;
      double var = n > 1 ? (sumSq[s] - n * mean[s] * mean[s]) / (n - 1) : 0;
      err[s] = Math.sqrt(Math.max(0, var) / n);
    }
    return new SlotProfile(reader.identity(), focus, mean, err, n);
  }
}
