package dev.attnir.indexer.retrieve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.attnir.core.Ranking;
import dev.attnir.core.ScoredDoc;
import dev.attnir.indexer.search.PassageHit;
import java.util.List;
import org.junit.jupiter.api.Test;

class FusionTest {

  private static ScoredDoc d(String id, double s) {
    return new ScoredDoc(id, s, 0);
  }

  @Test
  void rrfByHand() {
    Ranking lex = new Ranking(List.of(d("a", 9), d("b", 8), d("c", 7)));
    Ranking dense = new Ranking(List.of(d("c", 0.9), d("d", 0.8), d("a", 0.7)));
    Ranking fused = new ReciprocalRankFusion(60).fuse(List.of(lex, dense), 10);
    // a: 1/61 + 1/63, c: 1/63 + 1/61, b: 1/62, d: 1/62; ties broken by id descending, as trec_eval does
    assertEquals(List.of("c", "a", "d", "b"), fused.docs().stream().map(ScoredDoc::docId).toList());
    assertEquals(1.0 / 61 + 1.0 / 63, fused.get(0).score(), 1e-15);
    assertEquals(1.0 / 62, fused.get(2).score(), 1e-15);
    assertEquals(2, new ReciprocalRankFusion(60).fuse(List.of(lex, dense), 2).size());
  }

  @Test
  void linearFusionByHand() {
    Ranking lex = new Ranking(List.of(d("a", 10), d("b", 6), d("c", 2)));     // normalised 1, 0.5, 0
    Ranking dense = new Ranking(List.of(d("c", 0.9), d("a", 0.5), d("d", 0.1))); // normalised 1, 0.5, 0
    Ranking fused = LinearFusion.lexicalDense(0.75).fuse(List.of(lex, dense), 10);
    // a: .25*1 + .75*.5 = .625; c: 0 + .75 = .75; b: .125; d: 0
    assertEquals(List.of("c", "a", "b", "d"), fused.docs().stream().map(ScoredDoc::docId).toList());
    assertEquals(0.75, fused.get(0).score(), 1e-12);
    assertEquals(0.625, fused.get(1).score(), 1e-12);
    assertEquals(0.125, fused.get(2).score(), 1e-12);
    assertEquals(0.0, fused.get(3).score(), 1e-12);
  }

  @Test
  void maxPassageKeepsEachDocumentsBestPassage() {
    List<PassageHit> hits = List.of(new PassageHit("x", 0, 1f), new PassageHit("y", 2, 3f),
        new PassageHit("x", 3, 5f), new PassageHit("z", 0, 3f));
    Ranking docs = MaxPassage.aggregate(hits, 10);
    assertEquals(List.of("x", "z", "y"), docs.docs().stream().map(ScoredDoc::docId).toList());
    assertEquals(5.0, docs.get(0).score());
    assertEquals(3, docs.get(0).passage());
    assertEquals(1, MaxPassage.aggregate(hits, 1).size());
  }

  @Test
  void depthDoublesUntilEnoughDocuments() {
    // 10 documents with 5 passages each, passages of one document ranked together
    java.util.List<PassageHit> ranked = new java.util.ArrayList<>();
    for (int doc = 0; doc < 10; doc++) {
      for (int p = 0; p < 5; p++) {
        ranked.add(new PassageHit("d" + doc, p, 100 - doc - p / 10f));
      }
    }
    List<Integer> depths = new java.util.ArrayList<>();
    Ranking top = MaxPassage.topDocuments(depth -> {
      depths.add(depth);
      return ranked.subList(0, Math.min(depth, ranked.size()));
    }, 4, 1.0, ranked.size());
    assertEquals(4, top.size());
    // 4 passages cover 1 document, 8 cover 2, 16 cover 4 (d3 by its first passage)
    assertEquals(List.of(4, 8, 16), depths);
  }
}
