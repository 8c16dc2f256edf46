package dev.attnir.training.rerank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.attnir.core.Candidate;
import dev.attnir.encoders.Batch;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.TokenizedText;
import dev.attnir.rerankers.CrossEncoderReranker;
import dev.attnir.rerankers.trained.MvpReranker;
import dev.attnir.rerankers.trained.RerankerArtifact;
import dev.attnir.rerankers.trained.TrainedRerankers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * What is trained is what runs: the DJL training forward of each model and the shipped reranker reassembled from its
 * exported artifact (ONNX Runtime, plus MVP's anchor in plain Java) give the same scores.
 */
class TrainedArtifactAgreementTest {

  private static final String QUERY = "how do glaciers form";
  private static final List<String> PASSAGES = List.of(
      "Glaciers form where snow accumulates faster than it melts, compressing into ice over many years.",
      "The stock market closed higher on Friday.",
      "Ice sheets and glaciers hold most of the fresh water on Earth, and their growth depends on snowfall.",
      "A recipe for lemon cake with a crunchy sugar glaze.",
      "Mountain glaciers flow downhill under their own weight.");

  private static List<Candidate> candidates() {
    List<Candidate> out = new ArrayList<>();
    for (int i = 0; i < PASSAGES.size(); i++) {
      out.add(new Candidate("d" + i, i + 1, 0, 0, 0, PASSAGES.get(i).length(), PASSAGES.get(i)));
    }
    return out;
  }

  private static float[] djlScores(ListwiseModel m) {
    List<TokenizedText> tokens = m.tokenize(QUERY, PASSAGES);
    int[] rows = {0, 1, 2, 3, 4};
    try (NDManager scope = NDManager.newBaseManager()) {
      return m.forward(Batch.of(rows, tokens), 1, rows.length, scope).scores().toFloatArray();
    }
  }

  private static void assertClose(float[] expected, double[] actual) {
    double spread = 0;
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-4, "candidate " + i);
      spread = Math.max(spread, Math.abs(expected[i] - expected[0]));
    }
    assertTrue(spread > 1e-3, "scores too alike to tell anything apart");
  }

  @Test
  void crossEncoderArtifactScoresAsTheTrainingForward() {
    ModelSpec spec = ModelRegistry.resolve("all-MiniLM-L6-v2");
    try (CrossEncoderModel m = new CrossEncoderModel(spec, 64, 3)) {
      float[] expected = djlScores(m);
      RerankerArtifact artifact = m.export(false, Map.of());
      try (var r = (CrossEncoderReranker) TrainedRerankers.load(artifact, "test", "ce", OptionalInt.empty(),
          EncoderOptions.defaults())) {
        assertClose(expected, r.scores(QUERY, candidates()));
      }
    }
  }

  @Test
  void mvpArtifactScoresAsTheTrainingForward() {
    ModelSpec spec = ModelRegistry.resolve("all-MiniLM-L6-v2");
    try (MvpModel m = new MvpModel(spec, 64, 4, "learned", 0.1, false, 5)) {
      float[] before = djlScores(m);
      // trained view-token embeddings must reach the reassembled graph's word-embedding rows
      var views = m.trainable().get("views.embedding");
      float[] v = views.toFloatArray();
      java.util.Random random = new java.util.Random(1);
      for (int i = 0; i < v.length; i++) {
        v[i] += (float) random.nextGaussian() * 0.5f;
      }
      views.set(v);
      float[] expected = djlScores(m);
      double moved = 0;
      for (int i = 0; i < expected.length; i++) {
        moved = Math.max(moved, Math.abs(expected[i] - before[i]));
      }
      assertTrue(moved > 1e-3, "perturbing the view embeddings changed no score");
      RerankerArtifact artifact = m.export(false, Map.of());
      try (var r = (MvpReranker) TrainedRerankers.load(artifact, "test", "mvp", OptionalInt.empty(),
          EncoderOptions.defaults())) {
        assertClose(expected, r.scores(QUERY, candidates()));
      }
    }
  }

  @Test
  void mvpWithMeanAnchorsScoresAsTheTrainingForward() {
    ModelSpec spec = ModelRegistry.resolve("all-MiniLM-L6-v2");
    try (MvpModel m = new MvpModel(spec, 64, 2, "mean", 0, false, 5)) {
      float[] expected = djlScores(m);
      try (var r = (MvpReranker) TrainedRerankers.load(m.export(false, Map.of()), "test", "mvp-mean",
          OptionalInt.empty(), EncoderOptions.defaults())) {
        assertClose(expected, r.scores(QUERY, candidates()));
      }
    }
  }
}
