package dev.attnir.rerankers.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Slot profiles, their calibration and AttnRank / U-shape orders against hand computations. */
class AttnRankTest {

  /** Attention mass basin[slot] on every slot whatever the passages (spread over two tokens). */
  private static FunctionReader basin(String identity, double... basin) {
    return new FunctionReader(identity, (c, s) -> new float[] {(float) basin[s] / 4, (float) (3 * basin[s] / 4)});
  }

  @Test
  void uShapePutsTheBestAtBothEnds() {
    assertEquals(List.of("c0", "c2", "c4", "c3", "c1"), ContextOrders.uShape(List.of("c0", "c1", "c2", "c3", "c4")));
    assertEquals(List.of("c0", "c2", "c3", "c1"), ContextOrders.uShape(List.of("c0", "c1", "c2", "c3")));
    assertEquals(List.of("c0"), ContextOrders.uShape(List.of("c0")));
  }

  @Test
  void attnRankPutsTheBestInTheMostAttendedSlot() {
    SlotProfile profile = new SlotProfile("r", AttentionReader.Focus.QUERY, new double[] {0.1, 0.3, 0.2, 0.4},
        new double[4], 1);
    assertArrayEquals(new int[] {3, 1, 2, 0}, profile.slotsByAttention());
    assertEquals(List.of("c3", "c1", "c2", "c0"), ContextOrders.attnRank(List.of("c0", "c1", "c2", "c3"), profile));
    assertEquals(4.0, profile.maxMinRatio(), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> ContextOrders.attnRank(List.of("c0"), profile));
  }

  @Test
  void calibrationAveragesSlotSharesOverRandomOrders() {
    var reader = basin("basin-1", 1, 2, 3, 10);
    List<SlotProfiler.Item> items = List.of(
        new SlotProfiler.Item("q1", List.of("a", "b", "c", "d", "e")),
        new SlotProfiler.Item("q2", List.of("f", "g", "h")));
    SlotProfile p = SlotProfiler.calibrate(reader, AttentionReader.Focus.QUERY, 3, items, 4, 7, 3);
    assertArrayEquals(new double[] {1 / 6.0, 2 / 6.0, 3 / 6.0}, p.share(), 1e-6);
    assertArrayEquals(new double[3], p.stdError(), 1e-6);
    assertEquals(8, p.samples());
    var e = assertThrows(IllegalArgumentException.class, () -> SlotProfiler.calibrate(reader,
        AttentionReader.Focus.QUERY, 4, items, 1, 7, 3));
    assertTrue(e.getMessage().contains("item 1"), e.getMessage());
  }

  @Test
  void profilesRoundTripAndRefuseAnotherReaderSizeOrFocus(@TempDir Path dir) throws Exception {
    var reader = basin("basin-1", 1, 2, 3);
    SlotProfile p = SlotProfiler.calibrate(reader, AttentionReader.Focus.QUERY, 3,
        List.of(new SlotProfiler.Item("q", List.of("a", "b", "c"))), 2, 1, 8);
    Path file = dir.resolve("profile.json");
    p.write(file);
    SlotProfile back = SlotProfile.read(file);
    assertArrayEquals(p.share(), back.share(), 0);
    back.requireFor(reader, 3, AttentionReader.Focus.QUERY, file.toString());
    var e = assertThrows(IllegalArgumentException.class, () -> back.requireFor(basin("other", 1, 2, 3), 5,
        AttentionReader.Focus.LAST_QUERY_TOKEN, file.toString()));
    assertTrue(e.getMessage().contains("reader: profile basin-1, given other")
        && e.getMessage().contains("list size: profile 3, given 5") && e.getMessage().contains("focus"),
        e.getMessage());
    Files.writeString(file, Files.readString(file).replace("\"k\" : 3", "\"k\" : 4"));
    var bad = assertThrows(IllegalArgumentException.class, () -> SlotProfile.read(file));
    assertTrue(bad.getMessage().contains(file.toString()) && bad.getMessage().contains("'k'"), bad.getMessage());
  }

  /** Attention = a per-passage relevance plus a bias on the last slot: sorting should converge on relevance. */
  private static FunctionReader relevance(java.util.Map<String, Double> relevance, double lastSlotBias) {
    return new FunctionReader("relevance", (c, s) -> new float[] {(float) (relevance.get(c.passages().get(s))
        + (s == c.passages().size() - 1 ? lastSlotBias : 0))});
  }

  @Test
  void attentionSortingMovesTheMostAttendedLastEachRound() {
    // relevance a=0.1 b=0.4 c=0.3 d=0.2; the last slot gets +0.25 (a recency bias)
    var reader = relevance(java.util.Map.of("a", 0.1, "b", 0.4, "c", 0.3, "d", 0.2), 0.25);
    var sorting = new AttentionSorting(reader, AttentionReader.Focus.QUERY, 3, false);
    List<int[]> rounds = sorting.rounds("q", List.of("a", "b", "c", "d"));
    // round 1 reads a b c d: masses .1 .4 .3 .45 -> ascending a c b d
    assertArrayEquals(new int[] {0, 2, 1, 3}, rounds.get(0));
    // round 2 reads a c b d: .1 .3 .4 .45 -> unchanged
    assertArrayEquals(new int[] {0, 2, 1, 3}, rounds.get(1));
    assertArrayEquals(new int[] {0, 2, 1, 3}, rounds.get(2));
    var ranking = sorting.rerank("q", List.of(
        new dev.attnir.core.Candidate("A", 1, 4, 0, 0, 1, "a"), new dev.attnir.core.Candidate("B", 2, 3, 0, 0, 1, "b"),
        new dev.attnir.core.Candidate("C", 3, 2, 0, 0, 1, "c"), new dev.attnir.core.Candidate("D", 4, 1, 0, 0, 1, "d")));
    assertEquals(List.of("D", "B", "C", "A"), ranking.docs().stream().map(d -> d.docId()).toList());
    // without the bias it settles on relevance order, most relevant last
    var unbiased = new AttentionSorting(relevance(java.util.Map.of("a", 0.1, "b", 0.4, "c", 0.3, "d", 0.2),
        0), AttentionReader.Focus.QUERY, 1, false);
    assertArrayEquals(new int[] {0, 3, 2, 1}, unbiased.rounds("q", List.of("a", "b", "c", "d")).get(0));
  }
}
