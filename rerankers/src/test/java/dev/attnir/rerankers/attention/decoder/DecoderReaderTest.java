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
 * The decoder reader on the stories260K fixture: its per-token attention equals the plain-Java forward's attention
 * aggregated independently here, over ICR's prompt layout; graphs it cannot read are refused with what was looked for.
 */
class DecoderReaderTest {

  private static Llama2cModel model;
  private static Llama2cTokenizer tokenizer;
  private static byte[] onnx;
  private static DecoderReader reader;

  private static final String QUERY = "Where did Lily find the ball?";
  private static final List<String> PASSAGES = List.of(
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
  }

  @AfterAll
  static void close() {
    if (reader != null) {
      reader.close();
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
    assertTrue(e.getMessage().contains("/model/layers.N/self_attn/Softmax"), e.getMessage());
    var tooMany = java.util.Collections.nCopies(400, "Lily had a ball and a red car and a big dog.");
    var e2 = assertThrows(IllegalArgumentException.class,
        () -> reader.read(List.of(new AttentionReader.Context(QUERY, tooMany)), AttentionReader.Focus.QUERY));
    assertTrue(e2.getMessage().contains("would keep no token"), e2.getMessage());
  }
}
