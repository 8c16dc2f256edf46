package dev.attnir.rerankers.attention.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.Candidate;
import dev.attnir.rerankers.attention.AttentionReader;
import dev.attnir.rerankers.attention.ContextAttention;
import dev.attnir.rerankers.attention.DecoderReader;
import dev.attnir.rerankers.attention.InContextReranker;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The decoder reader on the stories260K fixture, in the three export layouts {@link LlamaOnnxWriter} writes (eager
 * without and with a cache: exposed probabilities; fused GroupQueryAttention: rows recomputed from Q and K, prefix
 * cache reused): its per-token attention equals the plain-Java forward's attention aggregated independently here,
 * over ICR's prompt layout, also for ICR's calibration read; graphs it cannot read are refused with what was looked
 * for.
 */
class DecoderReaderTest {

  private static Llama2cModel model;
  private static Llama2cTokenizer tokenizer;
  private static byte[] onnx;
  private static DecoderReader reader;
  private static DecoderReader withPast;
  private static DecoderReader fused;
  private static DecoderReader fusedHalves;
  private static DecoderReader fusedPacked;

  static final String QUERY = "Where did Lily find the ball?";
  static final List<String> PASSAGES = List.of(
      "Tom had a big red car. He liked to play with it every day.",
      "Lily looked under the bed and found her ball. She was very happy.",
      "The sun was hot and the birds sang in the tree.");

  @BeforeAll
  static void load() throws Exception {
    Assumptions.assumeTrue(Files.exists(DecoderFixtureTest.CHECKPOINT), "skipped: the decoder fixture "
        + DecoderFixtureTest.CHECKPOINT + " is absent (../shared; CI has it)");
    model = Llama2cModel.read(DecoderFixtureTest.CHECKPOINT);
    tokenizer = new Llama2cTokenizer(DecoderFixtureTest.CHECKPOINT.resolveSibling("tok512.bin"), model.vocab);
    onnx = LlamaOnnxWriter.write(model);
    reader = new DecoderReader("stories260K", onnx, tokenizer, 1, 0, model.seqLen,
        DecoderReader.Prompt.icrQa(), "test");
    withPast = new DecoderReader("stories260K-past", LlamaOnnxWriter.write(model,
        LlamaOnnxWriter.Variant.EAGER_WITH_PAST), tokenizer, 1, 0, model.seqLen, DecoderReader.Prompt.icrQa(), "test");
    fused = new DecoderReader("stories260K-gqa", LlamaOnnxWriter.write(model, LlamaOnnxWriter.Variant.GQA),
        tokenizer, 1, 0, model.seqLen, DecoderReader.Prompt.icrQa(), "test");
    fusedPacked = new DecoderReader("stories260K-gqa-packed", LlamaOnnxWriter.write(model,
        LlamaOnnxWriter.Variant.GQA_PACKED), tokenizer, 1, 0, model.seqLen, DecoderReader.Prompt.icrQa(), "test");
    fusedHalves = new DecoderReader("stories260K-gqa-halves", LlamaOnnxWriter.write(model,
        LlamaOnnxWriter.Variant.GQA_HALVES), tokenizer, 1, 0, model.seqLen, DecoderReader.Prompt.icrQa(), "test");
  }

  @AfterAll
  static void close() {
    for (DecoderReader r : new DecoderReader[] {reader, withPast, fused, fusedHalves, fusedPacked}) {
      if (r != null) {
        r.close();
      }
    }
  }

  @Test
  void eachLayoutIsReadByTheRouteItAllows() {
    assertEquals(DecoderReader.Route.EXPOSED_PROBABILITIES, reader.route());
    assertEquals(DecoderReader.Route.EXPOSED_PROBABILITIES, withPast.route());
    assertEquals(DecoderReader.Route.RECOMPUTED_FROM_QK, fused.route());
    assertEquals(DecoderReader.Route.RECOMPUTED_FROM_QK, fusedPacked.route());
    assertEquals(List.of(false, true, true), List.of(reader.reusesPrefix(), withPast.reusesPrefix(),
        fused.reusesPrefix()));
    assertEquals(List.of(5, 5, 5), List.of(reader.layers(), withPast.layers(), fused.layers()));
  }

  /** Per slot, the focus rows' attention to each passage token from the plain-Java forward over the same ids. */
  private static List<double[]> expected(DecoderReader.Layout layout, AttentionReader.Focus focus) {
    int[] ids = java.util.Arrays.stream(layout.ids()).mapToInt(Math::toIntExact).toArray();
    Llama2cModel.Output ref = model.forward(ids);
    int from = focus == AttentionReader.Focus.QUERY ? layout.focusStart() : layout.focusEnd() - 1;
    List<double[]> out = new java.util.ArrayList<>();
    for (int[] span : layout.passageSpans()) {
      double[] w = new double[span[1] - span[0]];
      for (int t = span[0]; t < span[1]; t++) {
        for (float[][][] layer : ref.attention()) {
          for (float[][] head : layer) {
            for (int q = from; q < layout.focusEnd(); q++) {
              w[t - span[0]] += head[q][t] / (layout.focusEnd() - from);
            }
          }
        }
      }
      out.add(w);
    }
    return out;
  }

  /**
   * ICR's two reads (the query, and "N/A" laid out for the query) with passages long enough to be cut: every layout
   * keeps the same passage tokens in both reads and reports the plain-Java forward's attention, the cached layouts
   * after running the shared prefix once.
   */
  @Test
  void calibrationReadsMatchThePlainForwardInEveryLayout() {
    String story = "Lily and Tom went to the park. They saw a big dog and a little cat. The dog wanted to play with "
        + "the ball, but the cat was scared. ";
    List<String> passages = List.of(story.repeat(4), PASSAGES.get(1) + " " + story.repeat(3), story.repeat(5));
    var asked = new AttentionReader.Context(QUERY, passages);
    var calibration = new AttentionReader.Context(InContextReranker.CALIBRATION_QUERY, passages, QUERY);
    DecoderReader.Layout askedLayout = reader.layout(asked);
    DecoderReader.Layout calibrationLayout = reader.layout(calibration);
    assertTrue(askedLayout.truncated(), "the passages are cut");
    for (int slot = 0; slot < passages.size(); slot++) {
      int[] a = askedLayout.passageSpans()[slot];
      int[] c = calibrationLayout.passageSpans()[slot];
      assertEquals(List.of(a[0], a[1]), List.of(c[0], c[1]), "slot " + slot + " is cut alike in both reads");
    }
    assertEquals(askedLayout.queryStart(), calibrationLayout.queryStart());
    for (AttentionReader.Focus focus : AttentionReader.Focus.values()) {
      List<double[]> wantAsked = expected(askedLayout, focus);
      List<double[]> wantCalibration = expected(calibrationLayout, focus);
      for (DecoderReader r : List.of(reader, withPast, fused, fusedHalves, fusedPacked)) {
        List<ContextAttention> got = r.read(List.of(asked, calibration), focus);
        for (int slot = 0; slot < passages.size(); slot++) {
          assertClose(wantAsked.get(slot), got.get(0).tokens().get(slot), r.name() + " " + focus + " slot " + slot);
          assertClose(wantCalibration.get(slot), got.get(1).tokens().get(slot),
              r.name() + " " + focus + " calibration slot " + slot);
        }
      }
    }
  }

  /** A query shorter than "N/A" is read and calibrated like any other (the decoder once refused it). */
  @Test
  void aOneWordQueryIsCalibratedWithTheSameCuts() {
    String story = "Lily and Tom went to the park. They saw a big dog and a little cat. ";
    List<String> passages = List.of(story.repeat(8), story.repeat(8), story.repeat(8));
    var asked = new AttentionReader.Context("ball", passages, InContextReranker.CALIBRATION_QUERY);
    var calibration = new AttentionReader.Context(InContextReranker.CALIBRATION_QUERY, passages, "ball");
    DecoderReader.Layout a = reader.layout(asked);
    DecoderReader.Layout c = reader.layout(calibration);
    assertTrue(a.truncated());
    assertEquals(a.queryStart(), c.queryStart());
    assertTrue(java.util.Arrays.equals(a.ids(), 0, a.queryStart(), c.ids(), 0, c.queryStart()));
    var icr = new InContextReranker(fused, InContextReranker.Settings.recipe(3), "icr-stories", false);
    List<Candidate> candidates = List.of(new Candidate("a", 1, 3, 0, 0, 1, passages.get(0)),
        new Candidate("b", 2, 2, 0, 0, 1, passages.get(1)), new Candidate("c", 3, 1, 0, 0, 1, passages.get(2)));
    assertEquals(3, icr.rerank("ball", candidates).size());
  }

  private static void assertClose(double[] want, float[] got, String what) {
    assertEquals(want.length, got.length, what + ": tokens");
    for (int t = 0; t < want.length; t++) {
      assertEquals(want[t], got[t], 1e-4, what + " token " + t);
    }
  }

  @Test
  void tokenizerRoundTrips() {
    long[] ids = tokenizer.encode("Lily found her ball.");
    assertEquals(" Lily found her ball.", tokenizer.decode(ids));
    assertTrue(ids.length < 12, "merges happened: " + ids.length + " tokens");
  }

  @Test
  void attentionEqualsThePlainJavaForwardOverTheSameLayout() {
    for (DecoderReader r : List.of(reader, withPast, fused, fusedHalves, fusedPacked)) {
      attentionEqualsThePlainJavaForward(r);
    }
  }

  private void attentionEqualsThePlainJavaForward(DecoderReader reader) {
    var context = new AttentionReader.Context(QUERY, PASSAGES);
    DecoderReader.Layout layout = reader.layout(context);
    int[] ids = java.util.Arrays.stream(layout.ids()).mapToInt(Math::toIntExact).toArray();
    Llama2cModel.Output ref = model.forward(ids);
    for (AttentionReader.Focus focus : AttentionReader.Focus.values()) {
      // batched with a longer context, so this one is right-padded
      var longer = new AttentionReader.Context(QUERY, List.of(PASSAGES.get(0) + " " + PASSAGES.get(1),
          PASSAGES.get(1), PASSAGES.get(2) + " " + PASSAGES.get(2)));
      ContextAttention got = reader.read(List.of(context, longer), focus).get(0);
      int from = focus == AttentionReader.Focus.QUERY ? layout.focusStart() : layout.focusEnd() - 1;
      for (int slot = 0; slot < PASSAGES.size(); slot++) {
        int[] span = layout.passageSpans()[slot];
        assertEquals(span[1] - span[0], got.tokens().get(slot).length);
        for (int t = span[0]; t < span[1]; t++) {
          double expected = 0;
          for (float[][][] layer : ref.attention()) {
            for (float[][] head : layer) {
              for (int q = from; q < layout.focusEnd(); q++) {
                expected += head[q][t] / (layout.focusEnd() - from);
              }
            }
          }
          assertEquals(expected, got.tokens().get(slot)[t - span[0]], 1e-4, focus + " slot " + slot + " token " + t);
        }
      }
    }
    // the layout is ICR's: "[i] passage" spans in order, the focus from the late instruction to the end
    String decoded = tokenizer.decode(java.util.Arrays.copyOfRange(layout.ids(), layout.passageSpans()[1][0],
        layout.passageSpans()[1][1]));
    assertTrue(decoded.contains("[2]") && decoded.contains("Lily looked under the bed"), decoded);
    String focus = tokenizer.decode(java.util.Arrays.copyOfRange(layout.ids(), layout.focusStart(),
        layout.focusEnd()));
    assertTrue(focus.contains("Please answer") && focus.endsWith("Where did Lily find the ball?"), focus);
  }

  @Test
  void icrRunsOnTheDecoderReader() {
    var icr = new InContextReranker(reader, InContextReranker.Settings.recipe(3), "icr-stories", false);
    List<Candidate> candidates = List.of(new Candidate("tom", 1, 3, 0, 0, 1, PASSAGES.get(0)),
        new Candidate("lily", 2, 2, 0, 0, 1, PASSAGES.get(1)), new Candidate("sun", 3, 1, 0, 0, 1, PASSAGES.get(2)));
    var ranking = icr.rerank(QUERY, candidates);
    // a story model is no reranker: only check that every candidate comes back once
    assertEquals(java.util.Set.of("tom", "lily", "sun"),
        ranking.docs().stream().map(d -> d.docId()).collect(java.util.stream.Collectors.toSet()));
    assertEquals(3, ranking.size());
    System.out.println("ICR with the stories260K reader: " + ranking.docs().stream().map(d -> d.docId()).toList());
  }

  @Test
  void graphsItCannotReadAreRefusedSayingWhatWasLookedFor() throws Exception {
    var model260 = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(onnx);
    var g = model260.getGraph().toBuilder();
    for (int i = 0; i < g.getNodeCount(); i++) {
      if (g.getNode(i).getOpType().equals("Softmax")) {
        g.setNode(i, g.getNode(i).toBuilder().setName("fused_" + i));
      }
    }
    byte[] renamed = model260.toBuilder().setGraph(g).build().toByteArray();
    var e = assertThrows(IllegalArgumentException.class, () -> new DecoderReader("fused", renamed, tokenizer, 1, 0,
        512, DecoderReader.Prompt.icrQa(), "test"));
    assertTrue(e.getMessage().contains("/model/layers.N/self_attn/Softmax")
        && e.getMessage().contains("GroupQueryAttention") && e.getMessage().contains("found neither"), e.getMessage());
    // fused attention with a feature the recomputation does not reproduce
    var gqa = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(LlamaOnnxWriter.write(model, LlamaOnnxWriter.Variant.GQA));
    var capped = gqa.getGraph().toBuilder();
    for (int i = 0; i < capped.getNodeCount(); i++) {
      if (capped.getNode(i).getOpType().equals("GroupQueryAttention")) {
        capped.setNode(i, capped.getNode(i).toBuilder().addAttribute(ai.onnx.proto.OnnxMl.AttributeProto.newBuilder()
            .setName("softcap").setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.FLOAT).setF(30f)));
      }
    }
    byte[] softcapped = gqa.toBuilder().setGraph(capped).build().toByteArray();
    var e3 = assertThrows(IllegalArgumentException.class, () -> new DecoderReader("capped", softcapped, tokenizer, 1,
        0, 512, DecoderReader.Prompt.icrQa(), "test"));
    assertTrue(e3.getMessage().contains("softcap=30.0") && e3.getMessage().contains("/model/layers.0/attn"),
        e3.getMessage());
    // fused attention of another kind (MultiHeadAttention: no present_key to recompute rows from) is refused by name
    var mha = gqa.getGraph().toBuilder();
    for (int i = 0; i < mha.getNodeCount(); i++) {
      if (mha.getNode(i).getOpType().equals("GroupQueryAttention")) {
        mha.setNode(i, mha.getNode(i).toBuilder().setOpType("MultiHeadAttention"));
      }
    }
    byte[] multiHead = gqa.toBuilder().setGraph(mha).build().toByteArray();
    var e5 = assertThrows(IllegalArgumentException.class, () -> new DecoderReader("mha", multiHead, tokenizer, 1, 0,
        512, DecoderReader.Prompt.icrQa(), "test"));
    assertTrue(e5.getMessage().contains("found only [com.microsoft.MultiHeadAttention]"), e5.getMessage());
    // a cache input whose present output is missing
    var noPresent = gqa.getGraph().toBuilder();
    for (int i = noPresent.getOutputCount() - 1; i >= 0; i--) {
      if (noPresent.getOutput(i).getName().equals("present.3.value")) {
        noPresent.removeOutput(i);
      }
    }
    byte[] withoutPresent = gqa.toBuilder().setGraph(noPresent).build().toByteArray();
    var e4 = assertThrows(IllegalArgumentException.class, () -> new DecoderReader("no-present", withoutPresent,
        tokenizer, 1, 0, 512, DecoderReader.Prompt.icrQa(), "test"));
    assertTrue(e4.getMessage().contains("past_key_values.3.value") && e4.getMessage().contains("present.3.value"),
        e4.getMessage());
    var tooMany = java.util.Collections.nCopies(400, "Lily had a ball and a red car and a big dog.");
    var e2 = assertThrows(IllegalArgumentException.class,
        () -> reader.read(List.of(new AttentionReader.Context(QUERY, tooMany)), AttentionReader.Focus.QUERY));
    assertTrue(e2.getMessage().contains("would keep no token"), e2.getMessage());
  }
}
