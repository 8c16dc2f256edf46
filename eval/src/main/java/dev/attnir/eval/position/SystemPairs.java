package dev.attnir.eval.position;

import dev.attnir.eval.metrics.PairedTests;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Paired comparisons of the systems evaluated on one group: is one system's nDCG@10 on the long documents really
 * higher than another's, or within what the choice of queries explains?
 *
 * <p>With every query placed at every slot, the items of one query are not independent (they share the question and
 * its gold passage), so the unit of the test is the query: its nDCG@10 is first averaged over the slots it was placed
 * at, then the systems are compared with the paired randomization (sign-flip) test over queries (Smucker, Allan and
 * Carterette, CIKM 2007).
 */
public final class SystemPairs {

  private SystemPairs() {}

  /**
   * One comparison.
   *
   * @param group group name
   * @param a first system
   * @param b second system
   * @param queries paired queries (after averaging over slots)
   * @param meanA mean nDCG@10 of {@code a} over those queries
   * @param meanB mean nDCG@10 of {@code b}
   * @param randomizationP two-sided p of the paired randomization test
   */
  public record Pair(String group, String a, String b, int queries, double meanA, double meanB,
      double randomizationP) {

    /** {@code meanB - meanA}. */
    public double difference() {
      return meanB - meanA;
    }
  }

  /**
   * Every pair of systems within each group whose items cover the same queries.
   *
   * @param permutations sign flips of the randomization test
   */
  public static List<Pair> compare(List<SystemResult> results, int permutations, long seed) {
    Map<String, List<SystemResult>> byGroup = new LinkedHashMap<>();
    results.forEach(r -> byGroup.computeIfAbsent(r.group(), g -> new ArrayList<>()).add(r));
    List<Pair> out = new ArrayList<>();
    for (var g : byGroup.entrySet()) {
      List<Map<String, Double>> perQuery = g.getValue().stream().map(r -> perQuery(r.items())).toList();
      for (int i = 0; i < perQuery.size(); i++) {
        for (int j = i + 1; j < perQuery.size(); j++) {
          if (!perQuery.get(i).keySet().equals(perQuery.get(j).keySet()) || perQuery.get(i).isEmpty()) {
            continue;
          }
          double[] a = perQuery.get(i).values().stream().mapToDouble(Double::doubleValue).toArray();
          double[] b = perQuery.get(j).values().stream().mapToDouble(Double::doubleValue).toArray();
          PairedTests.Comparison c = PairedTests.compare(a, b, permutations, seed);
          out.add(new Pair(g.getKey(), g.getValue().get(i).system(), g.getValue().get(j).system(), c.queries(),
              c.meanA(), c.meanB(), c.randomizationP()));
        }
      }
    }
    return out;
  }

  /**
   * Mean nDCG@10 per query over the sets it was placed in, sorted by query so two systems' arrays align.
   */
  static Map<String, Double> perQuery(List<PositionBias.Item> items) {
    Map<String, double[]> sums = new TreeMap<>();
    for (PositionBias.Item it : items) {
      double[] s = sums.computeIfAbsent(it.query(), k -> new double[2]);
      s[0] += it.ndcg10();
      s[1]++;
    }
    Map<String, Double> out = new LinkedHashMap<>();
    sums.forEach((q, s) -> out.put(q, s[0] / s[1]));
    return out;
  }
}
