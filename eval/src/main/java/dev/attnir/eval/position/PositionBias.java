package dev.attnir.eval.position;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.commons.math3.distribution.TDistribution;
import org.apache.commons.math3.stat.correlation.KendallsCorrelation;
import org.apache.commons.math3.stat.correlation.PearsonsCorrelation;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;
import org.apache.commons.math3.stat.regression.SimpleRegression;

/**
 * Position-bias metrics as PosIR defines them (Zeng et al. 2026; official code Ziyang1060/PosIR,
 * {@code ndcg_PSI_analysis.py}).
 *
 * <p>Each query has one relevant span. Its relative position is the span's character midpoint over the document's
 * character length, clipped to [0, 1]. Positions fall into 20 equal bins, right-closed, the first also closed on the
 * left; each non-empty bin's score is the mean nDCG@10 of its queries. Per length bucket (document token length in
 * (0, 512], (512, 1024], (1024, 1536], (1536, inf)) the bucket's nDCG@10 is the mean of its bin means and
 * {@code PSI = 1 - min(bin means) / max(bin means)}; the slope, Pearson, Spearman and Kendall correlations of bin means
 * against bin centres tell primacy (negative) from recency (positive). Overall, nDCG@10 is the plain mean over queries
 * and PSI is taken over the bins of all queries.
 *
 * <p>As in the reference (which uses pandas' {@code cut(..., include_lowest=True)} over
 * {@code numpy.linspace(0, 1, 21)}), bin edges are {@code k * 0.05} in double precision and the first bin's centre is
 * {@code (-0.001 + 0.05) / 2 = 0.0245}, not 0.025.
 *
 * <p>Additions, because PSI is a min/max statistic that noise alone inflates (with few queries per bin a
 * position-blind system still shows PSI well above 0):
 * <ul>
 *   <li>counts per bin;</li>
 *   <li>a 95% basic (reverse-percentile) bootstrap interval for PSI, queries resampled within the bucket; the
 *       percentile interval would sit above the estimate, since resampling adds noise on top of noise;</li>
 *   <li>a permutation null: scores shuffled across positions (within each query when a query appears at several
 *       positions, so query difficulty is kept), giving the PSI expected with no position effect (its median) and a
 *       p-value for the observed PSI;</li>
 *   <li>explicit warnings instead of NaN when a bucket has no queries, when fewer than three bins are occupied, or
 *       when every bin mean is 0 (PSI undefined).</li>
 * </ul>
 */
public final class PositionBias {

  /** Number of relative-position bins. */
  public static final int BINS = 20;

  /** Upper bounds of the token-length buckets (the last is open). */
  public static final int[] BUCKET_BOUNDS = {512, 1024, 1536};

  /** Bucket labels, as PosIR names them. */
  public static final List<String> BUCKETS = List.of("Q1 (<=512)", "Q2 (<=1024)", "Q3 (<=1536)", "Q4 (>1536)");

  /**
   * One query's outcome.
   *
   * @param queryId query id; {@code query@set} when the query was placed in several sets
   * @param spanStart relevant span start, characters
   * @param spanEnd relevant span end, characters (exclusive)
   * @param docChars document length, characters
   * @param docTokens document length, tokens
   * @param ndcg10 the query's nDCG@10
   */
  public record Item(String queryId, int spanStart, int spanEnd, int docChars, int docTokens, double ndcg10) {

    /** Separates the query from the set in {@link #queryId} when a query was placed in several sets. */
    public static final char SET_SEPARATOR = '@';

    /** The query alone: {@link #queryId} up to {@link #SET_SEPARATOR}. */
    public String query() {
      int at = queryId.lastIndexOf(SET_SEPARATOR);
      return at < 0 ? queryId : queryId.substring(0, at);
    }

    /** The set the query was placed in, or "" when {@link #queryId} names none. */
    public String set() {
      int at = queryId.lastIndexOf(SET_SEPARATOR);
      return at < 0 ? "" : queryId.substring(at + 1);
    }

    /** Relative position of the span's midpoint, clipped to [0, 1]. */
    public double relativePosition() {
      double mid = (spanStart + spanEnd) / 2.0;
      return Math.max(0, Math.min(1, Math.min(mid, docChars) / docChars));
    }
  }

  /**
   * Bin statistics.
   *
   * @param index bin 0..19
   * @param center bin centre (PosIR's, see the class comment)
   * @param count queries in the bin
   * @param mean mean nDCG@10 of those queries (NaN when empty)
   */
  public record Bin(int index, double center, int count, double mean) {}

  /**
   * Statistics of one bucket (or of all queries).
   *
   * @param label bucket label
   * @param queries queries in it
   * @param ndcg10 mean of bin means (per bucket) or of queries (overall)
   * @param psi {@code 1 - min/max} over occupied bins, or NaN with a warning
   * @param psiLow lower end of the 95% basic bootstrap interval of PSI (clipped to [0, 1])
   * @param psiHigh upper end of that interval (clipped to [0, 1])
   * @param psiNull median PSI when scores are permuted across positions (no position effect)
   * @param psiNullP share of permutations whose PSI reaches the observed one (the p-value of a position effect)
   * @param slope least-squares slope of bin means against bin centres
   * @param pearson Pearson r of bin means against centres
   * @param spearman Spearman rho
   * @param spearmanP two-sided p of Spearman's rho (t approximation, as scipy)
   * @param kendall Kendall tau-b
   * @param bins all 20 bins (empty ones with count 0)
   * @param warnings why a number is missing or unreliable
   */
  public record Summary(String label, int queries, double ndcg10, double psi, double psiLow, double psiHigh,
      double psiNull, double psiNullP, double slope, double pearson, double spearman, double spearmanP, double kendall, List<Bin> bins,
      List<String> warnings) {}

  private PositionBias() {}

  /** Bin index of a relative position: right-closed bins, the first closed on the left. */
  public static int bin(double relativePosition) {
    if (relativePosition <= 0) {
      return 0;
    }
    int b = Math.min(BINS - 1, Math.max(0, (int) Math.ceil(relativePosition * BINS) - 1));
    // settle against the exact edges, which are products in floating point, not quotients
    while (b > 0 && relativePosition <= edge(b)) {
      b--;
    }
    while (b < BINS - 1 && relativePosition > edge(b + 1)) {
      b++;
    }
    return b;
  }

  /** Bin edge {@code i}: as numpy's {@code linspace(0, 1, 21)} computes it, {@code i * 0.05} in double precision. */
  private static double edge(int i) {
    return i == BINS ? 1.0 : i * (1.0 / BINS);
  }

  /** PosIR's bin centre. */
  public static double center(int bin) {
    double left = bin == 0 ? -0.001 : edge(bin);
    return left + (edge(bin + 1) - left) / 2.0;
  }

  /** Bucket index of a document token length: (0,512], (512,1024], (1024,1536], (1536, inf). */
  public static int bucket(int tokens) {
    for (int i = 0; i < BUCKET_BOUNDS.length; i++) {
      if (tokens <= BUCKET_BOUNDS[i]) {
        return i;
      }
    }
    return BUCKET_BOUNDS.length;
  }

  /**
   * Summaries per bucket and overall (key {@code all}).
   *
   * @param bootstrap bootstrap resamples for the PSI intervals (0 = none)
   * @throws IllegalArgumentException for an item whose span lies outside its document
   */
  public static Map<String, Summary> analyze(List<Item> items, int bootstrap, long seed) {
    for (Item it : items) {
      if (it.docChars() <= 0 || it.spanStart() < 0 || it.spanEnd() > it.docChars() || it.spanEnd() <= it.spanStart()) {
        throw new IllegalArgumentException("query " + it.queryId() + ": relevant span [" + it.spanStart() + ", "
            + it.spanEnd() + ") lies outside its document of " + it.docChars() + " characters");
      }
      if (!Double.isFinite(it.ndcg10())) {
        throw new IllegalArgumentException("query " + it.queryId() + ": nDCG@10 is " + it.ndcg10());
      }
    }
    Map<String, Summary> out = new LinkedHashMap<>();
    for (int b = 0; b < BUCKETS.size(); b++) {
      int bucketIndex = b;
      List<Item> sub = items.stream().filter(i -> bucket(i.docTokens()) == bucketIndex).toList();
      out.put(BUCKETS.get(b), summarize(BUCKETS.get(b), sub, false, bootstrap, seed + b));
    }
    out.put("all", summarize("all", items, true, bootstrap, seed + 99));
    return out;
  }

  private static Summary summarize(String label, List<Item> items, boolean overall, int bootstrap, long seed) {
    List<String> warnings = new ArrayList<>();
    List<Bin> bins = bins(items);
    double[] x = bins.stream().filter(bn -> bn.count() > 0).mapToDouble(Bin::center).toArray();
    double[] y = bins.stream().filter(bn -> bn.count() > 0).mapToDouble(Bin::mean).toArray();
    if (items.isEmpty()) {
      warnings.add("no queries in this bucket");
      return new Summary(label, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
          Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, bins, warnings);
    }
    double ndcg = overall ? items.stream().mapToDouble(Item::ndcg10).average().orElseThrow() : mean(y);
    double psi = psi(y, warnings);
    int empty = (int) bins.stream().filter(bn -> bn.count() == 0).count();
    if (empty > 0) {
      warnings.add(empty + " of " + BINS + " bins are empty; PSI and trends use the " + (BINS - empty)
          + " occupied bins");
    }
    int small = (int) bins.stream().filter(bn -> bn.count() > 0 && bn.count() < 5).count();
    if (small > 0) {
      warnings.add(small + " occupied bins hold fewer than 5 queries; see the interval");
    }
    double slope = Double.NaN;
    double pearson = Double.NaN;
    double spearman = Double.NaN;
    double spearmanP = Double.NaN;
    double kendall = Double.NaN;
    if (x.length >= 3) {
      SimpleRegression reg = new SimpleRegression();
      for (int i = 0; i < x.length; i++) {
        reg.addData(x[i], y[i]);
      }
      slope = reg.getSlope();
      if (variance(y) > 0) {
        pearson = new PearsonsCorrelation().correlation(x, y);
        spearman = new SpearmansCorrelation().correlation(x, y);
        spearmanP = tTestP(spearman, x.length);
        kendall = new KendallsCorrelation().correlation(x, y);
      } else {
        warnings.add("every bin mean is equal: correlations are undefined");
      }
    } else {
      warnings.add("fewer than 3 occupied bins: no slope or correlations");
    }
    double[] interval = {Double.NaN, Double.NaN};
    double[] nul = {Double.NaN, Double.NaN};
    if (bootstrap > 0 && Double.isFinite(psi)) {
      double[] q = bootstrapPsi(items, bootstrap, seed);
      // PSI lies in [0, 1]; near 0 the basic interval's ends can fall below it (resampling only adds spread)
      interval = new double[] {clip01(2 * psi - q[1]), clip01(2 * psi - q[0])};
      nul = permutationNull(items, psi, bootstrap, seed + 1);
    }
    return new Summary(label, items.size(), ndcg, psi, interval[0], interval[1], nul[0], nul[1], slope, pearson,
        spearman, spearmanP, kendall, bins, warnings);
  }

  /** The 20 bins of a set of items. */
  public static List<Bin> bins(List<Item> items) {
    double[] sum = new double[BINS];
    int[] count = new int[BINS];
    for (Item it : items) {
      int b = bin(it.relativePosition());
      sum[b] += it.ndcg10();
      count[b]++;
    }
    List<Bin> bins = new ArrayList<>(BINS);
    for (int b = 0; b < BINS; b++) {
      bins.add(new Bin(b, center(b), count[b], count[b] == 0 ? Double.NaN : sum[b] / count[b]));
    }
    return bins;
  }

  private static double psi(double[] binMeans, List<String> warnings) {
    if (binMeans.length == 0) {
      return Double.NaN;
    }
    double min = Arrays.stream(binMeans).min().orElseThrow();
    double max = Arrays.stream(binMeans).max().orElseThrow();
    if (max <= 0) {
      warnings.add("every bin's mean nDCG@10 is 0: PSI (1 - min/max) is undefined");
      return Double.NaN;
    }
    return 1 - min / max;
  }

  private static double[] bootstrapPsi(List<Item> items, int resamples, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] values = new double[resamples];
    int n = 0;
    List<Item> sample = new ArrayList<>(items.size());
    for (int s = 0; s < resamples; s++) {
      sample.clear();
      for (int i = 0; i < items.size(); i++) {
        sample.add(items.get(r.nextInt(items.size())));
      }
      double[] y = bins(sample).stream().filter(bn -> bn.count() > 0).mapToDouble(Bin::mean).toArray();
      double v = psi(y, new ArrayList<>());
      if (!Double.isNaN(v)) {
        values[n++] = v;
      }
    }
    if (n == 0) {
      return new double[] {Double.NaN, Double.NaN};
    }
    double[] v = Arrays.copyOf(values, n);
    Arrays.sort(v);
    return new double[] {quantile(v, 0.025), quantile(v, 0.975)};
  }

  /**
   * PSI with scores shuffled across positions: within each query's items when queries repeat (ids
   * {@code query@set}), otherwise across all items. Returns the null median and the share of shuffles whose PSI is at
   * least the observed one (counting the observed assignment).
   */
  private static double[] permutationNull(List<Item> items, double observed, int permutations, long seed) {
    Map<String, List<Integer>> groups = new LinkedHashMap<>();
    for (int i = 0; i < items.size(); i++) {
      groups.computeIfAbsent(items.get(i).query(), k -> new ArrayList<>()).add(i);
    }
    boolean withinQuery = groups.size() > 1 && groups.values().stream().anyMatch(g -> g.size() > 1);
    List<List<Integer>> blocks = withinQuery ? new ArrayList<>(groups.values())
        : List.of(java.util.stream.IntStream.range(0, items.size()).boxed().toList());
    SplittableRandom r = new SplittableRandom(seed);
    double[] values = new double[permutations];
    int n = 0;
    long atLeast = 0;
    double[] scores = new double[items.size()];
    for (int p = 0; p < permutations; p++) {
      for (List<Integer> block : blocks) {
        int[] idx = block.stream().mapToInt(Integer::intValue).toArray();
        for (int i = idx.length - 1; i > 0; i--) {
          int j = r.nextInt(i + 1);
          int t = idx[i];
          idx[i] = idx[j];
          idx[j] = t;
        }
        for (int k = 0; k < idx.length; k++) {
          scores[block.get(k)] = items.get(idx[k]).ndcg10();
        }
      }
      List<Item> shuffled = new ArrayList<>(items.size());
      for (int i = 0; i < items.size(); i++) {
        Item it = items.get(i);
        shuffled.add(new Item(it.queryId(), it.spanStart(), it.spanEnd(), it.docChars(), it.docTokens(), scores[i]));
      }
      double v = psi(bins(shuffled).stream().filter(bn -> bn.count() > 0).mapToDouble(Bin::mean).toArray(),
          new ArrayList<>());
      if (!Double.isNaN(v)) {
        values[n++] = v;
        if (v >= observed - 1e-12) {
          atLeast++;
        }
      }
    }
    if (n == 0) {
      return new double[] {Double.NaN, Double.NaN};
    }
    double[] sorted = Arrays.copyOf(values, n);
    Arrays.sort(sorted);
    return new double[] {quantile(sorted, 0.5), (atLeast + 1.0) / (n + 1.0)};
  }

  /** Linear interpolation quantile (numpy's default). */
  static double quantile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  }

  private static double tTestP(double r, int n) {
    if (n < 3 || Math.abs(r) >= 1) {
      return Math.abs(r) >= 1 ? 0 : Double.NaN;
    }
    double t = r * Math.sqrt((n - 2) / (1 - r * r));
    return 2 * new TDistribution(n - 2).cumulativeProbability(-Math.abs(t));
  }

  private static double mean(double[] v) {
    return Arrays.stream(v).average().orElse(Double.NaN);
  }

  private static double variance(double[] v) {
    double m = mean(v);
    double s = 0;
    for (double x : v) {
      s += (x - m) * (x - m);
    }
    return s;
  }

  private static double clip01(double v) {
    return Math.max(0, Math.min(1, v));
  }
}
