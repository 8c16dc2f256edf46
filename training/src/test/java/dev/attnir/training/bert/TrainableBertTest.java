package dev.attnir.training.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.encoders.ModelRegistry;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TrainableBertTest {

  @Test
  void miniLmHiddenStatesEqualOnnxRuntimeAtLoad() {
    long t0 = System.nanoTime();
    try (TrainableBert m = TrainableBert.load(ModelRegistry.resolve("all-MiniLM-L6-v2"))) {
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertEquals(6, m.numLayers());
      assertEquals(12, m.weights().numHeads());
      double[] d = BertVerification.verify(m, ModelRegistry.resolve("all-MiniLM-L6-v2"));
      System.out.println("all-MiniLM-L6-v2 load+verify " + ms + " ms; eps " + m.weights().layerNormEps()
          + " mask " + m.weights().maskValue() + "; max |diff| per hidden state " + Arrays.toString(d));
      for (double x : d) {
        assertTrue(x <= 1e-4, Arrays.toString(d));
      }
    }
  }
}
