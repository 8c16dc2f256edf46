package dev.attnir.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.encoders.pooling.HeadState;
import dev.attnir.encoders.pooling.TrainedHeadPooling;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HeadModelTest {

  static final HeadShape SHAPE = new HeadShape(4, 16, 3, 2, 8, 2);

  @Test
  void onnxExportReproducesTheTrainingForwardPass() {
    Map<String, float[]> values;
    try (HeadModel m = HeadModel.initialize(SHAPE, 42)) {
      values = m.values();
    }
    byte[] onnx = HeadOnnxExporter.export(SHAPE, values, 7);
    double diff = HeadOnnxExporter.maxDifference(SHAPE, values, onnx, 11);
    assertTrue(diff <= 1e-5, "max difference " + diff);
    // and through the search-time pooling class
    HeadState state = new HeadState(new HeadState.HeadConfig("m", "sha", 16, "mean", 1, 4, 3, 2, 8, 2, Map.of()), onnx);
    try (TrainedHeadPooling p = TrainedHeadPooling.fromState(state.serialize());
        HeadModel m = HeadModel.of(SHAPE, values)) {
      float[][] features = new float[2][4 * 16];
      Random r = new Random(3);
      for (float[] row : features) {
        for (int i = 0; i < row.length; i++) {
          row[i] = (float) r.nextGaussian();
        }
      }
      float[][] onnxOut = p.forward(2, features);
      float[][] djlOut = HeadTrainer.embed(m, features);
      for (int b = 0; b < 2; b++) {
        for (int k = 0; k < 16; k++) {
          assertEquals(djlOut[b][k], onnxOut[b][k], 1e-5);
        }
      }
    }
  }

  @Test
  void trainingLearnsASeparableTaskReproduciblyAndWithoutNans() {
    // 40 "documents" whose layer features are noisy copies of a per-document pattern; queries are other noisy
    // copies. A trained head must retrieve each query's document far better than chance.
    Random r = new Random(5);
    int docs = 40;
    int width = 4 * 16;
    float[][] patterns = new float[docs][width];
    for (float[] p : patterns) {
      for (int i = 0; i < width; i++) {
        p[i] = (float) r.nextGaussian();
      }
    }
    float[][] passages = new float[docs][];
    float[][] queries = new float[docs][];
    for (int i = 0; i < docs; i++) {
      passages[i] = noisy(patterns[i], r);
      queries[i] = noisy(patterns[i], r);
    }
    List<HeadTrainer.Example> examples = new ArrayList<>();
    for (int i = 0; i < docs; i++) {
      examples.add(new HeadTrainer.Example(i, i, Set.of(i), new int[] {(i + 1) % docs, (i + 2) % docs}));
    }
    HeadTrainer.Config config = new HeadTrainer.Config(12, 8, 1, 3e-3f, 0.01f, 20f, 12, 9);
    java.util.function.Function<java.util.function.Function<float[][], float[][]>, Double> accuracy = embed -> {
      float[][] q = embed.apply(queries);
      float[][] p = embed.apply(passages);
      int correct = 0;
      for (int i = 0; i < docs; i++) {
        int best = -1;
        double bestScore = -2;
        for (int j = 0; j < docs; j++) {
          double s = 0;
          for (int k = 0; k < q[i].length; k++) {
            s += q[i][k] * p[j][k];
          }
          if (s > bestScore) {
            bestScore = s;
            best = j;
          }
        }
        correct += best == i ? 1 : 0;
      }
      return (double) correct / docs;
    };
    List<Double> devs = new ArrayList<>();
    HeadTrainer.Result a = HeadTrainer.train(SHAPE, queries, passages, examples, accuracy, config,
        e -> devs.add(e.dev()));
    HeadTrainer.Result b = HeadTrainer.train(SHAPE, queries, passages, examples, accuracy, config, e -> { });
    for (HeadTrainer.Epoch e : a.epochs()) {
      assertTrue(e.epoch() == 0 || Double.isFinite(e.meanLoss()), "finite loss");
    }
    double best = a.epochs().stream().mapToDouble(HeadTrainer.Epoch::dev).max().orElseThrow();
    assertTrue(best >= 0.8, "accuracy after training " + best + " (chance 0.025); per epoch " + devs);
    assertEquals(a.bestEpoch(), b.bestEpoch(), "same seed, same run");
    assertEquals(a.epochs().get(a.epochs().size() - 1).meanLoss(), b.epochs().get(b.epochs().size() - 1).meanLoss(),
        1e-9);
    Set<String> names = new HashSet<>(a.best().keySet());
    assertTrue(names.contains("latents") && names.contains("to_kv"));
  }

  private static float[] noisy(float[] p, Random r) {
    float[] x = new float[p.length];
    for (int i = 0; i < p.length; i++) {
      x[i] = p[i] + (float) (r.nextGaussian() * 0.3);
    }
    return x;
  }
}
