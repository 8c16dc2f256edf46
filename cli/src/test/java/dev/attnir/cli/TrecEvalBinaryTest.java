package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.core.Ranking;
import dev.attnir.core.ScoredDoc;
import dev.attnir.eval.data.Qrels;
import dev.attnir.eval.data.TrecRun;
import dev.attnir.eval.metrics.EvaluationResult;
import dev.attnir.eval.metrics.Evaluator;
import dev.attnir.eval.metrics.Metric;
import dev.attnir.eval.metrics.Metrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.ac.gla.terrier.jtreceval.trec_eval;

/**
 * Our metrics against the real trec_eval: the binary jtreceval 0.0.5 bundles (trec_eval 9.0.4, whose result reading,
 * ordering and measures are those of 9.0.7 and 9.0.8) scores the run files our CLI and {@link TrecRun} write, and
 * every measure we print ({@link Metrics#defaults()}) must agree per query and on average ({@code -c}) to 1e-4
 * (trec_eval prints four decimals). Each metric is asked for by its {@link Metric#trecEvalName()}, so that mapping is
 * checked too; MRR@10 is {@code recip_rank} with {@code -M 10}.
 */
class TrecEvalBinaryTest {

  /** trec_eval prints {@code %6.4f}: rounding to four decimals is off by at most 5e-5. */
  static final double TOLERANCE = 1e-4;

  /** Largest |ours - trec_eval| per metric over every check, printed after the tests. */
  static final Map<String, Double> MAX_DIFFERENCE = new LinkedHashMap<>();

  @AfterAll
  static void printAgreement() {
    if (!MAX_DIFFERENCE.isEmpty()) {
      StringBuilder sb = new StringBuilder("Agreement with trec_eval (max |ours - trec_eval|):");
      MAX_DIFFERENCE.forEach((m, d) -> sb.append(String.format(Locale.ROOT, " %s %.2e;", m, d)));
      System.out.println(sb);
    }
  }

  @Test
  void sciFactBm25AndItsReversalAgreeWithTrecEval(@TempDir Path out) throws IOException {
    Path scifact = SharedData.require("data/scifact");
    TrecEval te = TrecEval.require();
    Cli r = Cli.run("evaluate", "--beir", scifact.toString(), "--model", "none", "--passages", "document",
        "--retriever", "bm25", "-k", "1000", "--output", out.toString());
    assertEquals(0, r.code(), r.out() + r.err());
    Qrels qrels = Qrels.read(scifact.resolve("qrels/test.tsv"));
    Path trecQrels = out.resolve("qrels.test.trec");
    qrels.writeTrec(trecQrels);
    List<Metric> metrics = Metrics.defaults();

    // the CLI's run file: trec_eval against our metrics on the same file, and against what the CLI computed in
    // memory (metrics.bm25.json) and printed
    Path runFile = out.resolve("run.bm25.trec");
    TrecRun run = TrecRun.read(runFile);
    Map<String, Map<String, Double>> official = te.evaluate(trecQrels, runFile, metrics);
    EvaluationResult rescored = Evaluator.evaluate(run, qrels, metrics, Evaluator.Averaging.ALL_JUDGED);
    assertEquals(300, rescored.queries().size());
    assertAgrees("scifact bm25 rescored", official, rescored, run);
    JsonNode json = new ObjectMapper().readTree(out.resolve("metrics.bm25.json").toFile());
    Map<String, String> printed = SciFactRegressionTest.printedRow(r.out(), "bm25");
    for (Metric m : metrics) {
      Map<String, Double> values = official.get(m.name());
      for (String q : rescored.queries()) {
        check("scifact bm25 in memory " + m.name() + " " + q, m.name(),
            json.get("perQuery").get(q).get(m.name()).asDouble(), values.getOrDefault(q, 0.0));
      }
      check("scifact bm25 in memory " + m.name(), m.name(), json.get("means").get(m.name()).asDouble(),
          values.get("all"));
      assertEquals(values.get("all"), Double.parseDouble(printed.get(m.name())), TOLERANCE + 1e-9,
          "scifact bm25 printed " + m.name());
    }

    // BM25 reversed, keeping BM25's scores (what a reranker that reorders without rescoring gives): the file order
    // then comes entirely from fromRankings' next-float-down scores, 1000 consecutive floats a query, which trec_eval
    // must read back in the same order
    Map<String, Ranking> reversed = new LinkedHashMap<>();
    Map<String, List<TrecRun.Entry>> byPosition = new LinkedHashMap<>();
    for (String q : run.queries()) {
      List<TrecRun.Entry> ranked = run.ranked(q);
      List<ScoredDoc> docs = new ArrayList<>();
      List<TrecRun.Entry> positional = new ArrayList<>();
      for (int i = ranked.size() - 1; i >= 0; i--) {
        docs.add(new ScoredDoc(ranked.get(i).docId(), ranked.get(i).score(), 0));
        positional.add(new TrecRun.Entry(ranked.get(i).docId(), i + 1));
      }
      reversed.put(q, new Ranking(docs));
      byPosition.put(q, positional);
    }
    TrecRun reversedRun = TrecRun.fromRankings(reversed);
    Path reversedFile = out.resolve("run.bm25-reversed.trec");
    reversedRun.write(reversedFile, "reversed");
    Map<String, Map<String, Double>> officialReversed = te.evaluate(trecQrels, reversedFile, metrics);
    assertAgrees("scifact reversed, in memory", officialReversed,
        Evaluator.evaluate(reversedRun, qrels, metrics, Evaluator.Averaging.ALL_JUDGED), reversedRun);
    assertAgrees("scifact reversed, by position", officialReversed,
        Evaluator.evaluate(new TrecRun(byPosition), qrels, metrics, Evaluator.Averaging.ALL_JUDGED), reversedRun);
    assertTrue(officialReversed.get("nDCG@10").get("all") < official.get("nDCG@10").get("all") - 0.3,
        "reversing BM25 must hurt (the check means something)");
  }

  /**
   * A hand-built run with every hazard of trec_eval's ordering and averaging: score ties broken by docno across the
   * cutoffs 10 and 100, {@code +0}/{@code -0} and underflowing scores that tie, scores equal only as floats, non-ASCII
   * and supplementary-character docnos, unjudged documents, negative (in pool, unjudged) grades, graded relevance, a
   * judged query with nothing relevant, a judged query without results ({@code -c} counts it), a run query without
   * judgments (ignored), lines out of order, tabs and a meaningless rank column.
   */
  @Test
  void hardCasesAgreeWithTrecEval(@TempDir Path dir) throws IOException {
    TrecEval te = TrecEval.require();
    Path qrelsFile = dir.resolve("qrels.trec");
    Path runFile = dir.resolve("run.trec");
    Files.writeString(qrelsFile, HARD_QRELS, StandardCharsets.UTF_8);
    Files.writeString(runFile, hardRun(), StandardCharsets.UTF_8);
    Qrels qrels = Qrels.read(qrelsFile);
    TrecRun run = TrecRun.read(runFile);
    List<Metric> metrics = Metrics.defaults();
    Map<String, Map<String, Double>> official = te.evaluate(qrelsFile, runFile, metrics);
    EvaluationResult ours = Evaluator.evaluate(run, qrels, metrics, Evaluator.Averaging.ALL_JUDGED);
    assertEquals(List.of("q1", "q2", "q3", "q4", "q5", "q7", "q8", "q9"), ours.queries());
    assertAgrees("hard case", official, ours, run);

    // a few of trec_eval's values by hand, so the case is known to test what it says
    Map<String, Double> mrr = official.get("MRR@10");
    assertEquals(1.0 / 3, mrr.get("q1"), 1e-4, "q1: d00, d12, d11: the tie at 1.0 in docno-descending order");
    assertEquals(0.2, mrr.get("q2"), 1e-4, "q2: h, then the zeros f e d c b a tie; relevant c at 5");
    assertEquals(0.5, mrr.get("q3"), 1e-4, "q3: U+1F600 (unjudged) above U+FF21 (relevant) in strcmp order");
    assertEquals(0.5, mrr.get("q7"), 1e-4, "q7: f4, then f3 f2 f1 tie as floats");
    assertEquals(0.1, official.get("P@10").get("q1"), 1e-4, "q1: d03 and d01 fall after the cutoff 10");
    assertEquals(0.5, official.get("R@100").get("q9"), 1e-4, "q9: p050 is 100th of the tie, p049 101st");
    assertEquals(0.0, official.get("MAP").get("q4"), 0.0, "q4: nothing relevant");

    // the old comparator (Float.compare, String.compareTo) gives other numbers: the case would have caught it
    TrecRun naive = byPosition(run, Comparator.comparing((TrecRun.Entry e) -> (float) e.score(), Float::compare)
        .reversed().thenComparing(TrecRun.Entry::docId, Comparator.reverseOrder()));
    EvaluationResult wrong = Evaluator.evaluate(naive, qrels, metrics, Evaluator.Averaging.ALL_JUDGED);
    for (String q : List.of("q2", "q3")) {
      assertTrue(Math.abs(wrong.value("MRR@10", q) - mrr.get(q)) > 0.01, q + ": the naive order differs");
    }
  }

  /**
   * The same hazards through {@link TrecRun#fromRankings} and {@link TrecRun#write}: each query's ranking is the
   * file's line order, whatever its scores (ties, zeros, reorderings), and trec_eval must score that order.
   */
  @Test
  void runsWrittenFromRankingsKeepTheirOrderInTrecEval(@TempDir Path dir) throws IOException {
    TrecEval te = TrecEval.require();
    Path qrelsFile = dir.resolve("qrels.trec");
    Files.writeString(qrelsFile, HARD_QRELS, StandardCharsets.UTF_8);
    Path source = dir.resolve("source.trec");
    Files.writeString(source, hardRun(), StandardCharsets.UTF_8);
    TrecRun lines = TrecRun.read(source);
    Map<String, Ranking> rankings = new LinkedHashMap<>();
    Map<String, List<TrecRun.Entry>> byPosition = new LinkedHashMap<>();
    for (String q : lines.queries()) {
      List<ScoredDoc> docs = new ArrayList<>();
      List<TrecRun.Entry> positional = new ArrayList<>();
      List<TrecRun.Entry> entries = lines.of(q);
      for (int i = 0; i < entries.size(); i++) {
        docs.add(new ScoredDoc(entries.get(i).docId(), entries.get(i).score(), 0));
        positional.add(new TrecRun.Entry(entries.get(i).docId(), entries.size() - i));
      }
      rankings.put(q, new Ranking(docs));
      byPosition.put(q, positional);
    }
    TrecRun run = TrecRun.fromRankings(rankings);
    Path runFile = dir.resolve("run.trec");
    run.write(runFile, "fromRankings");
    Qrels qrels = Qrels.read(qrelsFile);
    List<Metric> metrics = Metrics.defaults();
    Map<String, Map<String, Double>> official = te.evaluate(qrelsFile, runFile, metrics);
    assertAgrees("fromRankings in memory", official,
        Evaluator.evaluate(run, qrels, metrics, Evaluator.Averaging.ALL_JUDGED), run);
    assertAgrees("ranking order", official,
        Evaluator.evaluate(new TrecRun(byPosition), qrels, metrics, Evaluator.Averaging.ALL_JUDGED), run);
  }

  // --- the hand-built case ---------------------------------------------------------------------------------------

  static final String FULLWIDTH_A = "\uFF21";   // U+FF21, a BMP character above the surrogates
  static final String GRINNING = "\uD83D\uDE00"; // U+1F600, a surrogate pair in Java, 4 bytes in UTF-8

  static final String HARD_QRELS = String.join("\n",
      // q1: relevant documents inside and outside the top 10 of a tie, one relevant never retrieved
      "q1 0 d01 1", "q1 0 d03 2", "q1 0 d11 1", "q1 0 d12 0", "q1 0 d99 1",
      // q2: zeros; d is in the pool but unjudged (negative grade)
      "q2 0 a 1", "q2 0 c 1", "q2 0 b 0", "q2 0 d -1",
      // q3: non-ASCII docnos; the emoji is retrieved but not judged
      "q3 0 " + FULLWIDTH_A + " 2", "q3 0 \u00E9 1", "q3 0 \u4E2D\u6587 0", "q3 0 x\uD7FF 1", "q3 0 x" + GRINNING + " 3",
      // q4: judged, nothing relevant
      "q4 0 n1 0", "q4 0 n2 0",
      // q5: judged, no results (counts as 0 with -c)
      "q5 0 m1 1",
      // q7: scores equal as floats
      "q7 0 f1 1", "q7 0 f2 0", "q7 0 f3 1",
      // q8: graded relevance, with relevant documents past the cutoffs
      "q8 0 g03 3", "q8 0 g05 0", "q8 0 g07 2", "q8 0 g12 1", "q8 0 g20 3", "q8 0 g29 1", "q8 0 g40 2",
      // q9: a 150-way tie around the cutoff 100
      "q9 0 p050 1", "q9 0 p049 1", "q9 0 p149 0") + "\n";

  static String hardRun() {
    StringBuilder sb = new StringBuilder();
    // q1: d00 (unjudged) on top, then d01..d12 tie at 1.0 written many ways (all the float 1.0f)
    String[] ones = {"1", "1.0", "1.00000001", "0.99999999", "1e0", "1.000000000000001"};
    for (int i = 12; i >= 1; i--) {
      sb.append(String.format(Locale.ROOT, "q1 Q0 d%02d 0 %s t%n", i, ones[i % ones.length]));
    }
    sb.append("q1\tQ0\td00\t99\t5.0\tt\n");
    // q2: zeros of both signs and underflows to zero, one tiny positive and a negative
    for (String line : new String[] {"a 0", "b -0", "c -0.0", "d 0.0", "e 1e-50", "f -1e-50", "g -1", "h 1e-30"}) {
      String[] f = line.split(" ");
      sb.append("q2 Q0 ").append(f[0]).append(" 1 ").append(f[1]).append(" t\n");
    }
    // q3: one score for all; order by code point: U+1F600, U+FF21, U+4E2D, U+00E9, x U+1F600, x U+FF21, x U+D7FF, e
    for (String id : new String[] {"e", "x\uD7FF", "x" + FULLWIDTH_A, "x" + GRINNING, "\u00E9", "\u4E2D\u6587",
        GRINNING, FULLWIDTH_A}) {
      sb.append("q3 Q0 ").append(id).append(" 1 3.0 t\n");
    }
    sb.append("q4 Q0 n1 1 1.0 t\nq4 Q0 n2 2 2.0 t\nq4 Q0 n3 3 0.5 t\n");
    sb.append("q6 Q0 z 1 1.0 t\n");
    // q7: f1..f3 are the float 0.1f (f2 is the next double above 0.1); f4 is two floats above
    sb.append("q7 Q0 f1 1 0.1 t\nq7 Q0 f2 1 0.10000000000000002 t\nq7 Q0 f3 1 0.1000000001 t\n"
        + "q7 Q0 f4 1 0.10000002 t\n");
    // q8: 35 documents, distinct scores, in the file in a scrambled order; g40 is judged but not retrieved
    for (int i = 0; i < 35; i++) {
      int g = (i * 13) % 35;
      sb.append(String.format(Locale.ROOT, "q8 Q0 g%02d %d %s t%n", g, i, 100 - g * 1.5));
    }
    // q9: 150 documents tied at 2
    for (int i = 0; i < 150; i++) {
      sb.append(String.format(Locale.ROOT, "q9 Q0 p%03d 1 2 t%n", i));
    }
    return sb.toString();
  }

  /** The run's documents in the given order, scored by position. */
  static TrecRun byPosition(TrecRun run, Comparator<TrecRun.Entry> order) {
    Map<String, List<TrecRun.Entry>> out = new LinkedHashMap<>();
    for (String q : run.queries()) {
      List<TrecRun.Entry> sorted = new ArrayList<>(run.of(q));
      sorted.sort(order);
      List<TrecRun.Entry> positional = new ArrayList<>();
      for (int i = 0; i < sorted.size(); i++) {
        positional.add(new TrecRun.Entry(sorted.get(i).docId(), sorted.size() - i));
      }
      out.put(q, positional);
    }
    return new TrecRun(out);
  }

  // --- comparison -----------------------------------------------------------------------------------------------

  /**
   * trec_eval's per-query values (printed for the judged queries the run has results for) and its {@code all} line
   * (over every judged query, {@code -c}) against ours.
   */
  static void assertAgrees(String what, Map<String, Map<String, Double>> official, EvaluationResult ours,
      TrecRun run) {
    Set<String> withResults = new LinkedHashSet<>();
    for (String q : ours.queries()) {
      if (!run.of(q).isEmpty()) {
        withResults.add(q);
      }
    }
    for (Metric m : ours.metrics()) {
      Map<String, Double> values = official.get(m.name());
      assertNotNull(values, what + ": trec_eval printed no " + m.trecEvalName());
      Set<String> printedQueries = new LinkedHashSet<>(values.keySet());
      printedQueries.remove("all");
      assertEquals(withResults, printedQueries, what + " " + m.name() + ": queries trec_eval evaluated");
      for (String q : ours.queries()) {
        check(what + " " + m.name() + " " + q, m.name(), ours.value(m.name(), q), values.getOrDefault(q, 0.0));
      }
      check(what + " " + m.name() + " all", m.name(), ours.mean(m.name()), values.get("all"));
    }
  }

  static void check(String what, String metric, double ours, Double official) {
    assertNotNull(official, what + ": no trec_eval value");
    double d = Math.abs(ours - official);
    MAX_DIFFERENCE.merge(metric, d, Math::max);
    assertTrue(d <= TOLERANCE, what + ": ours " + ours + ", trec_eval " + official);
  }

  /** The trec_eval binary in jtreceval, run on files. */
  static final class TrecEval {

    private static final Pattern CUT_RUN = Pattern.compile("recip_rank \\(run cut at (\\d+)\\)");
    private static final Pattern AT_CUTOFF = Pattern.compile("(\\w+)_(\\d+)");
    private static TrecEval instance;

    private final trec_eval binary;

    private TrecEval(trec_eval binary) {
      this.binary = binary;
    }

    /** The binary for this platform, or skips the test. */
    static synchronized TrecEval require() {
      Assumptions.assumeTrue(trec_eval.isPlatformSupported(), "skipped: jtreceval has no trec_eval binary for "
          + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
      if (instance == null) {
        instance = new TrecEval(new trec_eval()); // extracts the binary to a temporary file
      }
      return instance;
    }

    /**
     * Runs {@code trec_eval -c -q} with each metric's trec_eval measure (one run per {@code -M} depth) and returns
     * metric name to query id (and {@code all}) to value.
     */
    Map<String, Map<String, Double>> evaluate(Path qrels, Path run, List<Metric> metrics) {
      // -M depth (0: none) -> measure -> cutoffs (trec_eval keeps only the last -m of a measure: recall.100,1000)
      Map<Integer, Map<String, Set<String>>> invocations = new TreeMap<>();
      Map<Integer, List<Metric>> metricsAtDepth = new TreeMap<>();
      Map<String, String> printedName = new LinkedHashMap<>();
      for (Metric m : metrics) {
        String te = m.trecEvalName();
        Matcher cut = CUT_RUN.matcher(te);
        Matcher at = AT_CUTOFF.matcher(te);
        int depth = 0;
        String measure = te;
        String cutoff = null;
        if (cut.matches()) {
          depth = Integer.parseInt(cut.group(1));
          measure = "recip_rank";
        } else if (at.matches()) {
          measure = at.group(1);
          cutoff = at.group(2);
        }
        printedName.put(m.name(), cutoff == null ? measure : measure + "_" + cutoff);
        metricsAtDepth.computeIfAbsent(depth, k -> new ArrayList<>()).add(m);
        Set<String> cutoffs = invocations.computeIfAbsent(depth, k -> new LinkedHashMap<>()).computeIfAbsent(measure,
            k -> new LinkedHashSet<>());
        if (cutoff != null) {
          cutoffs.add(cutoff);
        }
      }
      Map<String, Map<String, Double>> out = new LinkedHashMap<>();
      for (var inv : invocations.entrySet()) {
        List<String> args = new ArrayList<>(List.of("-c", "-q"));
        if (inv.getKey() > 0) {
          args.add("-M");
          args.add(Integer.toString(inv.getKey()));
        }
        inv.getValue().forEach((measure, cutoffs) -> {
          args.add("-m");
          args.add(cutoffs.isEmpty() ? measure : measure + "." + String.join(",", cutoffs));
        });
        args.add(qrels.toAbsolutePath().toString());
        args.add(run.toAbsolutePath().toString());
        // measure -> query -> value
        Map<String, Map<String, Double>> printed = new LinkedHashMap<>();
        String[][] lines = binary.runAndGetOutput(args.toArray(String[]::new));
        for (String[] line : lines) {
          assertEquals(3, line.length, "trec_eval line " + String.join(" ", line));
          printed.computeIfAbsent(line[0], k -> new LinkedHashMap<>()).put(line[1], Double.parseDouble(line[2]));
        }
        for (Metric m : metricsAtDepth.get(inv.getKey())) {
          Map<String, Double> values = printed.get(printedName.get(m.name()));
          assertNotNull(values, "trec_eval " + args + " printed no " + printedName.get(m.name()) + "; it printed "
              + printed.keySet());
          out.put(m.name(), values);
        }
      }
      return out;
    }
  }
}
