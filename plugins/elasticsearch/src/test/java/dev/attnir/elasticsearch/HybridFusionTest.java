package dev.attnir.elasticsearch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.attnir.core.Ranking;
import dev.attnir.core.ScoredDoc;
import dev.attnir.indexer.retrieve.Fusion;
import dev.attnir.indexer.retrieve.LinearFusion;
import dev.attnir.indexer.retrieve.ReciprocalRankFusion;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.lucene.search.ScoreDoc;
import org.elasticsearch.search.rank.RankDoc;
import org.junit.jupiter.api.Test;

/**
 * {@code attnir_hybrid}'s fusion against attnir's own ({@link ReciprocalRankFusion}, {@link LinearFusion} over
 * rankings ordered as {@link Ranking} orders them), on random legs with many tied scores, hits handed over in any
 * order, ids that sort differently by code point than by Lucene document.
 */
class HybridFusionTest {

  @Test
  void fusesAsTheJavaRetrieverFuses() {
    Random random = new Random(42);
    for (int round = 0; round < 2000; round++) {
      int docs = 1 + random.nextInt(40);
      List<String> ids = new ArrayList<>();
      for (int d = 0; d < docs; d++) {
        // surrogate pairs and ASCII mixed: code point order differs from UTF-16 order for some pairs
        ids.add((random.nextBoolean() ? "d" : "\uD83D\uDE00") + random.nextInt(1000) + "-" + d);
      }
      List<ScoreDoc[]> legs = new ArrayList<>();
      List<Ranking> rankings = new ArrayList<>();
      for (int leg = 0; leg < 2; leg++) {
        List<ScoreDoc> hits = new ArrayList<>();
        List<ScoredDoc> scored = new ArrayList<>();
        for (int d = 0; d < docs; d++) {
          if (random.nextInt(3) > 0) {
            float score = random.nextInt(5) / 4f + (leg == 1 ? random.nextInt(3) : 0);
            hits.add(new ScoreDoc(d, score, 0));
            scored.add(new ScoredDoc(ids.get(d), score, 0));
          }
        }
        Collections.shuffle(hits, random);
        legs.add(hits.toArray(ScoreDoc[]::new));
        rankings.add(Ranking.byScore(scored, scored.size()));
      }
      boolean rrf = random.nextBoolean();
      int constant = random.nextInt(100);
      double weight = random.nextInt(11) / 10.0;
      int window = 1 + random.nextInt(docs + 5);
      Comparator<RankDoc.RankKey> byId = (a, b) -> Arrays.compare(ids.get(a.doc()).codePoints().toArray(),
          ids.get(b.doc()).codePoints().toArray());
      List<Map.Entry<RankDoc.RankKey, Double>> got = HybridRetrieverBuilder.fuse(legs, byId, rrf, constant, weight,
          window);
      Fusion java = rrf ? new ReciprocalRankFusion(constant) : LinearFusion.lexicalDense(weight);
      Ranking expected = java.fuse(rankings, window);
      assertEquals(expected.size(), got.size(), "round " + round);
      for (int i = 0; i < got.size(); i++) {
        assertEquals(expected.get(i).docId(), ids.get(got.get(i).getKey().doc()), "round " + round + " rank " + i);
        assertEquals(expected.get(i).score(), got.get(i).getValue(), 1e-12, "round " + round + " rank " + i);
      }
    }
  }
}
