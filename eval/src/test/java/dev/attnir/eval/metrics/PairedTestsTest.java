package dev.attnir.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class PairedTestsTest {

  @Test
  void tTestMatchesAnIndependentNumericalIntegration() {
    // differences 1..5: t = 3 / (sd / sqrt 5) = 4.2426, df = 4; p computed by Simpson integration of the t density
    double[] a = {2, 4, 6, 8, 10};
    double[] b = {1, 2, 3, 4, 5};
    assertEquals(0.0132356, PairedTests.compare(a, b, 1000, 1).tTestP(), 1e-6);
  }

  @Test
  void exactRandomizationByHand() {
    // differences {1, 1}: sign sums {2, 0, 0, -2}; |sum| >= 2 in 2 of 4 assignments
    assertEquals(0.5, PairedTests.randomizationExact(new double[] {1, 1}, new double[] {0, 0}), 0);
    // identical systems: every assignment is as extreme
    assertEquals(1.0, PairedTests.randomizationExact(new double[] {0.3, 0.5}, new double[] {0.3, 0.5}), 0);
  }

  @RepeatedTest(5)
  void sampledRandomizationAgreesWithExactEnumeration() {
    Random r = new Random();
    int n = 6 + r.nextInt(9);
    double[] a = new double[n];
    double[] b = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = r.nextDouble();
      b[i] = Math.min(1, Math.max(0, a[i] + r.nextGaussian() * 0.2 - 0.05));
    }
    double exact = PairedTests.randomizationExact(a, b);
    int permutations = 200_000;
    double sampled = PairedTests.randomization(a, b, permutations, r.nextLong());
    double se = Math.sqrt(exact * (1 - exact) / permutations);
    assertTrue(Math.abs(sampled - exact) <= 5 * se + 2.0 / permutations,
        "sampled " + sampled + " vs exact " + exact + " (n=" + n + ")");
  }

  @Test
  void sameSeedSameP() {
    double[] a = {0.1, 0.5, 0.7, 0.2};
    double[] b = {0.2, 0.4, 0.9, 0.6};
    assertEquals(PairedTests.randomization(a, b, 5000, 42), PairedTests.randomization(a, b, 5000, 42));
  }
}
