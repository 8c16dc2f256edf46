package dev.attnir.rerankers.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.Candidate;
import dev.attnir.core.Ranking;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** ICR's scoring and sliding window against hand computations, with a scripted reader. */
class InContextRerankerTest {

  /**
   * Each passage is "doc<i>" with two tokens weighted 0.4 and 0.6 of its slot's value: a position bias of 0.5 per slot
   * that both reads share, plus relevance[i] from a real query.
   */
  private static FunctionReader scripted(Map<String, Double> relevance) {
    return new FunctionReader("scripted", (c, slot) -> {
      float bias = 0.5f * slot;
      float value = c.query().equals(InContextReranker.CALIBRATION_QUERY) ? bias
          : bias + relevance.get(c.passages().get(slot)).floatValue();
      return new float[] {0.4f * value, 0.6f * value};
    });
  }

  private static List<Candidate> candidates(int n) {
    List<Candidate> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Candidate("d" + i, i + 1, n - i, 0, 0, 4, "doc" + i));
    }
    return out;
  }

  private static List<String> ids(Ranking r) {
    return r.docs().stream().map(d -> d.docId()).toList();
  }

  @Test
  void calibratedScoreMasksTokensTwoStandardDeviationsBelowTheMean() {
    // c = q - na = {1, 1, 1, 1, 1, 1, 1, 1, 1, -20}: mean -1.1, sample std = sqrt(441*9/10*... ) computed by hand below
    float[] q = {2, 2, 2, 2, 2, 2, 2, 2, 2, -19};
    float[] na = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    double mean = (9 - 20) / 10.0;
    double ss = 9 * Math.pow(1 - mean, 2) + Math.pow(-20 - mean, 2);
    double threshold = mean - 2 * Math.sqrt(ss / 9);
    // -20 <= threshold (-1.1 - 2 * 6.64 = -14.4): masked; the nine ones stay
    assertEquals(true, -20 <= threshold);
    assertEquals(9.0, InContextReranker.calibratedScore(q, na, true), 1e-9);
    // nothing masked when no token is that far below
    assertEquals(6.0, InContextReranker.calibratedScore(new float[] {2, 4, 6}, new float[] {1, 2, 3}, true), 1e-9);
    // as in the official code (c > mean - 2 std, strictly), a document whose c is constant keeps no token
    assertEquals(0.0, InContextReranker.calibratedScore(new float[] {2, 3, 4}, new float[] {1, 2, 3}, true), 1e-9);
    assertEquals(-5.0, InContextReranker.calibratedScore(new float[] {-4}, new float[] {1}, true), 1e-9);
    assertThrows(IllegalStateException.class, () -> InContextReranker.calibratedScore(new float[2], new float[3], true));
    // mask=false (the code's NA_calibration_no_agg): the query read's sum minus the N/A read's, the -20 kept
    assertEquals((9 * 2 - 19) - 10.0, InContextReranker.calibratedScore(q, na, false), 1e-9);
    assertEquals(0.0, InContextReranker.calibratedScore(new float[0], new float[0], true), 1e-9);
  }

  @Test
  void oneWindowSortsByCalibratedAttentionAndCalibrationRemovesThePositionBias() {
    Map<String, Double> rel = Map.of("doc0", 0.1, "doc1", 0.9, "doc2", 0.5, "doc3", 0.0);
    FunctionReader reader = scripted(rel);
    var icr = new InContextReranker(reader, new InContextReranker.Settings(true, AttentionReader.Focus.QUERY, true,
        300, 4, 2), "icr", false);
    assertEquals(List.of("d1", "d2", "d0", "d3"), ids(icr.rerank("q", candidates(4))));
    // reverse order: the first-stage best (doc0) is read last
    assertEquals(List.of("doc3", "doc2", "doc1", "doc0"), reader.reads.get(0).passages());
    // without calibration the slot bias (0.5 per slot) counts: doc0, read last, climbs from third to second
    var raw = new InContextReranker(scripted(rel), new InContextReranker.Settings(false,
        AttentionReader.Focus.QUERY, true, 300, 4, 2), "icr", false);
    assertEquals(List.of("d1", "d0", "d2", "d3"), ids(raw.rerank("q", candidates(4))));
  }

  @Test
  void slidingWindowFollowsTheOfficialCodeFromTheWorstEnd() {
    Random random = new Random(3);
    for (int trial = 0; trial < 50; trial++) {
      int n = 2 + random.nextInt(12);
      int window = 1 + random.nextInt(n);
      int stride = 1 + random.nextInt(window);
      Map<String, Double> rel = new java.util.HashMap<>();
      for (int i = 0; i < n; i++) {
        rel.put("doc" + i, random.nextDouble());
      }
      boolean reverse = random.nextBoolean();
      var icr = new InContextReranker(scripted(rel), new InContextReranker.Settings(true,
          AttentionReader.Focus.QUERY, reverse, 300, window, stride), "icr", false);
      List<String> expected = officialSlidingWindow(n, window, stride, rel);
      assertEquals(expected, ids(icr.rerank("q", candidates(n))), "n=" + n + " window=" + window + " stride="
          + stride);
    }
  }

  /** A transcription of the official rerank() loop (order='desc'), with scores from the relevance table. */
  private static List<String> officialSlidingWindow(int n, int size, int stride, Map<String, Double> rel) {
    List<Integer> sorted = new ArrayList<>();
    for (int i = n - 1; i >= 0; i--) {
      sorted.add(i);
    }
    int i = 0;
    int j = Math.min(size, n);
    while (true) {
      List<Integer> ids = new ArrayList<>(sorted.subList(i, j));
      List<Integer> byScore = new ArrayList<>(ids);
      byScore.sort((a, b) -> Double.compare(rel.get("doc" + a), rel.get("doc" + b)));
      for (int t = i; t < j; t++) {
        sorted.set(t, byScore.get(t - i));
      }
      if (j >= n) {
        break;
      }
      i += stride;
      j = Math.min(j + stride, n);
    }
    List<String> out = new ArrayList<>();
    for (int t = n - 1; t >= 0; t--) {
      out.add("d" + sorted.get(t));
    }
    return out;
  }

  @Test
  void documentsAreCutToTheirFirstWords() {
    assertEquals("a b c", InContextReranker.firstWords("a  b\nc d e", 3));
    assertEquals("a b", InContextReranker.firstWords("a b", 3));
  }

  @Test
  void settingsRefuseBadWindows() {
    assertThrows(IllegalArgumentException.class, () -> InContextReranker.Settings.recipe(0));
    assertThrows(IllegalArgumentException.class, () -> new InContextReranker.Settings(true,
        AttentionReader.Focus.QUERY, true, 300, 4, 5));
  }

  @Test
  void factoryOptionsThatCannotMeanAnythingAreRefusedBeforeAReaderLoads() {
    var factory = new InContextRerankerFactory();
    var noMaskWithoutCalibration = assertThrows(IllegalArgumentException.class,
        () -> factory.create(java.util.Map.of("calibrate", "false", "mask", "false")));
    assertTrue(noMaskWithoutCalibration.getMessage().contains("nothing to mask"),
        noMaskWithoutCalibration.getMessage());
    var unknown = assertThrows(IllegalArgumentException.class, () -> factory.create(java.util.Map.of("masks", "x")));
    assertTrue(unknown.getMessage().contains("masks"), unknown.getMessage());
  }
}
