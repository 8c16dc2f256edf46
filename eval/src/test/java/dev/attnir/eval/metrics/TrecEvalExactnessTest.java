package dev.attnir.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.eval.data.Qrels;
import dev.attnir.eval.data.TrecRun.Entry;
import dev.attnir.eval.data.TrecRun;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hand-built cases whose expected values follow trec_eval 9's definitions (form_res_rels.c, m_ndcg_cut.c,
 * m_recall.c, m_P.c, m_recip_rank.c, m_map.c): ties ordered by docno descending, linear graded gains, discount
 * log2(rank + 1), ideal over all judged relevant documents, unjudged documents non-relevant.
 */
class TrecEvalExactnessTest {

  static final double LOG2_3 = Math.log(3) / Math.log(2);
  static final double LOG2_5 = Math.log(5) / Math.log(2);
  static final double LOG2_6 = Math.log(6) / Math.log(2);

  static Qrels qrels() {
    Map<String, Map<String, Integer>> j = new LinkedHashMap<>();
    j.put("q1", Map.of("d1", 2, "d2", 1, "d3", 0, "d4", 1));
    j.put("q2", Map.of("d5", 1));
    j.put("q3", Map.of("d6", 0));          // judged, nothing relevant
    j.put("q4", Map.of("d7", 1));          // the run has no hits for it
    j.put("q6", Map.of("10", 1, "9", 0));  // numeric ids compare as strings
    return new Qrels(j);
  }

  static TrecRun run() {
    Map<String, List<Entry>> r = new LinkedHashMap<>();
    // ranking by trec_eval: d2 (3.0), dX (2.0), d3 (2.0), d1 (1.0), d4 (0.5) -- "dX" > "d3" so dX ranks first
    r.put("q1", List.of(new Entry("d1", 1.0), new Entry("d2", 3.0), new Entry("d3", 2.0), new Entry("dX", 2.0),
        new Entry("d4", 0.5)));
    // d9 (5), then the tie d8/d5 in docno-descending order: d8, d5 -> the relevant d5 is at rank 3
    r.put("q2", List.of(new Entry("d5", 1.0), new Entry("d8", 1.0), new Entry("d9", 5.0)));
    r.put("q3", List.of(new Entry("d6", 1.0), new Entry("d10", 2.0)));
    r.put("q5", List.of(new Entry("d1", 1.0)));  // not judged: not evaluated
    // tie between "10" and "9": strcmp puts "9" > "10", so "9" ranks first and relevant "10" second
    r.put("q6", List.of(new Entry("10", 0.7), new Entry("9", 0.7)));
    return new TrecRun(r);
  }

  static final List<Metric> METRICS = List.of(new Ndcg(3), new Ndcg(5), new Ndcg(10), new Precision(3),
      new Precision(10), new Recall(3), new Recall(5), new ReciprocalRank(Integer.MAX_VALUE), new ReciprocalRank(2),
      new AveragePrecision());

  @Test
  void perQueryValuesByHand() {
    EvaluationResult r = Evaluator.evaluate(run(), qrels(), METRICS, Evaluator.Averaging.ALL_JUDGED);
    assertEquals(List.of("q1", "q2", "q3", "q4", "q6"), r.queries());
    // q1: relevance by rank [1, unjudged, 0, 2, 1]; ideal gains [2, 1, 1]
    double idealQ1 = 2 + 1 / LOG2_3 + 1 / Math.log(4) * Math.log(2);
    assertEquals(1 / idealQ1, r.value("nDCG@3", "q1"), 1e-12);
    assertEquals((1 + 2 / LOG2_5 + 1 / LOG2_6) / idealQ1, r.value("nDCG@5", "q1"), 1e-12);
    assertEquals(1.0 / 3, r.value("P@3", "q1"), 1e-12);
    assertEquals(3.0 / 10, r.value("P@10", "q1"), 1e-12);
    assertEquals(1.0 / 3, r.value("R@3", "q1"), 1e-12);
    assertEquals(1.0, r.value("R@5", "q1"), 1e-12);
    assertEquals(1.0, r.value("MRR", "q1"), 1e-12);
    assertEquals((1.0 + 2.0 / 4 + 3.0 / 5) / 3, r.value("MAP", "q1"), 1e-12);
    // q2: [unjudged, unjudged, 1]
    assertEquals(0.5, r.value("nDCG@10", "q2"), 1e-12); // 1/log2(4) over ideal 1
    assertEquals(0.0, r.value("nDCG@3", "q2") - 0.5, 1e-12);
    assertEquals(1.0 / 3, r.value("MRR", "q2"), 1e-12);
    assertEquals(0.0, r.value("MRR@2", "q2"), 1e-12);
    assertEquals(1.0 / 3, r.value("MAP", "q2"), 1e-12);
    // q3 (nothing relevant) and q4 (no hits) are zero everywhere
    for (Metric m : METRICS) {
      assertEquals(0.0, r.value(m.name(), "q3"), 0.0, m.name());
      assertEquals(0.0, r.value(m.name(), "q4"), 0.0, m.name());
    }
    // q6: ["9" (0), "10" (1)]
    assertEquals(0.5, r.value("MRR", "q6"), 1e-12);
    assertEquals(1 / LOG2_3, r.value("nDCG@10", "q6"), 1e-12);
  }

  @Test
  void averagingConventions() {
    EvaluationResult all = Evaluator.evaluate(run(), qrels(), METRICS, Evaluator.Averaging.ALL_JUDGED);
    double q1 = (1 + 2 / LOG2_5 + 1 / LOG2_6) / (2 + 1 / LOG2_3 + 0.5);
    // trec_eval -c: every judged query, q4 (no hits) counts as 0
    assertEquals((q1 + 0.5 + 0 + 0 + 1 / LOG2_3) / 5, all.mean("nDCG@5"), 1e-12);
    // trec_eval default: only judged queries with results
    EvaluationResult retrieved = Evaluator.evaluate(run(), qrels(), METRICS,
        Evaluator.Averaging.RETRIEVED_AND_JUDGED);
    assertEquals(List.of("q1", "q2", "q3", "q6"), retrieved.queries());
    assertEquals((q1 + 0.5 + 0 + 1 / LOG2_3) / 4, retrieved.mean("nDCG@5"), 1e-12);
  }

  @Test
  void gradedGainsAreLinear() {
    // one relevant doc of grade 3 retrieved at rank 2 behind a grade-1 doc; ideal [3, 1]
    Qrels q = new Qrels(Map.of("q", Map.of("a", 1, "b", 3)));
    TrecRun run = new TrecRun(Map.of("q", List.of(new Entry("a", 2), new Entry("b", 1))));
    double v = Evaluator.evaluate(run, q, List.of(new Ndcg(10)), Evaluator.Averaging.ALL_JUDGED).mean("nDCG@10");
    assertEquals((1 + 3 / LOG2_3) / (3 + 1 / LOG2_3), v, 1e-12);
  }

  @Test
  void duplicateDocumentsAreRejected(@TempDir Path dir) throws Exception {
    TrecRun dup = new TrecRun(Map.of("q1", List.of(new Entry("d1", 1), new Entry("d1", 2))));
    assertThrows(IllegalArgumentException.class,
        () -> Evaluator.evaluate(dup, qrels(), METRICS, Evaluator.Averaging.ALL_JUDGED));
    Path file = dir.resolve("run.trec");
    Files.writeString(file, "q1 Q0 d1 1 2.0 t\nq1 Q0 d2 2 1.0 t\nq1 Q0 d1 3 0.5 t\n");
    var e = assertThrows(dev.attnir.eval.data.InputException.class, () -> TrecRun.read(file));
    assertEquals(3, e.line());
  }

  @Test
  void writtenRunsReadBackToTheSameMetrics(@TempDir Path dir) {
    Map<String, List<Entry>> r = new LinkedHashMap<>(run().of("q1").isEmpty() ? Map.of() : Map.of());
    for (String q : run().queries()) {
      r.put(q, run().of(q));
    }
    r.put("q7", List.of(new Entry("a", 0.1 + 0.2), new Entry("b", 1e-17), new Entry("c", 123456789.123456789)));
    TrecRun original = new TrecRun(r);
    Path file = dir.resolve("run.trec");
    original.write(file, "test");
    TrecRun back = TrecRun.read(file);
    for (String q : original.queries()) {
      assertEquals(original.ranked(q), back.ranked(q), q);
    }
    EvaluationResult a = Evaluator.evaluate(original, qrels(), METRICS, Evaluator.Averaging.ALL_JUDGED);
    EvaluationResult b = Evaluator.evaluate(back, qrels(), METRICS, Evaluator.Averaging.ALL_JUDGED);
    assertEquals(a.means(), b.means());
  }

  /** Document ids of one query in trec_eval's order. */
  static List<String> order(Entry... entries) {
    return new TrecRun(Map.of("q", List.of(entries))).ranked("q").stream().map(Entry::docId).toList();
  }

  static double mrr(Map<String, Integer> judged, Entry... entries) {
    TrecRun run = new TrecRun(Map.of("q", List.of(entries)));
    return Evaluator.evaluate(run, new Qrels(Map.of("q", judged)), List.of(new ReciprocalRank(Integer.MAX_VALUE)),
        Evaluator.Averaging.ALL_JUDGED).mean("MRR");
  }

  @Test
  void plusAndMinusZeroTie() {
    // C's > and < see +0.0 and -0.0 as equal, so strcmp decides: "b" > "a" ranks first. Float.compare would put the
    // +0.0 of "a" first.
    assertEquals(List.of("b", "a"), order(new Entry("a", 0.0), new Entry("b", -0.0)));
    assertEquals(List.of("b", "a"), order(new Entry("a", -0.0), new Entry("b", 0.0)));
    assertEquals(List.of("z", "m", "b", "a"), order(new Entry("a", 0.0), new Entry("b", -0.0), new Entry("m", -1e-50),
        new Entry("z", 1e-50)), "+-1e-50 are +-0 as floats: all four tie");
    assertEquals(0.5, mrr(Map.of("a", 1), new Entry("a", 0.0), new Entry("b", -0.0)), 1e-12);
  }

  @Test
  void documentIdsCompareByCodePointAsStrcmpOnUtf8() {
    String fullwidthA = "\uFF21";           // U+FF21, one UTF-16 unit above the surrogates
    String grinning = "\uD83D\uDE00";      // U+1F600, a surrogate pair
    assertTrue(fullwidthA.compareTo(grinning) > 0, "String.compareTo puts the BMP character above");
    assertTrue(TrecRun.compareCodePoints(fullwidthA, grinning) < 0, "code point (UTF-8 byte) order puts it below");
    // ties broken by docno descending: U+1F600 first
    assertEquals(List.of(grinning, fullwidthA), order(new Entry(fullwidthA, 1.0), new Entry(grinning, 1.0)));
    assertEquals(List.of("x" + grinning, "x" + fullwidthA, "x\uD7FF", "x\u00E9", "x"),
        order(new Entry("x", 2), new Entry("x\u00E9", 2), new Entry("x" + fullwidthA, 2), new Entry("x\uD7FF", 2),
            new Entry("x" + grinning, 2)));
    assertEquals(0.5, mrr(Map.of(fullwidthA, 1), new Entry(fullwidthA, 1.0), new Entry(grinning, 1.0)), 1e-12);
  }

  @Test
  void codePointOrderIsUtf8ByteOrder() {
    Random random = new Random(11);
    int[] pool = {'a', 'z', 0x7F, 0x80, 0xE9, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFF21, 0xFFFD, 0xFFFF, 0x10000, 0x1F600,
        0x10FFFF};
    for (int round = 0; round < 20_000; round++) {
      String a = randomString(random, pool);
      String b = random.nextInt(4) == 0 ? a + randomString(random, pool) : randomString(random, pool);
      int bytes = Integer.signum(Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8),
          b.getBytes(StandardCharsets.UTF_8)));
      assertEquals(bytes, Integer.signum(TrecRun.compareCodePoints(a, b)), a + " vs " + b);
      assertEquals(-bytes, Integer.signum(TrecRun.compareCodePoints(b, a)), b + " vs " + a);
    }
  }

  private static String randomString(Random random, int[] pool) {
    StringBuilder sb = new StringBuilder();
    for (int i = random.nextInt(4); i > 0; i--) {
      sb.appendCodePoint(pool[random.nextInt(pool.length)]);
    }
    return sb.toString();
  }

  @Test
  void scoresEqualAsFloatsTieEvenWhenTheyDifferAsDoubles() {
    double low = 0.1;
    double high = Math.nextUp(0.1);
    assertTrue(high > low && (float) high == (float) low);
    // as doubles "a" is above; as the floats trec_eval 9 reads they tie and "b" > "a" ranks first
    assertEquals(List.of("b", "a"), order(new Entry("a", high), new Entry("b", low)));
    assertEquals(List.of("b", "a"), order(new Entry("a", 1.0 + 1e-9), new Entry("b", 1.0)));
    assertEquals(0.5, mrr(Map.of("a", 1), new Entry("a", high), new Entry("b", low)), 1e-12);
  }

  @Test
  void nanScoresGoLastWithoutBreakingTheSort() {
    assertEquals(List.of("a", "c", "z", "b"), order(new Entry("z", Double.NaN), new Entry("a", 1.0),
        new Entry("b", Double.NaN), new Entry("c", -1.0)));
  }

  @Test
  void zerosAndSupplementaryIdsSurviveTheFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("run.trec");
    Files.writeString(file, "q Q0 a 1 0 t\nq Q0 b 2 -0 t\nq Q0 \uFF21 3 -0.0 t\nq Q0 \uD83D\uDE00 4 0.0 t\n",
        StandardCharsets.UTF_8);
    assertEquals(List.of("\uD83D\uDE00", "\uFF21", "b", "a"),
        TrecRun.read(file).ranked("q").stream().map(Entry::docId).toList());
  }

  @Test
  void metricNamesParse() {
    assertEquals("nDCG@10", Metrics.parse("ndcg_cut_10").name());
    assertEquals("R@100", Metrics.parse("recall@100").name());
    assertEquals("P@5", Metrics.parse("P_5").name());
    assertEquals("MRR@10", Metrics.parse("mrr@10").name());
    assertEquals("MRR", Metrics.parse("recip_rank").name());
    assertEquals("MAP", Metrics.parse("map").name());
    assertThrows(IllegalArgumentException.class, () -> Metrics.parse("ndcg@ten"));
    assertThrows(IllegalArgumentException.class, () -> Metrics.parse("bleu"));
  }
}
