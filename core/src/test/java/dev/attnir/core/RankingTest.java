package dev.attnir.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RankingTest {

  @Test
  void orderIsKeptAsGivenWhateverTheScores() {
    Ranking r = new Ranking(List.of(new ScoredDoc("b", 1, 0), new ScoredDoc("a", 5, 0), new ScoredDoc("c", 3, 2)));
    assertEquals(List.of("b", "a", "c"), r.docs().stream().map(ScoredDoc::docId).toList());
    assertEquals(2, r.top(2).size());
    assertSame(r, r.top(10));
    assertEquals(0, r.top(0).size());
  }

  @Test
  void aDocumentAppearsOnceAndScoresAreFinite() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Ranking(List.of(new ScoredDoc("a", 1, 0), new ScoredDoc("a", 0.5, 1))));
    assertEquals("document 'a' appears twice in one ranking", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new ScoredDoc("x", Double.NaN, 0));
    assertThrows(IllegalArgumentException.class, () -> new ScoredDoc("x", Double.NEGATIVE_INFINITY, 0));
  }

  /**
   * byScore is a sort by score descending then id descending in code point order (trec_eval's), checked pairwise on
   * shuffled input with ids that include supplementary characters.
   */
  @Test
  void byScoreSortsByScoreThenIdDescendingAsTrecEvalDoes() {
    Random random = new Random(42);
    for (int round = 0; round < 200; round++) {
      List<ScoredDoc> docs = new ArrayList<>();
      int n = 1 + random.nextInt(30);
      for (int i = 0; i < n; i++) {
        String id = switch (random.nextInt(3)) {
          case 0 -> "d" + i;
          case 1 -> "\uFF21" + i;
          default -> "\uD83D\uDE00" + i;
        };
        docs.add(new ScoredDoc(id, random.nextInt(4), i));
      }
      Collections.shuffle(docs, random);
      int k = random.nextInt(n + 2);
      Ranking r = Ranking.byScore(docs, k);
      assertEquals(Math.min(k, n), r.size());
      for (int i = 1; i < r.size(); i++) {
        ScoredDoc prev = r.get(i - 1);
        ScoredDoc cur = r.get(i);
        boolean ordered = prev.score() > cur.score()
            || (prev.score() == cur.score() && compareCodePoints(prev.docId(), cur.docId()) > 0);
        assertEquals(true, ordered, prev + " before " + cur);
      }
    }
  }

  /** Lexicographic order of the ids' code points (an independent spelling of code point order). */
  private static int compareCodePoints(String a, String b) {
    return java.util.Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
  }
}
