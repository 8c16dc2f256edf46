package dev.attnir.encoders.pooling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.encoders.EncoderOutputs;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.TensorRequest;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class PoolingTest {

  /** Two rows, seq 3, hidden 2, 2 layers; row 1 has one padding position holding a huge value that must be ignored. */
  private static EncoderOutputs handMade() {
    float[] h0 = {1, 2, 3, 4, 5, 6, /* row 1 */ 10, 20, 30, 40, 999, 999};
    float[] h1 = {2, 2, 2, 2, 2, 2, /* row 1 */ 0, 0, 2, 2, 999, 999};
    float[] h2 = {0, 1, 2, 3, 4, 5, /* row 1 */ -1, -2, -3, 4, 999, 999};
    Map<Integer, float[]> hidden = Map.of(0, h0, 1, h1, 2, h2);
    return new EncoderOutputs(2, 3, 2, 0, 2, new int[] {3, 2}, h2, hidden, Map.of());
  }

  @Test
  void clsTakesFirstTokenOfLastLayer() {
    float[][] v = new ClsPooling().pool(handMade());
    assertArrayEquals(new float[] {0, 1}, v[0]);
    assertArrayEquals(new float[] {-1, -2}, v[1]);
  }

  @Test
  void meanExcludesPadding() {
    float[][] v = new MeanPooling().pool(handMade());
    assertArrayEquals(new float[] {2, 3}, v[0], 1e-6f); // (0+2+4)/3, (1+3+5)/3
    assertArrayEquals(new float[] {-2, 1}, v[1], 1e-6f); // (-1-3)/2, (-2+4)/2, the 999 padding ignored
  }

  @Test
  void maxExcludesPadding() {
    float[][] v = new MaxPooling().pool(handMade());
    assertArrayEquals(new float[] {4, 5}, v[0]);
    assertArrayEquals(new float[] {-1, 4}, v[1]);
  }

  @Test
  void embeddingsLastAveragesHiddenStateZeroWithLast() {
    Pooling p = Poolings.parse("embeddings-last-mean");
    assertEquals(TensorRequest.hidden(0, 2), p.requirements(2));
    float[][] v = p.pool(handMade());
    // row 0: tokens avg(h0,h2) = (0.5,1.5),(2.5,3.5),(4.5,5.5) -> mean (2.5,3.5)
    assertArrayEquals(new float[] {2.5f, 3.5f}, v[0], 1e-6f);
    // row 1: avg(h0,h2) over 2 tokens = (4.5,9),(13.5,22) -> mean (9,15.5)
    assertArrayEquals(new float[] {9f, 15.5f}, v[1], 1e-6f);
  }

  @Test
  void layer1LastAveragesFirstTransformerLayerWithLast() {
    Pooling p = Poolings.parse("layer1-last-mean");
    assertEquals(TensorRequest.hidden(1, 2), p.requirements(2));
    float[][] v = p.pool(handMade());
    // row 0: avg(h1,h2) = (1,1.5),(2,2.5),(3,3.5) -> (2,2.5)
    assertArrayEquals(new float[] {2f, 2.5f}, v[0], 1e-6f);
    // row 1: (-0.5,-1),(-0.5,3) -> (-0.5,1)
    assertArrayEquals(new float[] {-0.5f, 1f}, v[1], 1e-6f);
  }

  @RepeatedTest(20)
  void randomizedAgainstNaiveLoops() {
    Random r = new Random();
    int batch = 1 + r.nextInt(5);
    int seq = 1 + r.nextInt(12);
    int dim = 1 + r.nextInt(9);
    int layers = 1 + r.nextInt(4);
    int[] lengths = new int[batch];
    for (int b = 0; b < batch; b++) {
      lengths[b] = 1 + r.nextInt(seq);
    }
    float[][][][] h = new float[layers + 1][batch][seq][dim];
    Map<Integer, float[]> hidden = new HashMap<>();
    for (int l = 0; l <= layers; l++) {
      float[] flat = new float[batch * seq * dim];
      for (int b = 0; b < batch; b++) {
        for (int t = 0; t < seq; t++) {
          for (int k = 0; k < dim; k++) {
            float x = (float) r.nextGaussian();
            h[l][b][t][k] = x;
            flat[(b * seq + t) * dim + k] = x;
          }
        }
      }
      hidden.put(l, flat);
    }
    EncoderOutputs out = new EncoderOutputs(batch, seq, dim, 0, layers, lengths, hidden.get(layers), hidden, Map.of());
    int first = r.nextInt(layers + 1);
    float[][] mean = new MeanPooling().pool(out);
    float[][] max = new MaxPooling().pool(out);
    float[][] cls = new ClsPooling().pool(out);
    float[][] pair = Poolings.parse("layers-mean:" + first + ",last").pool(out);
    for (int b = 0; b < batch; b++) {
      for (int k = 0; k < dim; k++) {
        double s = 0;
        double sp = 0;
        float m = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < lengths[b]; t++) {
          s += h[layers][b][t][k];
          sp += (h[first][b][t][k] + h[layers][b][t][k]) / 2.0;
          m = Math.max(m, h[layers][b][t][k]);
        }
        assertEquals(s / lengths[b], mean[b][k], 1e-5);
        assertEquals(sp / lengths[b], pair[b][k], 1e-5);
        assertEquals(m, max[b][k]);
        assertEquals(h[layers][b][0][k], cls[b][k]);
      }
    }
  }

  @Test
  void unknownPoolingListsKnownNames() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Poolings.parse("attention-magic"));
    assertTrue(e.getMessage().contains("attention-magic"), e.getMessage());
    assertTrue(e.getMessage().contains("cls") && e.getMessage().contains("mean"), e.getMessage());
  }

  @Test
  void layerOutOfRangeIsRefused() {
    Pooling p = Poolings.parse("layers-mean:7,last");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.requirements(6));
    assertTrue(e.getMessage().contains("hidden state 7"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Poolings.parse("layers-mean:one,last"));
  }
}
