package dev.attnir.eval.position;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PositionBiasTest {

  /** An item whose span midpoint sits at {@code rel} of a 10,000-character document of {@code tokens} tokens. */
  private static PositionBias.Item at(String id, double rel, int tokens, double ndcg) {
    int mid = (int) Math.round(rel * 10_000);
    int start = Math.max(0, mid - 1);
    int end = Math.min(10_000, start + 2);
    if (start + 1 != mid && mid < 10_000) {
      start = mid - 1;
      end = mid + 1;
    }
    return new PositionBias.Item(id, start, end, 10_000, tokens, ndcg);
  }

  @Test
  void binsAreTwentyRightClosedIntervalsWithTheFirstClosedOnTheLeft() {
    assertEquals(0, PositionBias.bin(0.0));
    assertEquals(0, PositionBias.bin(0.05));
    assertEquals(1, PositionBias.bin(0.0500001));
    assertEquals(1, PositionBias.bin(0.1));
    assertEquals(9, PositionBias.bin(0.5));
    assertEquals(18, PositionBias.bin(0.95));
    assertEquals(19, PositionBias.bin(0.951));
    assertEquals(19, PositionBias.bin(1.0));
    for (int k = 1; k <= 20; k++) {
      assertEquals(k - 1, PositionBias.bin(k * 0.05), "edge " + k * 0.05 + " belongs to the bin it closes");
    }
    assertEquals(0.0245, PositionBias.center(0), 1e-12);
    assertEquals(0.075, PositionBias.center(1), 1e-12);
    assertEquals(0.975, PositionBias.center(19), 1e-12);
  }

  @Test
  void lengthBucketsAreRightClosed() {
    assertEquals(0, PositionBias.bucket(1));
    assertEquals(0, PositionBias.bucket(512));
    assertEquals(1, PositionBias.bucket(513));
    assertEquals(1, PositionBias.bucket(1024));
    assertEquals(2, PositionBias.bucket(1536));
    assertEquals(3, PositionBias.bucket(1537));
  }

  @Test
  void relativePositionIsTheSpanMidpointClipped() {
    assertEquals(0.15, new PositionBias.Item("q", 100, 200, 1000, 10, 1).relativePosition(), 1e-12);
    assertEquals(1.0, new PositionBias.Item("q", 900, 1000, 1000, 10, 1).relativePosition() + 0.05, 1e-12);
  }

  @Test
  void psiAndMeansByHand() {
    List<PositionBias.Item> items = List.of(
        at("a", 0.01, 300, 1.0), at("b", 0.02, 300, 1.0), at("c", 0.03, 300, 1.0), // bin 0: mean 1.0
        at("d", 0.99, 300, 0.5),                                                   // bin 19: mean 0.5
        at("e", 0.50, 2000, 0.8), at("f", 0.51, 2000, 0.4),                        // Q4, bins 9 and 10
        at("g", 0.70, 2000, 0.2));                                                  // Q4, bin 13
    Map<String, PositionBias.Summary> s = PositionBias.analyze(items, 0, 1);
    PositionBias.Summary q1 = s.get(PositionBias.BUCKETS.get(0));
    assertEquals(4, q1.queries());
    assertEquals(0.75, q1.ndcg10(), 1e-12, "bucket nDCG is the mean of bin means");
    assertEquals(0.5, q1.psi(), 1e-12, "1 - 0.5 / 1.0");
    assertTrue(Double.isNaN(q1.slope()), "two occupied bins: no trend");
    assertTrue(q1.warnings().stream().anyMatch(w -> w.contains("fewer than 3 occupied bins")), q1.warnings().toString());
    PositionBias.Summary q4 = s.get(PositionBias.BUCKETS.get(3));
    assertEquals((0.8 + 0.4 + 0.2) / 3, q4.ndcg10(), 1e-12);
    assertEquals(1 - 0.2 / 0.8, q4.psi(), 1e-12);
    assertEquals(-1.0, q4.spearman(), 1e-12, "strictly falling with position: recency-hurt, primacy");
    assertTrue(q4.slope() < 0);
    assertEquals(-1.0, q4.kendall(), 1e-12);
    PositionBias.Summary all = s.get("all");
    assertEquals((1 + 1 + 1 + 0.5 + 0.8 + 0.4 + 0.2) / 7, all.ndcg10(), 1e-12, "overall is the mean over queries");
    assertEquals(1 - 0.2 / 1.0, all.psi(), 1e-12, "overall PSI over bins of all queries");
    PositionBias.Summary q2 = s.get(PositionBias.BUCKETS.get(1));
    assertEquals(0, q2.queries());
    assertTrue(q2.warnings().contains("no queries in this bucket"));
  }

  @Test
  void allZeroScoresWarnInsteadOfDividingByZero() {
    List<PositionBias.Item> items = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      items.add(at("q" + i, i / 10.0 + 0.01, 100, 0.0));
    }
    PositionBias.Summary s = PositionBias.analyze(items, 50, 1).get("all");
    assertTrue(Double.isNaN(s.psi()));
    assertTrue(s.warnings().stream().anyMatch(w -> w.contains("PSI (1 - min/max) is undefined")), s.warnings().toString());
  }

  @Test
  void bootstrapIntervalBracketsThePointEstimate() {
    List<PositionBias.Item> items = new ArrayList<>();
    java.util.Random r = new java.util.Random(3);
    for (int i = 0; i < 400; i++) {
      double rel = r.nextDouble();
      items.add(at("q" + i, rel, 800, Math.max(0, Math.min(1, 0.9 - 0.4 * rel + r.nextGaussian() * 0.2))));
    }
    PositionBias.Summary s = PositionBias.analyze(items, 500, 7).get("all");
    assertTrue(s.psiLow() <= s.psi() && s.psi() <= s.psiHigh(), s.psiLow() + " " + s.psi() + " " + s.psiHigh());
    assertTrue(s.psiNull() < s.psi(), "a real position effect exceeds the no-effect PSI " + s.psiNull());
    assertTrue(s.psiNullP() < 0.01, "permutation p " + s.psiNullP());
    assertTrue(s.slope() < 0 && s.spearman() < -0.8, "falling trend: slope " + s.slope() + " rho " + s.spearman());
    assertTrue(s.spearmanP() < 0.01, "p " + s.spearmanP());
  }

  @Test
  void aPositionBlindSystemHasAPositivePsiFromNoiseThatThePermutationNullExplains() {
    List<PositionBias.Item> items = new ArrayList<>();
    java.util.Random r = new java.util.Random(11);
    for (int i = 0; i < 300; i++) {
      items.add(at("q" + i, r.nextDouble(), 800, r.nextDouble() < 0.7 ? 1.0 : 0.0));
    }
    PositionBias.Summary s = PositionBias.analyze(items, 400, 3).get("all");
    assertTrue(s.psi() > 0.2, "15 queries per bin: noise alone gives PSI " + s.psi());
    assertTrue(s.psiNullP() > 0.05, "no evidence of a position effect: p " + s.psiNullP());
    assertEquals(s.psi(), s.psiNull(), 0.15);
  }

  @Test
  void spansOutsideTheDocumentAreErrors() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PositionBias.analyze(
        List.of(new PositionBias.Item("q7", 900, 1200, 1000, 10, 1)), 0, 1));
    assertTrue(e.getMessage().contains("q7") && e.getMessage().contains("outside"), e.getMessage());
  }

  @Test
  void theIntervalStaysInsideZeroToOneWhenPsiIsZero() {
    List<PositionBias.Item> items = new java.util.ArrayList<>();
    for (int bin = 0; bin < PositionBias.BINS; bin++) {
      for (int i = 0; i < 10; i++) {
        int mid = 25 + 50 * bin;
        items.add(new PositionBias.Item("q" + i + "@b" + bin, mid - 5, mid + 5, 1000, 2000, i < 5 ? 1.0 : 0.0));
      }
    }
    PositionBias.Summary s = PositionBias.analyze(items, 200, 3).get("all");
    assertEquals(0.0, s.psi(), 1e-12, "every bin holds five 1s and five 0s");
    assertEquals(0.0, s.psiLow(), 0.0);
    assertEquals(0.0, s.psiHigh(), 0.0, "the basic interval 2*PSI - q would be negative here");
  }
}
