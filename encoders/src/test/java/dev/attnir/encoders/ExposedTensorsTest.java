package dev.attnir.encoders;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.ProgressListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ExposedTensorsTest {

  static OnnxEncoder encoder;

  @BeforeAll
  static void load() {
    encoder = OnnxEncoder.load(ModelRegistry.resolve("all-MiniLM-L6-v2"), EncoderOptions.defaults());
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  private static final List<String> TEXTS = List.of(
      "the cat sat on the mat",
      "the dog sat on the mat while the cat watched from the window sill",
      "the");

  private static List<EncoderOutputs> run(TensorRequest request) {
    List<EncoderOutputs> outs = new ArrayList<>();
    List<int[]> rows = new ArrayList<>();
    encoder.encode(TEXTS, request, (r, o) -> {
      rows.add(r);
      outs.add(o);
    }, ProgressListener.none());
    assertEquals(1, outs.size(), "one padded batch expected");
    return outs;
  }

  @Test
  void everyLayerIsExposedAndObeysTheLoadTimeChecks() {
    assertEquals(6, encoder.numLayers());
    EncoderOutputs plain = run(TensorRequest.none()).get(0);
    EncoderOutputs all = run(TensorRequest.all(6)).get(0);
    assertEquals(12, all.numHeads());
    assertEquals(12, encoder.numHeads());
    // the batch is padded: rows have different lengths
    assertTrue(all.length(0) != all.length(2));
    for (int layer = 0; layer < 6; layer++) {
      OnnxEncoder.checkAttention(all, layer, "all-MiniLM-L6-v2");
    }
    // last exposed hidden state is last_hidden_state, and equals the unmodified graph's output
    assertSame(all.lastHidden(), all.hiddenState(6));
    float[] a = plain.lastHidden();
    float[] b = all.lastHidden();
    for (int i = 0; i < a.length; i++) {
      assertEquals(a[i], b[i], 1e-4, "last hidden state differs at " + i);
    }
  }

  @Test
  void inGraphAttentionDiagonalsEqualTheFullMapsDiagonals() {
    EncoderOutputs all = run(TensorRequest.all(6)).get(0);
    EncoderOutputs diag = run(TensorRequest.none().withAttentionDiagonals(1, 5)).get(0);
    assertEquals(12, diag.numHeads());
    for (int layer : new int[] {1, 5}) {
      float[] d = diag.attentionDiagonal(layer);
      assertEquals(all.batchSize() * 12 * all.seqLen(), d.length);
      for (int b = 0; b < all.batchSize(); b++) {
        for (int h = 0; h < 12; h++) {
          for (int i = 0; i < all.seqLen(); i++) {
            assertEquals(all.attention(layer)[all.attentionOffset(b, h, i) + i], d[(b * 12 + h) * all.seqLen() + i],
                1e-7, "layer " + layer + " row " + b + " head " + h + " token " + i);
          }
        }
      }
    }
    assertThrows(IllegalStateException.class, () -> diag.attention(1), "the full map was not fetched");
  }

  @Test
  void firstSegmentRowsAreTheFullMapsLeadingRowsUpToTheLongestQuery() {
    TextTokenizer tokenizer = encoder.tokenizer();
    List<TokenizedText> packed = List.of(
        tokenizer.encodePacked("which cat sat", List.of("the cat sat on the mat", "a dog barked")),
        tokenizer.encodePacked("where did the dog that barked at the postman sit down",
            List.of("the dog sat on the mat while the cat watched", "nothing", "the window sill")),
        tokenizer.encodePacked("mat", List.of("the")));
    int longestQueryEnd = packed.stream().mapToInt(t -> t.segment(0).end()).max().orElseThrow();
    List<EncoderOutputs> full = new ArrayList<>();
    List<EncoderOutputs> rows = new ArrayList<>();
    List<int[]> order = new ArrayList<>();
    encoder.encodeTokenized(packed, TensorRequest.none().withAttentions(0, 5), (r, o) -> full.add(o),
        ProgressListener.none());
    encoder.encodeTokenized(packed, TensorRequest.none().withFirstSegmentAttentions(0, 5), (r, o) -> {
      order.add(r);
      rows.add(o);
    }, ProgressListener.none());
    assertEquals(1, rows.size(), "one padded batch expected");
    EncoderOutputs all = full.get(0);
    EncoderOutputs sliced = rows.get(0);
    assertEquals(longestQueryEnd, sliced.firstSegmentRows());
    assertTrue(longestQueryEnd < sliced.seqLen() / 2, "the slice must be a real cut: " + longestQueryEnd);
    assertEquals(12, sliced.numHeads());
    for (int layer : new int[] {0, 5}) {
      float[] a = all.attention(layer);
      float[] r = sliced.firstSegmentAttention(layer);
      assertEquals(all.batchSize() * 12 * longestQueryEnd * all.seqLen(), r.length);
      for (int b = 0; b < all.batchSize(); b++) {
        for (int h = 0; h < 12; h++) {
          for (int i = 0; i < longestQueryEnd; i++) {
            for (int j = 0; j < all.seqLen(); j++) {
              assertEquals(a[all.attentionOffset(b, h, i) + j], r[sliced.firstSegmentAttentionOffset(b, h, i) + j],
                  1e-7, "layer " + layer + " row " + b + " head " + h + " query " + i + " key " + j);
            }
          }
        }
      }
    }
    assertThrows(IndexOutOfBoundsException.class, () -> sliced.firstSegmentAttentionOffset(0, 0, longestQueryEnd));
    assertThrows(IllegalStateException.class, () -> sliced.attention(0), "the full map was not fetched");
  }

  @Test
  void hiddenStateZeroIsTheContextFreeEmbeddingOutput() {
    EncoderOutputs out = run(TensorRequest.hidden(0, 1)).get(0);
    // Rows are length-sorted: find "the cat sat..." and "the dog sat..." rows by length. Both start [CLS] the ...
    int d = out.hiddenSize();
    int r0 = 0;
    int r1 = 1;
    float[] h0 = out.hiddenState(0);
    float[] h1 = out.hiddenState(1);
    // Position 1 holds "the" in both rows: the embedding output depends only on token, position and segment.
    float[] e0 = java.util.Arrays.copyOfRange(h0, out.hiddenOffset(r0, 1), out.hiddenOffset(r0, 1) + d);
    float[] e1 = java.util.Arrays.copyOfRange(h0, out.hiddenOffset(r1, 1), out.hiddenOffset(r1, 1) + d);
    assertArrayEquals(e0, e1, 1e-6f);
    // After one transformer layer the same token at the same position differs, because its context differs.
    double diff = 0;
    for (int k = 0; k < d; k++) {
      diff += Math.abs(h1[out.hiddenOffset(r0, 1) + k] - h1[out.hiddenOffset(r1, 1) + k]);
    }
    assertTrue(diff > 1e-3, "layer-1 states of 'the' in two contexts should differ, total |diff| " + diff);
  }

  @Test
  void attentionCheckRejectsRowsThatDoNotSumToOneAndAttentionToPadding() {
    // batch 1, 1 head, seq 3, real length 2
    float[] good = {0.5f, 0.5f, 0f, 0.25f, 0.75f, 0f, 0.5f, 0.5f, 0f};
    EncoderOutputs ok = outputsWithAttention(good);
    OnnxEncoder.checkAttention(ok, 0, "m");
    float[] badSum = good.clone();
    badSum[0] = 0.4f;
    IllegalStateException e1 = assertThrows(IllegalStateException.class,
        () -> OnnxEncoder.checkAttention(outputsWithAttention(badSum), 0, "m"));
    assertTrue(e1.getMessage().contains("sums to"), e1.getMessage());
    float[] padding = {0.5f, 0.4f, 0.1f, 0.25f, 0.75f, 0f, 0.5f, 0.5f, 0f};
    IllegalStateException e2 = assertThrows(IllegalStateException.class,
        () -> OnnxEncoder.checkAttention(outputsWithAttention(padding), 0, "m"));
    assertTrue(e2.getMessage().contains("to padding"), e2.getMessage());
  }

  private static EncoderOutputs outputsWithAttention(float[] att) {
    return new EncoderOutputs(1, 3, 1, 1, 1, new int[] {2}, new float[3], Map.of(), Map.of(0, att));
  }

  @Test
  void outOfRangeRequestsAreRefusedWithTheValidRange() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> encoder.run(Batch.of(new int[] {0}, encoder.tokenizer().encodeAll(List.of("x"))),
            TensorRequest.none().withAttentions(6)));
    assertTrue(e.getMessage().contains("layers 0 to 5"), e.getMessage());
    IllegalArgumentException h = assertThrows(IllegalArgumentException.class,
        () -> encoder.run(Batch.of(new int[] {0}, encoder.tokenizer().encodeAll(List.of("x"))),
            TensorRequest.hidden(7)));
    assertTrue(h.getMessage().contains("0 (embeddings) to 6"), h.getMessage());
  }

  @Test
  void quantizedModelPassesTheSameChecks() {
    try (OnnxEncoder q = OnnxEncoder.load(ModelRegistry.resolve("bge-small-en-v1.5-q"), EncoderOptions.defaults())) {
      assertEquals(12, q.numLayers());
      List<EncoderOutputs> outs = new ArrayList<>();
      q.encode(TEXTS, TensorRequest.all(12), (r, o) -> outs.add(o), ProgressListener.none());
      for (int layer = 0; layer < 12; layer++) {
        OnnxEncoder.checkAttention(outs.get(0), layer, "bge-small-en-v1.5-q");
      }
    }
  }
}
