package dev.attnir.eval.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.attnir.core.Ranking;
import dev.attnir.core.ScoredDoc;
import dev.attnir.eval.metrics.EvaluationResult;
import dev.attnir.eval.metrics.Evaluator;
import dev.attnir.eval.metrics.Metrics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run made from rankings keeps each ranking's order for trec_eval, whatever the scores: ties, reordered lists (a
 * reranker that keeps first-stage scores), and scores equal only as the floats trec_eval reads.
 */
class RunOrderTest {

  @Test
  void tiesAndReorderingsKeepTheRankingsOrderInMemoryAndInTheFile(@TempDir Path dir) {
    Random random = new Random(7);
    for (int round = 0; round < 100; round++) {
      Map<String, Ranking> rankings = new LinkedHashMap<>();
      Map<String, Map<String, Integer>> judgments = new LinkedHashMap<>();
      for (int q = 0; q < 5; q++) {
        int n = 1 + random.nextInt(40);
        List<ScoredDoc> docs = new ArrayList<>();
        Map<String, Integer> judged = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
          double score = switch (random.nextInt(3)) {
            case 0 -> random.nextInt(3);                           // many exact ties
            case 1 -> 0.1 + Math.ulp(0.1) * random.nextInt(4);     // distinct doubles, equal floats
            default -> random.nextGaussian();
          };
          docs.add(new ScoredDoc("d" + random.nextInt(1000) + "-" + i, score, 0));
          judged.put(docs.get(i).docId(), random.nextInt(3));
        }
        Collections.shuffle(docs, random); // any order: the ranking's order is the one that counts
        rankings.put("q" + q, new Ranking(docs));
        judgments.put("q" + q, judged);
      }
      TrecRun run = TrecRun.fromRankings(rankings);
      for (var e : rankings.entrySet()) {
        List<String> expected = e.getValue().docs().stream().map(ScoredDoc::docId).toList();
        assertEquals(expected, run.ranked(e.getKey()).stream().map(TrecRun.Entry::docId).toList(),
            "trec_eval's order of the run is the ranking's order");
      }
      Path file = dir.resolve("run" + round + ".trec");
      run.write(file, "test");
      TrecRun read = TrecRun.read(file);
      Qrels qrels = new Qrels(judgments);
      EvaluationResult inMemory = Evaluator.evaluate(run, qrels, Metrics.defaults(), Evaluator.Averaging.ALL_JUDGED);
      EvaluationResult fromFile = Evaluator.evaluate(read, qrels, Metrics.defaults(), Evaluator.Averaging.ALL_JUDGED);
      for (String m : inMemory.perQuery().keySet()) {
        assertArrayEquals(inMemory.perQuery().get(m), fromFile.perQuery().get(m), 0.0, m);
      }
    }
  }

  @Test
  void decreasingScoresAreWrittenUnchangedAsFloats() {
    Ranking r = new Ranking(List.of(new ScoredDoc("a", 12.5, 0), new ScoredDoc("b", 3.25, 0),
        new ScoredDoc("c", -1.0, 0)));
    List<TrecRun.Entry> entries = TrecRun.fromRankings(Map.of("q", r)).of("q");
    assertEquals(List.of(12.5, 3.25, -1.0), entries.stream().map(TrecRun.Entry::score).toList());
  }

  @Test
  void minusZeroAfterPlusZeroIsLoweredBecauseTheyTie() {
    // trec_eval's < does not put -0.0 below +0.0; left as it is, "z" (-0.0) would rank above "a" (+0.0) by docno
    Ranking r = new Ranking(List.of(new ScoredDoc("a", 0.0, 0), new ScoredDoc("z", -0.0, 0),
        new ScoredDoc("\uFF21", -1e-60, 0), new ScoredDoc("\uD83D\uDE00", -1e-60, 0)));
    TrecRun run = TrecRun.fromRankings(Map.of("q", r));
    assertEquals(List.of("a", "z", "\uFF21", "\uD83D\uDE00"),
        run.ranked("q").stream().map(TrecRun.Entry::docId).toList());
    assertEquals(-Float.MIN_VALUE, run.of("q").get(1).score(), 0.0);
  }

  @Test
  void aTieIsBrokenByTheNextFloatDown() {
    Ranking r = new Ranking(List.of(new ScoredDoc("a", 2.0, 0), new ScoredDoc("z", 2.0, 0),
        new ScoredDoc("m", 5.0, 0)));
    List<TrecRun.Entry> entries = TrecRun.fromRankings(Map.of("q", r)).of("q");
    assertEquals(2.0, entries.get(0).score());
    assertEquals(Math.nextDown(2.0f), entries.get(1).score(), 0.0);
    assertEquals(Math.nextDown(Math.nextDown(2.0f)), entries.get(2).score(), 0.0, "a reordered higher score too");
  }
}
