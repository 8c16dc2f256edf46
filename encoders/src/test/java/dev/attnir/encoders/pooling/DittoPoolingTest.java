package dev.attnir.encoders.pooling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.EncoderOutputs;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.TensorRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DittoPoolingTest {

  /**
   * Batch 2, seq 3, hidden 1, 2 heads, 2 layers. Row 1 has length 2; its padded position carries a diagonal weight
   * and hidden values that must be ignored. Hidden states 0, 1, 2 differ so the wrong layer index shows.
   */
  private static EncoderOutputs handMade() {
    float[] h0 = {1, 2, 3, /* row 1 */ 4, 5, 100};
    float[] h1 = {10, 20, 30, /* row 1 */ 40, 50, 100};
    float[] h2 = {3, 2, 1, /* row 1 */ 6, 7, 100};
    // attention of layer 1: [b][h][i][j]; diagonals: row 0 head 0 = .1 .2 .3, head 1 = .5 .6 .7;
    // row 1 head 0 = .4 .8 (pad .9), head 1 = .25 .35 (pad .9)
    float[] a1 = new float[2 * 2 * 3 * 3];
    float[][][] diag = {{{.1f, .2f, .3f}, {.5f, .6f, .7f}}, {{.4f, .8f, .9f}, {.25f, .35f, .9f}}};
    for (int b = 0; b < 2; b++) {
      for (int h = 0; h < 2; h++) {
        for (int i = 0; i < 3; i++) {
          a1[((b * 2 + h) * 3 + i) * 3 + i] = diag[b][h][i];
        }
      }
    }
    return new EncoderOutputs(2, 3, 1, 2, 2, new int[] {3, 2}, h2, Map.of(0, h0, 1, h1, 2, h2), Map.of(1, a1));
  }

  @Test
  void firstLastUsesTheEmbeddingOutputAndTheDiagonalOfOneHead() {
    DittoPooling p = new DittoPooling(1, 1, DittoPooling.Variant.FIRST_LAST);
    assertEquals(TensorRequest.hidden(0, 2).withAttentionDiagonals(1), p.requirements(2));
    float[][] v = p.pool(handMade());
    // row 0: .5*(1+3)/2 + .6*(2+2)/2 + .7*(3+1)/2 = 1.0 + 1.2 + 1.4 = 3.6 (no renormalisation)
    assertArrayEquals(new float[] {3.6f}, v[0], 1e-6f);
    // row 1: .25*(4+6)/2 + .35*(5+7)/2 = 1.25 + 2.1 = 3.35; the padded position is ignored
    assertArrayEquals(new float[] {3.35f}, v[1], 1e-6f);
  }

  @Test
  void lastVariantAndHeadSelection() {
    float[][] v = new DittoPooling(1, 0, DittoPooling.Variant.LAST).pool(handMade());
    assertArrayEquals(new float[] {.1f * 3 + .2f * 2 + .3f * 1}, v[0], 1e-6f);
    assertArrayEquals(new float[] {.4f * 6 + .8f * 7}, v[1], 1e-6f);
  }

  @Test
  void outOfRangeLayerAndHeadAreRefused() {
    IllegalArgumentException layer = assertThrows(IllegalArgumentException.class,
        () -> new DittoPooling(2, 0, DittoPooling.Variant.FIRST_LAST).requirements(2));
    assertTrue(layer.getMessage().contains("layers 0 to 1"), layer.getMessage());
    IllegalArgumentException head = assertThrows(IllegalArgumentException.class,
        () -> new DittoPooling(1, 2, DittoPooling.Variant.FIRST_LAST).pool(handMade()));
    assertTrue(head.getMessage().contains("heads 0 to 1"), head.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Poolings.parse("ditto:3"));
    IllegalArgumentException noPair = assertThrows(IllegalArgumentException.class, () -> Poolings.parse("ditto",
        ModelRegistry.resolve("all-MiniLM-L6-v2-q")));
    assertTrue(noPair.getMessage().contains("ditto-search"), noPair.getMessage());
    DittoPooling stored = (DittoPooling) Poolings.parse("ditto", ModelRegistry.resolve("all-MiniLM-L6-v2"));
    assertEquals(0, stored.layer(), "the pair ditto-search chose for MiniLM");
    assertEquals(8, stored.head());
    assertEquals(3, ((DittoPooling) Poolings.parse("ditto",
        ModelRegistry.resolve("all-MiniLM-L6-v2").withPoolingOption("ditto.layer", "3")
            .withPoolingOption("ditto.head", "5"))).layer());
  }

  @Test
  void onARealModelItEqualsAnIndependentComputationFromAllExposedTensors() {
    List<String> texts = List.of("the cat sat on the mat", "a longer sentence about dogs chasing cats in the park");
    try (OnnxEncoder enc = OnnxEncoder.load(ModelRegistry.resolve("all-MiniLM-L6-v2"), EncoderOptions.defaults())) {
      // pooling through a session exposing only what Ditto asks for (hidden 0, 6 and attention of layer 2)
      DittoPooling ditto = new DittoPooling(2, 7, DittoPooling.Variant.FIRST_LAST);
      List<float[][]> pooled = new ArrayList<>();
      List<int[]> rows = new ArrayList<>();
      enc.encode(texts, ditto.requirements(6), (r, o) -> {
        rows.add(r);
        pooled.add(ditto.pool(o));
      }, ProgressListener.none());
      // independent: a session exposing everything, Ditto computed with plain loops
      List<EncoderOutputs> all = new ArrayList<>();
      enc.encode(texts, TensorRequest.all(6), (r, o) -> all.add(o), ProgressListener.none());
      EncoderOutputs o = all.get(0);
      for (int b = 0; b < o.batchSize(); b++) {
        double expected = 0;
        for (int i = 0; i < o.length(b); i++) {
          float w = o.attention(2)[((b * o.numHeads() + 7) * o.seqLen() + i) * o.seqLen() + i];
          int off = (b * o.seqLen() + i) * o.hiddenSize();
          expected += w * (o.hiddenState(0)[off + 5] + o.hiddenState(6)[off + 5]) / 2.0;
        }
        assertEquals(expected, pooled.get(0)[b][5], 1e-4, "row " + b + " dim 5");
      }
    }
  }
}
