package dev.attnir.eval.position;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Paired comparisons use the query, averaged over its slots, as the unit. */
class SystemPairsTest {

  private static SystemResult result(String system, double[][] ndcgBySlotAndQuery) {
    List<PositionBias.Item> items = new ArrayList<>();
    for (int slot = 0; slot < ndcgBySlotAndQuery.length; slot++) {
      for (int q = 0; q < ndcgBySlotAndQuery[slot].length; q++) {
        int start = slot * 100;
        items.add(new PositionBias.Item("q" + q + "@slot-" + slot, start, start + 100, ndcgBySlotAndQuery.length
            * 100, 500, ndcgBySlotAndQuery[slot][q]));
      }
    }
    return new SystemResult("n2", system, items, Map.of(), Double.NaN, 0, 0);
  }

  @Test
  void itemsAreAveragedPerQueryOverSlots() {
    SystemResult r = result("a", new double[][] {{1.0, 0.5, 0.0}, {0.0, 0.5, 1.0}});
    Map<String, Double> perQuery = SystemPairs.perQuery(r.items());
    assertEquals(Map.of("q0", 0.5, "q1", 0.5, "q2", 0.5), perQuery);
  }

  @Test
  void aConsistentGainIsSignificantAndNoGainIsNot() {
    Random rnd = new Random(3);
    int queries = 60;
    double[][] base = new double[2][queries];
    double[][] better = new double[2][queries];
    double[][] shuffled = new double[2][queries];
    for (int s = 0; s < 2; s++) {
      for (int q = 0; q < queries; q++) {
        base[s][q] = rnd.nextDouble() * 0.8;
        better[s][q] = base[s][q] + 0.1;
      }
    }
    for (int s = 0; s < 2; s++) {
      shuffled[s] = base[1 - s].clone();
    }
    List<SystemPairs.Pair> pairs = SystemPairs.compare(List.of(result("base", base), result("better", better),
        result("slots swapped", shuffled)), 2000, 1);
    assertEquals(3, pairs.size(), "every pair once");
    SystemPairs.Pair gain = pairs.get(0);
    assertEquals("better", gain.b());
    assertEquals(queries, gain.queries(), "the unit is the query, not the query at a slot");
    assertEquals(0.1, gain.difference(), 1e-12);
    assertTrue(gain.randomizationP() < 0.001, "a gain on every query: p " + gain.randomizationP());
    SystemPairs.Pair same = pairs.get(1);
    assertEquals("slots swapped", same.b());
    assertEquals(0.0, same.difference(), 1e-12, "same per-query means");
    assertEquals(1.0, same.randomizationP(), 1e-12, "no difference at all: p = 1");
  }
}
