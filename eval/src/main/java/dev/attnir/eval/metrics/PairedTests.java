package dev.attnir.eval.metrics;

import java.util.SplittableRandom;
import org.apache.commons.math3.stat.inference.TTest;

/**
 * Paired significance tests between two systems' per-query values of one metric.
 *
 * <p>The randomization test is Fisher's paired permutation test as Smucker, Allan and Carterette (CIKM 2007)
 * recommend for IR: under the null hypothesis each query's pair of values is exchangeable, so the sign of each
 * per-query difference is flipped at random and the two-sided p-value is the fraction of permutations whose absolute
 * mean difference is at least the observed one, counting the observed assignment ({@code (b + 1) / (n + 1)}).
 */
public final class PairedTests {

  /** Permutations used when none is given. */
  public static final int DEFAULT_PERMUTATIONS = 100_000;

  private PairedTests() {}

  /**
   * Result of a paired comparison.
   *
   * @param meanA mean of system A
   * @param meanB mean of system B
   * @param randomizationP two-sided p-value of the paired randomization test
   * @param tTestP two-sided p-value of the paired t-test (NaN when all differences are equal)
   * @param queries number of paired queries
   */
  public record Comparison(double meanA, double meanB, double randomizationP, double tTestP, int queries) {
    public double difference() {
      return meanB - meanA;
    }
  }

  /** Runs both tests on aligned per-query values. */
  public static Comparison compare(double[] a, double[] b, int permutations, long seed) {
    checkAligned(a, b);
    double ma = mean(a);
    double mb = mean(b);
    double t = Double.NaN;
    if (a.length >= 2 && !constantDifference(a, b)) {
      t = new TTest().pairedTTest(a, b);
    }
    return new Comparison(ma, mb, randomization(a, b, permutations, seed), t, a.length);
  }

  /** Two-sided p-value of the paired randomization (sign-flip) test. */
  public static double randomization(double[] a, double[] b, int permutations, long seed) {
    checkAligned(a, b);
    if (permutations < 1) {
      throw new IllegalArgumentException("permutations must be >= 1, got " + permutations);
    }
    int n = a.length;
    double[] d = differences(a, b);
    double observed = Math.abs(sum(d));
    // Tolerance so that permutations equal to the observed statistic up to rounding count as "at least as extreme".
    double tolerance = 1e-12 * Math.max(1, observed);
    SplittableRandom random = new SplittableRandom(seed);
    long atLeast = 0;
    for (int p = 0; p < permutations; p++) {
      double s = 0;
      for (int i = 0; i < n; i++) {
        s += random.nextBoolean() ? d[i] : -d[i];
      }
      if (Math.abs(s) >= observed - tolerance) {
        atLeast++;
      }
    }
    return (atLeast + 1.0) / (permutations + 1.0);
  }

  /** Exact two-sided p-value by enumerating all 2^n sign assignments (n <= 24); the reference for the sampled test. */
  public static double randomizationExact(double[] a, double[] b) {
    checkAligned(a, b);
    int n = a.length;
    if (n > 24) {
      throw new IllegalArgumentException("exact enumeration is limited to 24 queries, got " + n);
    }
    double[] d = differences(a, b);
    double observed = Math.abs(sum(d));
    double tolerance = 1e-12 * Math.max(1, observed);
    long atLeast = 0;
    for (long mask = 0; mask < (1L << n); mask++) {
      double s = 0;
      for (int i = 0; i < n; i++) {
        s += ((mask >> i) & 1) == 1 ? -d[i] : d[i];
      }
      if (Math.abs(s) >= observed - tolerance) {
        atLeast++;
      }
    }
    return (double) atLeast / (1L << n);
  }

  private static double[] differences(double[] a, double[] b) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i] - b[i];
    }
    return d;
  }

  private static double sum(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s;
  }

  private static boolean constantDifference(double[] a, double[] b) {
    double first = a[0] - b[0];
    for (int i = 1; i < a.length; i++) {
      if (a[i] - b[i] != first) {
        return false;
      }
    }
    return true;
  }

  private static void checkAligned(double[] a, double[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("paired tests need the same queries: " + a.length + " vs " + b.length);
    }
    if (a.length == 0) {
      throw new IllegalArgumentException("paired tests need at least one query");
    }
  }

  private static double mean(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s / v.length;
  }
}
