package dev.attnir.eval.position;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.ProgressListener;
import dev.attnir.encoders.pooling.Poolings;
import dev.attnir.eval.pipeline.EmbeddingCache;
import dev.attnir.indexer.retrieve.ScoredDoc;
import java.nio.file.Path;
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
    List<PositionSetBuilder.Query> queries = PositionSetBuilderTest.queries(6);
    List<PositionSetBuilder.Doc> docs = PositionSetBuilder.build(queries, PositionSetBuilderTest.pool(60), 8,
        new PositionSetBuilder.Stratified(), 5, t -> t.split("\\s+").length);
    Path set = dir.resolve("set");
    PositionSets.write(set, queries, docs);
    PositionBiasRun.Loaded loaded = PositionBiasRun.load(set);
    EmbeddingCache cache = new EmbeddingCache(dir.resolve("cache"));
    try (OnnxEncoder enc = OnnxEncoder.load(ModelRegistry.resolve("all-MiniLM-L6-v2"), EncoderOptions.defaults())) {
      var mean = Poolings.parse("mean", enc.spec());
      PositionBiasRun.Window shortWindows = new PositionBiasRun.Window(8, 4);
      PositionBiasRun.Window longWindows = new PositionBiasRun.Window(24, 12);
      Map<String, List<ScoredDoc>> a = run(loaded, enc, mean, cache, List.of(shortWindows));
      Map<String, List<ScoredDoc>> b = run(loaded, enc, mean, cache, List.of(longWindows));
      Map<String, List<ScoredDoc>> both = run(loaded, enc, mean, cache, List.of(shortWindows, longWindows));
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
    assertThrows(IllegalArgumentException.class, () -> new PositionBiasRun.Window(8, 9));
    assertThrows(IllegalArgumentException.class, () -> new PositionBiasRun.SystemSpec("p",
        PositionBiasRun.Kind.DENSE_PASSAGES, null, null, List.of()));
  }

  private static Map<String, List<ScoredDoc>> run(PositionBiasRun.Loaded set, OnnxEncoder enc,
      dev.attnir.encoders.Pooling pooling, EmbeddingCache cache, List<PositionBiasRun.Window> windows) {
    PositionBiasRun.SystemSpec spec = new PositionBiasRun.SystemSpec("p", PositionBiasRun.Kind.DENSE_PASSAGES, enc,
        pooling, windows);
    return PositionBiasRun.dense(set, spec, cache, true, ProgressListener.none());
  }

  private static Map<String, Double> scores(List<ScoredDoc> ranked) {
    Map<String, Double> out = new HashMap<>();
    ranked.forEach(d -> out.put(d.docId(), d.score()));
    return out;
  }
}
