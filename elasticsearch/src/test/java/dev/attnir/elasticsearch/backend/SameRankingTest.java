package dev.attnir.elasticsearch.backend;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.indexer.search.PassageHit;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fault test's ranking comparison: float rounding passes, a real change does not. */
class SameRankingTest {

  private static PassageHit hit(String id, float score) {
    return new PassageHit(id, 0, score);
  }

  @Test
  void lastBitDifferencesAndSwapsOfNearTiesAreTheSameRanking() {
    List<PassageHit> expected = List.of(hit("a", 9f), hit("b", 7f), hit("c", 7f), hit("d", 5f));
    assertTrue(NodeFaultTest.sameRanking(expected, expected));
    assertTrue(NodeFaultTest.sameRanking(expected, List.of(hit("a", Math.nextUp(9f)), hit("b", 7f), hit("c", 7f),
        hit("d", 5f))));
    assertTrue(NodeFaultTest.sameRanking(expected, List.of(hit("a", 9f), hit("c", Math.nextUp(7f)), hit("b", 7f),
        hit("d", 5f))));
    // a document tied with the last one may replace it (the tie continues beyond the cut)
    assertTrue(NodeFaultTest.sameRanking(expected, List.of(hit("a", 9f), hit("b", 7f), hit("c", 7f), hit("e", 5f))));
  }

  @Test
  void anotherOrderOtherScoresOrOtherDocumentsAreNot() {
    List<PassageHit> expected = List.of(hit("a", 9f), hit("b", 7f), hit("c", 7f), hit("d", 5f));
    assertFalse(NodeFaultTest.sameRanking(expected, List.of(hit("b", 9f), hit("a", 7f), hit("c", 7f), hit("d", 5f))));
    assertFalse(NodeFaultTest.sameRanking(expected, List.of(hit("a", 9f), hit("b", 7.01f), hit("c", 7f),
        hit("d", 5f))));
    assertFalse(NodeFaultTest.sameRanking(expected, List.of(hit("a", 9f), hit("x", 7f), hit("c", 7f), hit("d", 5f))));
    assertFalse(NodeFaultTest.sameRanking(expected, expected.subList(0, 3)));
    assertFalse(NodeFaultTest.sameRanking(expected, List.of(hit("a", 9f), hit("b", 7f), hit("c", 7f),
        new PassageHit("d", 1, 5f))));
  }
}
