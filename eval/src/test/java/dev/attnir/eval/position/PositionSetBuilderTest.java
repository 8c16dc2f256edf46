package dev.attnir.eval.position;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PositionSetBuilderTest {

  static List<PositionSetBuilder.Query> queries(int n) {
    List<PositionSetBuilder.Query> q = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      q.add(new PositionSetBuilder.Query("q" + i, "question " + i,
          new PositionSetBuilder.Passage("g" + i, "Gold " + i, "The answer is Answer" + i + " indeed."),
          List.of("answer" + i)));
    }
    return q;
  }

  static List<PositionSetBuilder.Passage> pool(int n) {
    List<PositionSetBuilder.Passage> p = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      p.add(new PositionSetBuilder.Passage("d" + i, "Distractor " + i, "Unrelated text number " + i + "."));
    }
    return p;
  }

  @Test
  void goldSitsAtTheRequestedSlotAndTheSpanMatchesTheTextExactly() {
    for (int slot : new int[] {0, 4, 9}) {
      List<PositionSetBuilder.Doc> docs = PositionSetBuilder.build(queries(5), pool(40), 10,
          new PositionSetBuilder.Fixed(slot), 1, t -> t.split("\\s+").length);
      for (PositionSetBuilder.Doc d : docs) {
        assertEquals(slot, d.slot());
        String q = d.queryId().substring(1);
        assertEquals("Gold " + q + "\nThe answer is Answer" + q + " indeed.", d.text().substring(d.spanStart(),
            d.spanEnd()));
        String[] blocks = d.text().split(PositionSetBuilder.SEPARATOR);
        assertEquals(10, blocks.length);
        assertTrue(blocks[slot].startsWith("Gold " + q));
        assertEquals(9, d.distractors().size());
        assertEquals(d.text().split("\\s+").length, d.tokens());
      }
    }
  }

  @Test
  void answersMatchWholeTokensOnly() {
    assertTrue(PositionSetBuilder.normalize("Mr. S. Smith, U.S. Army").contains(PositionSetBuilder.normalize("S")));
    assertFalse(PositionSetBuilder.normalize("Some stories").contains(PositionSetBuilder.normalize("S")));
    assertTrue(PositionSetBuilder.normalize("the U. S. army").contains(PositionSetBuilder.normalize("U.S.")));
    assertTrue(PositionSetBuilder.normalize("\"Reveille\" is played").contains(PositionSetBuilder.normalize("Reveille")));
    assertFalse(PositionSetBuilder.normalize("Reveilles").contains(PositionSetBuilder.normalize("Reveille")));
    List<PositionSetBuilder.Query> q = List.of(new PositionSetBuilder.Query("q0", "which letter",
        new PositionSetBuilder.Passage("g0", "Gold", "The letter S."), List.of("S")));
    List<PositionSetBuilder.Passage> pool = new ArrayList<>(pool(5));
    pool.add(new PositionSetBuilder.Passage("initial", "Initial", "Written by J. S. Bach."));
    List<PositionSetBuilder.Doc> docs = PositionSetBuilder.build(q, pool, 6, new PositionSetBuilder.Fixed(0), 1,
        String::length);
    assertEquals(5, docs.get(0).distractors().size(), "passages with an s inside words are admissible");
    assertFalse(docs.get(0).distractors().contains("initial"), "a passage with the token S is not");
  }

  @Test
  void distractorsNeverContainTheQuerysAnswersNorAnotherQuerysGold() {
    List<PositionSetBuilder.Passage> pool = new ArrayList<>(pool(30));
    pool.add(new PositionSetBuilder.Passage("leak", "Leak", "This one mentions ANSWER0 in capitals."));
    pool.add(new PositionSetBuilder.Passage("g1", "Gold 1", "The answer is Answer1 indeed."));
    List<PositionSetBuilder.Doc> docs = PositionSetBuilder.build(queries(3), pool, 31,
        new PositionSetBuilder.Fixed(0), 2, String::length);
    PositionSetBuilder.Doc d0 = docs.get(0);
    assertFalse(d0.distractors().contains("leak"), "a passage holding the answer is not a distractor");
    assertFalse(d0.distractors().contains("g1"), "another evaluated query's gold is not a distractor");
    assertTrue(docs.get(1).distractors().contains("leak"), "it is fine for a query whose answer it does not hold");
  }

  @Test
  void tooFewDistractorsIsAnErrorNamingTheQuery() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PositionSetBuilder.build(
        queries(2), pool(5), 10, new PositionSetBuilder.Fixed(0), 1, String::length));
    assertTrue(e.getMessage().contains("query q0") && e.getMessage().contains("9 are needed"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> PositionSetBuilder.build(queries(2), pool(50), 10,
        new PositionSetBuilder.Fixed(10), 1, String::length));
  }

  @Test
  void stratifiedSlotsAreBalancedAndSeedsReproduce() {
    int[] counts = new int[10];
    for (PositionSetBuilder.Doc d : PositionSetBuilder.build(queries(95), pool(200), 10,
        new PositionSetBuilder.Stratified(), 3, String::length)) {
      counts[d.slot()]++;
    }
    for (int c : counts) {
      assertTrue(c == 9 || c == 10, java.util.Arrays.toString(counts));
    }
    var a = PositionSetBuilder.build(queries(20), pool(100), 10, new PositionSetBuilder.Random1(), 5, String::length);
    var b = PositionSetBuilder.build(queries(20), pool(100), 10, new PositionSetBuilder.Random1(), 5, String::length);
    assertEquals(a, b);
    var c = PositionSetBuilder.build(queries(20), pool(100), 10, new PositionSetBuilder.Random1(), 6, String::length);
    assertFalse(a.equals(c), "another seed, another set");
  }

  /** Queries whose gold passages and a pool whose passages have widely varying lengths (seeded). */
  private static List<PositionSetBuilder.Passage> variedPool(int n, java.util.Random r, String prefix) {
    List<PositionSetBuilder.Passage> p = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      p.add(new PositionSetBuilder.Passage(prefix + i, "T" + i, "x".repeat(150 + r.nextInt(600))));
    }
    return p;
  }

  @Test
  void lengthMatchedDistractorsAreTheClosestInLengthAndPutSlotKInBinK() {
    java.util.Random r = new java.util.Random(5);
    List<PositionSetBuilder.Passage> pool = variedPool(800, r, "d");
    List<PositionSetBuilder.Passage> golds = variedPool(60, r, "g");
    List<PositionSetBuilder.Query> qs = new ArrayList<>();
    for (int i = 0; i < golds.size(); i++) {
      qs.add(new PositionSetBuilder.Query("q" + i, "question", golds.get(i), List.of("answer" + i)));
    }
    java.util.Map<String, Integer> lengthOf = new java.util.HashMap<>();
    pool.forEach(p -> lengthOf.put(p.id(), p.block().length()));
    int alignedRandom = 0;
    int alignedMatched = 0;
    int total = 0;
    for (int slot = 0; slot < 20; slot++) {
      List<PositionSetBuilder.Doc> random = PositionSetBuilder.build(qs, pool, 20, new PositionSetBuilder.Fixed(slot),
          1, t -> t.length());
      List<PositionSetBuilder.Doc> matched = PositionSetBuilder.build(qs, pool, 20,
          new PositionSetBuilder.Fixed(slot), 1, t -> t.length(), PositionSetBuilder.DistractorChoice.LENGTH_MATCHED);
      for (int i = 0; i < qs.size(); i++) {
        int gold = qs.get(i).gold().block().length();
        // an independent ranking of the pool by distance to the gold's length: every chosen distractor is among the
        // 38 closest (ties at the 38th distance included)
        List<Integer> distances = pool.stream().map(p -> Math.abs(p.block().length() - gold)).sorted().toList();
        int limit = distances.get(37);
        for (String id : matched.get(i).distractors()) {
          assertTrue(Math.abs(lengthOf.get(id) - gold) <= limit, "distractor " + id + " of " + qs.get(i).id());
        }
        alignedRandom += aligned(random.get(i)) ? 1 : 0;
        alignedMatched += aligned(matched.get(i)) ? 1 : 0;
        total++;
      }
      // paired: the same distractors, in the same order, at every slot
      assertEquals(PositionSetBuilder.build(qs, pool, 20, new PositionSetBuilder.Fixed(0), 1, t -> t.length(),
          PositionSetBuilder.DistractorChoice.LENGTH_MATCHED).get(3).distractors(), matched.get(3).distractors());
    }
    assertTrue(alignedMatched >= 0.98 * total, "matched: " + alignedMatched + " of " + total);
    assertTrue(alignedRandom < 0.9 * total, "random lengths should mix bins: " + alignedRandom + " of " + total);
  }

  private static boolean aligned(PositionSetBuilder.Doc d) {
    double mid = (d.spanStart() + d.spanEnd()) / 2.0 / d.text().length();
    return PositionBias.bin(mid) == d.slot();
  }

  @Test
  void randomChoiceIsTheDefault() {
    List<PositionSetBuilder.Doc> a = PositionSetBuilder.build(queries(6), pool(40), 10,
        new PositionSetBuilder.Stratified(), 2, t -> t.length());
    List<PositionSetBuilder.Doc> b = PositionSetBuilder.build(queries(6), pool(40), 10,
        new PositionSetBuilder.Stratified(), 2, t -> t.length(), PositionSetBuilder.DistractorChoice.RANDOM);
    assertEquals(a, b);
  }

  @Test
  void queriesSharingARelevantPassageAreRefused() {
    List<PositionSetBuilder.Query> qs = new ArrayList<>(queries(3));
    qs.add(new PositionSetBuilder.Query("q9", "another question", qs.get(1).gold(), List.of("something")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PositionSetBuilder.build(qs,
        pool(40), 5, new PositionSetBuilder.Fixed(0), 1, t -> t.length()));
    assertTrue(e.getMessage().contains("q1") && e.getMessage().contains("q9"), e.getMessage());
  }
}
