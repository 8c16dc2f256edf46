package dev.attnir.elasticsearch.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.attnir.indexer.search.PassageHit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Documents tied at the cut are chosen in {@code Ranking}'s tie order, whatever order the cluster returned them in. */
class TiesAtTheCutTest {

  /** Scores 9, 8, then five documents tied at 7 (returned in the cluster's order: a, e, b, d, c), then 6. */
  private static final List<PassageHit> RANKED = List.of(new PassageHit("x", 0, 9f), new PassageHit("y", 0, 8f),
      new PassageHit("a", 0, 7f), new PassageHit("e", 2, 7f), new PassageHit("b", 0, 7f), new PassageHit("d", 0, 7f),
      new PassageHit("c", 0, 7f), new PassageHit("z", 0, 6f));

  @Test
  void aTieAcrossTheCutIsFetchedWholeAndCutByDescendingId() {
    List<Integer> depths = new ArrayList<>();
    List<PassageHit> top = ElasticsearchSearchBackend.topWithTiesResolved(depth -> {
      depths.add(depth);
      return RANKED.subList(0, Math.min(depth, RANKED.size()));
    }, 4);
    // 5 hits end in the tie, 10 reach past it
    assertEquals(List.of(5, 10), depths);
    assertEquals(List.of("x", "y", "e", "d"), top.stream().map(PassageHit::docId).toList());
    assertEquals(2, top.get(2).ordinal(), "the hit keeps its best passage");
  }

  @Test
  void noTieAtTheCutCostsOneExtraHit() {
    List<Integer> depths = new ArrayList<>();
    List<PassageHit> top = ElasticsearchSearchBackend.topWithTiesResolved(depth -> {
      depths.add(depth);
      return RANKED.subList(0, Math.min(depth, RANKED.size()));
    }, 2);
    assertEquals(List.of(3), depths);
    assertEquals(List.of("x", "y"), top.stream().map(PassageHit::docId).toList());
  }
}
