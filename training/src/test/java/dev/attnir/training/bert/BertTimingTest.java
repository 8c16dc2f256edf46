package dev.attnir.training.bert;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.attnir.encoders.Batch;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.TensorRequest;
import dev.attnir.encoders.bert.BertWeights;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Measurements for docs/trainable-bert.md (not assertions): load and verification time, and the time of one
 * 8 x 128-token batch through the DJL forward (inference, and forward + backward) and through ONNX Runtime.
 * Run with {@code -Dattnir.bert.timing=true}.
 */
@EnabledIfSystemProperty(named = "attnir.bert.timing", matches = "true")
class BertTimingTest {

  @ParameterizedTest
  @ValueSource(strings = {"all-MiniLM-L6-v2", "bge-small-en-v1.5", "e5-small-v2"})
  void measure(String name) throws Exception {
    ModelSpec spec = ModelRegistry.resolve(name);
    long t0 = System.nanoTime();
    byte[] onnx = spec.source().readOnnx();
    BertWeights w = BertWeights.read(onnx);
    long t1 = System.nanoTime();
    try (TrainableBert m = TrainableBert.of(w)) {
      long t2 = System.nanoTime();
      double[] diffs = BertVerification.verify(m, spec);
      long t3 = System.nanoTime();
      Batch batch = syntheticBatch(8, 128, new Random(7));
      long[] inference = new long[3];
      long[] training = new long[3];
      long[] ort = new long[3];
      try (OnnxEncoder encoder = OnnxEncoder.load(spec, EncoderOptions.defaults())) {
        encoder.run(batch, TensorRequest.none()); // warm-up
        for (int i = 0; i < 3; i++) {
          long s = System.nanoTime();
          encoder.run(batch, TensorRequest.none());
          ort[i] = System.nanoTime() - s;
        }
      }
      forward(m, batch); // warm-up
      for (int i = 0; i < 3; i++) {
        long s = System.nanoTime();
        forward(m, batch);
        inference[i] = System.nanoTime() - s;
      }
      for (int i = 0; i < 3; i++) {
        long s = System.nanoTime();
        try (NDManager scope = m.manager().newSubManager();
            GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          List<NDArray> h = m.forward(batch, scope);
          gc.backward(h.get(h.size() - 1).square().mean());
        }
        training[i] = System.nanoTime() - s;
      }
      for (NDArray p : m.parameters().values()) {
        p.getGradient().subi(p.getGradient());
      }
      System.out.printf("%s: read ONNX + weights %d ms, to DJL %d ms, verification (ORT sessions + both forwards) %d ms;"
          + " 8x128 batch: DJL forward %s ms, DJL forward+backward %s ms, ORT %s ms; max |diff| per hidden state %s%n",
          name, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000, ms(inference), ms(training),
          ms(ort), Arrays.toString(diffs));
    }
  }

  private static void forward(TrainableBert m, Batch batch) {
    try (NDManager scope = m.manager().newSubManager()) {
      List<NDArray> h = m.forward(batch, scope);
      h.get(h.size() - 1).toFloatArray();
    }
  }

  private static String ms(long[] ns) {
    return Arrays.toString(Arrays.stream(ns).map(x -> x / 1_000_000).toArray());
  }

  /** [CLS] random word pieces [SEP], every row full length. */
  static Batch syntheticBatch(int rows, int len, Random r) {
    long[] ids = new long[rows * len];
    long[] mask = new long[rows * len];
    int[] lengths = new int[rows];
    int[] order = new int[rows];
    for (int b = 0; b < rows; b++) {
      order[b] = b;
      lengths[b] = len;
      for (int t = 0; t < len; t++) {
        ids[b * len + t] = t == 0 ? 101 : t == len - 1 ? 102 : 1000 + r.nextInt(28000);
        mask[b * len + t] = 1;
      }
    }
    return new Batch(order, lengths, len, ids, mask, new long[rows * len]);
  }
}
