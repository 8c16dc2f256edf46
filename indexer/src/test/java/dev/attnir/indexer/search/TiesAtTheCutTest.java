package dev.attnir.indexer.search;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
    List<PassageHit> top = TiesAtTheCut.top(depth -> {
      depths.add(depth);
      return RANKED.subList(0, Math.min(depth, RANKED.size()));
    }, 4, 100);
    // 5 hits end in the tie, 10 reach past it
    assertEquals(List.of(5, 10), depths);
    assertEquals(List.of("x", "y", "e", "d"), top.stream().map(PassageHit::docId).toList());
    assertEquals(2, top.get(2).ordinal(), "the hit keeps its best passage");
  }

  @Test
  void noTieAtTheCutCostsOneExtraHit() {
    List<Integer> depths = new ArrayList<>();
    List<PassageHit> top = TiesAtTheCut.top(depth -> {
      depths.add(depth);
      return RANKED.subList(0, Math.min(depth, RANKED.size()));
    }, 2, 100);
    assertEquals(List.of(3), depths);
    assertEquals(List.of("x", "y"), top.stream().map(PassageHit::docId).toList());
  }

  @Test
  void passagesOfOneDocumentTiedAtTheCutAreCutByOrdinal() {
    List<PassageHit> hits = List.of(new PassageHit("a", 3, 5f), new PassageHit("a", 1, 5f), new PassageHit("a", 2, 5f));
    List<PassageHit> top = TiesAtTheCut.top(depth -> hits.subList(0, Math.min(depth, hits.size())), 2, 100);
    assertEquals(List.of(1, 2), top.stream().map(PassageHit::ordinal).toList());
  }

  @Test
  void aTieGroupPastTheDeepestFetchIsCutThere() {
    List<Integer> depths = new ArrayList<>();
    List<PassageHit> top = TiesAtTheCut.top(depth -> {
      depths.add(depth);
      return RANKED.subList(0, Math.min(depth, RANKED.size()));
    }, 4, 6);
    assertEquals(List.of(5, 6), depths);
    // of the tied a, e, b, d seen within 6 hits, descending id: e, d
    assertEquals(List.of("x", "y", "e", "d"), top.stream().map(PassageHit::docId).toList());
  }

  /** Equally scored documents make the cut by id, not by the order they were indexed in. */
  @Test
  void theLuceneBackendCutsTiesTheSameWhateverTheIndexingOrder() throws Exception {
    List<dev.attnir.indexer.Passage> passages = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      // ten documents per score level: identical text apart from an id word the query does not contain
      passages.add(new dev.attnir.indexer.Passage(String.format("d%02d", i), 0, 0, 0,
          "lung cancer " + "cohort ".repeat(1 + i % 3) + "w" + i));
    }
    List<String> forward = top(passages);
    List<dev.attnir.indexer.Passage> reversed = new ArrayList<>(passages);
    java.util.Collections.reverse(reversed);
    assertEquals(forward, top(reversed));
    assertEquals(List.of("d29", "d26", "d23", "d20"), forward, "the top tie group (cohort x3), id descending");
  }

  private static List<String> top(List<dev.attnir.indexer.Passage> passages) throws Exception {
    org.apache.lucene.store.ByteBuffersDirectory dir = new org.apache.lucene.store.ByteBuffersDirectory();
    try (dev.attnir.indexer.PassageIndexWriter w = dev.attnir.indexer.PassageIndexWriter.open(dir, "ties",
        "english-porter", dev.attnir.indexer.PassageSettings.wholeDocument("whitespace"), null, null,
        dev.attnir.indexer.PassageIndexWriter.Mode.CREATE_OR_APPEND)) {
      // one document per commit, so each is its own segment and the index order is the insertion order
      for (dev.attnir.indexer.Passage p : passages) {
        w.write(List.of(p), null, null);
        w.commit();
      }
    }
    try (LuceneSearchBackend b = LuceneSearchBackend.open(dir, "ties", null)) {
      return b.lexical("lung cancer cohort", 4, Bm25Params.anserini()).stream().map(PassageHit::docId).toList();
    }
  }
}
