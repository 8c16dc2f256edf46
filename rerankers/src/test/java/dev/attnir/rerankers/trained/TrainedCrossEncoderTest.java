package dev.attnir.rerankers.trained;

import static dev.attnir.rerankers.trained.TrainedFixtures.D;
import static dev.attnir.rerankers.trained.TrainedFixtures.PASSAGES;
import static dev.attnir.rerankers.trained.TrainedFixtures.QUERY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtSession;
import dev.attnir.core.Candidate;
import dev.attnir.core.Ranking;
import dev.attnir.core.Rerankers;
import dev.attnir.rerankers.CrossEncoderReranker;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reassembled cross-encoder: an artifact with a random head and three perturbed BERT tensors of the real
 * all-MiniLM-L6-v2 (f32 and f16), loaded through {@code trained:file=}; its scores against the CLS row of a bare ONNX
 * Runtime session over the base graph with only those tensors replaced, times the head in plain Java.
 */
class TrainedCrossEncoderTest {

  @TempDir
  static Path dir;

  @BeforeAll
  static void load() throws Exception {
    TrainedFixtures.load();
  }

  @Test
  void scoresEqualTheReplacedGraphsClsRowTimesTheHead() throws Exception {
    RerankerArtifact a = TrainedFixtures.write(TrainedFixtures.artifact("cross-encoder", TrainedFixtures.sha, 128,
        List.of(), Map.of(), List.of(
            TrainedFixtures.perturbed("encoder.layer.5.attention.self.query.weight", 0.05, 1, "f32"),
            TrainedFixtures.perturbed("encoder.layer.3.output.LayerNorm.bias", 0.1, 2, "f16"),
            TrainedFixtures.perturbed("encoder.layer.0.intermediate.dense.bias", 0.1, 3, "f32"),
            new TrainedFixtures.T("head.weight", new long[] {D, 1}, "f16", TrainedFixtures.gaussian(D, 0.2, 4)),
            new TrainedFixtures.T("head.bias", new long[] {1}, "f32", new float[] {0.25f}))),
        dir.resolve("ce.rrk"));
    float[] w = a.tensors().get("head.weight");
    float b = a.tensors().get("head.bias")[0];
    List<Candidate> cands = TrainedFixtures.candidates(PASSAGES);
    double[] scores;
    try (CrossEncoderReranker r = assertInstanceOf(CrossEncoderReranker.class,
        Rerankers.create("trained:file=" + dir.resolve("ce.rrk") + ",batch-tokens=64"))) {
      assertEquals("trained:ce.rrk", r.name());
      assertEquals(128, r.encoder().spec().maxLength(), "the header's max length");
      assertEquals(64, r.encoder().options().maxBatchTokens());
      scores = r.scores(QUERY, cands);
      Ranking ranking = r.rerank(QUERY, cands);
      for (int k = 1; k < ranking.size(); k++) {
        assertTrue(ranking.get(k - 1).score() >= ranking.get(k).score(), "best first");
      }
    }
    RerankerArtifact headOnly = TrainedFixtures.artifact("cross-encoder", TrainedFixtures.sha, 128, List.of(),
        Map.of(), List.of());
    double maxDiff = 0;
    double maxShift = 0;
    try (OrtSession replaced = TrainedFixtures.bareSession(a);
        OrtSession original = TrainedFixtures.bareSession(headOnly)) {
      for (int i = 0; i < PASSAGES.size(); i++) {
        double expected = head(TrainedFixtures.hidden(replaced, QUERY, PASSAGES.get(i), new long[0])[0], w, b);
        double unperturbed = head(TrainedFixtures.hidden(original, QUERY, PASSAGES.get(i), new long[0])[0], w, b);
        assertEquals(expected, scores[i], 1e-4, "pair " + i);
        maxDiff = Math.max(maxDiff, Math.abs(expected - scores[i]));
        maxShift = Math.max(maxShift, Math.abs(unperturbed - scores[i]));
      }
    }
    System.out.printf("trained cross-encoder: max |score - reference| %.2e; the perturbed tensors move scores by up "
        + "to %.3f%n", maxDiff, maxShift);
    assertTrue(maxShift > 1e-2, "the replaced tensors change the scores: " + maxShift);
  }

  static double head(float[] cls, float[] w, float b) {
    double s = b;
    for (int i = 0; i < cls.length; i++) {
      s += (double) cls[i] * w[i];
    }
    return s;
  }
}
