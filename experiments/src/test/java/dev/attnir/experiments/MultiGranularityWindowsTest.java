package dev.attnir.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.ProgressListener;
import dev.attnir.core.Ranking;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.cache.EmbeddingCache;
import dev.attnir.encoders.pooling.Poolings;
import dev.attnir.eval.position.PositionSetBuilder;
import dev.attnir.eval.position.PositionSets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several window shapes in one passage system: every document scores as the best window of any shape, which is checked
 * against the single-shape systems run separately on a real encoder.
 */
class MultiGranularityWindowsTest {

  @Test
  void aMultiShapeSystemScoresEachDocumentAsTheBestOfItsShapes(@TempDir Path dir) throws Exception {
    List<PositionSetBuilder.Query> queries = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      queries.add(new PositionSetBuilder.Query("q" + i, "question " + i,
          new PositionSetBuilder.Passage("g" + i, "Gold " + i, "The answer is Answer" + i + " indeed."),
          List.of("answer" + i)));
    }
    List<PositionSetBuilder.Passage> pool = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      pool.add(new PositionSetBuilder.Passage("d" + i, "Distractor " + i, "Unrelated text number " + i + "."));
    }
    List<PositionSetBuilder.Doc> docs = PositionSetBuilder.build(queries, pool, 8,
        new PositionSetBuilder.Stratified(), 5, t -> t.split("\\s+").length);
    Path set = dir.resolve("set");
    PositionSets.write(set, queries, docs);
    PositionBiasRun.Loaded loaded = PositionBiasRun.load(set);
    EmbeddingCache cache = new EmbeddingCache(dir.resolve("cache"));
    try (OnnxEncoder enc = OnnxEncoder.load(ModelRegistry.resolve("all-MiniLM-L6-v2"), EncoderOptions.defaults())) {
      var mean = Poolings.parse("mean", enc.spec());
      PositionSystems.Window shortWindows = new PositionSystems.Window(8, 4);
      PositionSystems.Window longWindows = new PositionSystems.Window(24, 12);
      Map<String, Ranking> a = run(loaded, enc, mean, cache, List.of(shortWindows));
      Map<String, Ranking> b = run(loaded, enc, mean, cache, List.of(longWindows));
      Map<String, Ranking> both = run(loaded, enc, mean, cache, List.of(shortWindows, longWindows));
      int differs = 0;
      for (String q : loaded.queries().keySet()) {
        Map<String, Double> sa = scores(a.get(q));
        Map<String, Double> sb = scores(b.get(q));
        Map<String, Double> sBoth = scores(both.get(q));
        assertEquals(docs.size(), sBoth.size(), "every document is ranked");
        for (var e : sBoth.entrySet()) {
          double expected = Math.max(sa.get(e.getKey()), sb.get(e.getKey()));
          assertEquals(expected, e.getValue(), 1e-6, q + " " + e.getKey());
          differs += !sa.get(e.getKey()).equals(sb.get(e.getKey())) ? 1 : 0;
        }
      }
      assertTrue(differs > 0, "the two shapes must give different scores for the check to mean anything");
    }
    assertThrows(IllegalArgumentException.class, () -> new PositionSystems.Window(8, 9));
    assertThrows(IllegalArgumentException.class, () -> PositionSystems.windows(null, List.of()));
  }

  private static Map<String, Ranking> run(PositionBiasRun.Loaded set, OnnxEncoder enc,
      dev.attnir.encoders.Pooling pooling, EmbeddingCache cache, List<PositionSystems.Window> windows) {
    PositionSystem system = PositionSystems.dense("p", enc, pooling, cache, PositionSystems.windows(enc, windows));
    try (PositionSystem.Opened opened = system.open(set.docs(), ProgressListener.none())) {
      return opened.retriever().retrieveAll(set.queries(), 100, ProgressListener.none());
    }
  }

  private static Map<String, Double> scores(Ranking ranked) {
    Map<String, Double> out = new HashMap<>();
    ranked.forEach(d -> out.put(d.docId(), d.score()));
    return out;
  }
}
