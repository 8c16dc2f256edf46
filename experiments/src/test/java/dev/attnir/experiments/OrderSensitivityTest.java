package dev.attnir.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.Candidate;
import dev.attnir.core.Ranking;
import dev.attnir.core.Reranker;
import dev.attnir.eval.data.Qrels;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Order sensitivity of two rerankers whose behaviour is known: one ignores the input order, one keeps it. */
class OrderSensitivityTest {

  private static final Reranker BY_ID = new Reranker() {
    @Override
    public String name() {
      return "by-id";
    }

    @Override
    public Ranking rerank(String query, List<Candidate> candidates) {
      List<Candidate> sorted = new ArrayList<>(candidates);
      sorted.sort((a, b) -> a.docId().compareTo(b.docId()));
      return new Ranking(sorted.stream().map(c -> c.scored(0)).toList());
    }
  };

  private static final Reranker KEEP = new Reranker() {
    @Override
    public String name() {
      return "keep";
    }

    @Override
    public Ranking rerank(String query, List<Candidate> candidates) {
      return new Ranking(candidates.stream().map(c -> c.scored(-c.rank())).toList());
    }
  };

  @Test
  void orderFreeRerankerHasTauOneAndNoSlotPreference() {
    Fixture f = new Fixture(12);
    OrderSensitivity.Result r = OrderSensitivity.measure(BY_ID, f.queries, f.lists, f.qrels, 10, 5, 1, 3);
    assertEquals(1.0, r.meanTau(), 1e-12);
    assertEquals(12, r.slotQueries());
    // "d00" (the positive) sorts before every "d1x" negative: always first, whatever its slot
    assertArrayEquals(new double[] {1, 1, 1, 1, 1}, r.firstBySlot(), 0);
  }

  @Test
  void inputOrderRerankerFollowsTheShuffleAndTheSlot() {
    Fixture f = new Fixture(12);
    OrderSensitivity.Result r = OrderSensitivity.measure(KEEP, f.queries, f.lists, f.qrels, 10, 5, 1, 3);
    assertTrue(Math.abs(r.meanTau()) < 0.3, "tau " + r.meanTau());
    assertArrayEquals(new double[] {1, 0, 0, 0, 0}, r.firstBySlot(), 0);
  }

  /** Queries with 10 candidates: d10..d18 judged 0 in first-stage order, then the positive d00 last. */
  private static final class Fixture {
    final Map<String, String> queries = new LinkedHashMap<>();
    final Map<String, List<Candidate>> lists = new LinkedHashMap<>();
    final Qrels qrels;

    Fixture(int n) {
      Map<String, Map<String, Integer>> judgments = new LinkedHashMap<>();
      for (int q = 0; q < n; q++) {
        String id = "q" + q;
        queries.put(id, "query " + q);
        List<Candidate> cs = new ArrayList<>();
        Map<String, Integer> j = new LinkedHashMap<>();
        for (int i = 0; i < 9; i++) {
          cs.add(new Candidate("d1" + i, i + 1, 10 - i, 0, 0, 1, "x"));
          j.put("d1" + i, 0);
        }
        cs.add(new Candidate("d00", 10, 0, 0, 0, 1, "x"));
        j.put("d00", 1);
        lists.put(id, cs);
        judgments.put(id, j);
      }
      qrels = new Qrels(judgments);
    }
  }
}
