package dev.attnir.rerankers.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.TokenizedText;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The encoder reader's per-token attention equals an independent computation: a bare ONNX Runtime session on the
 * original graph with each layer's Softmax output added as a graph output (no attnir exposure code), aggregated here
 * by a separate loop over the packed sequence's spans.
 */
class EncoderReaderTest {

  private static final String QUERY = "what causes fever after vaccination";
  private static final List<String> PASSAGES = List.of(
      "Fever after vaccination is caused by the immune response to the vaccine antigen.",
      "The Eiffel Tower is a wrought-iron lattice tower in Paris.",
      "Inflammatory cytokines such as IL-6 raise body temperature in the hours after a vaccine dose.");

  private static ModelSpec spec;
  private static EncoderReader reader;

  @BeforeAll
  static void load() {
    spec = ModelRegistry.resolve("all-MiniLM-L6-v2").withMaxLength(128);
    reader = new EncoderReader(OnnxEncoder.load(spec, EncoderOptions.defaults()));
  }

  @AfterAll
  static void close() {
    reader.close();
  }

  /**
   * ICR's two reads cut the passages alike whichever query is longer: a one-word query (1 token) is shorter than
   * "N/A" (3 word pieces), and with passages long enough to be cut the reads once kept different token counts.
   */
  @Test
  void calibrationReadsKeepTheSamePassageTokensForQueriesShorterThanTheCalibrationQuery() {
    List<String> long4 = java.util.Collections.nCopies(4, "fever after vaccination is a common reaction of the "
        .repeat(30));
    var icr = new InContextReranker(reader, InContextReranker.Settings.recipe(4), "icr-test", false);
    for (String query : List.of("fever", QUERY + " " + QUERY)) {
      double[] scores = icr.score(query, long4); // threw "kept different token counts" for "fever"
      assertEquals(4, scores.length);
      List<ContextAttention> reads = reader.read(List.of(new AttentionReader.Context(query, long4,
          InContextReranker.CALIBRATION_QUERY), new AttentionReader.Context(InContextReranker.CALIBRATION_QUERY, long4,
          query)), AttentionReader.Focus.QUERY);
      assertTrue(reads.get(0).truncated());
      for (int slot = 0; slot < 4; slot++) {
        assertEquals(reads.get(0).tokens().get(slot).length, reads.get(1).tokens().get(slot).length,
            query + ": slot " + slot);
      }
    }
  }

  @Test
  void queryAndLastTokenFocusMatchABareSessionOnTheOriginalGraph() throws Exception {
    var context = new AttentionReader.Context(QUERY, PASSAGES);
    List<ContextAttention> both = reader.read(List.of(context,
        new AttentionReader.Context("N/A", PASSAGES)), AttentionReader.Focus.QUERY);
    ContextAttention last = reader.read(List.of(context), AttentionReader.Focus.LAST_QUERY_TOKEN).get(0);
    try (OnnxEncoder tokenizerOnly = OnnxEncoder.load(spec, EncoderOptions.defaults())) {
      TokenizedText packed = tokenizerOnly.tokenizer().encodePacked(QUERY, PASSAGES);
      float[][][][] attention = bareAttention(packed); // [layer][head][query row][key]
      TokenizedText.Span q = packed.segment(0);
      for (int slot = 0; slot < PASSAGES.size(); slot++) {
        TokenizedText.Span span = packed.segment(slot + 1);
        float[] got = both.get(0).tokens().get(slot);
        float[] gotLast = last.tokens().get(slot);
        assertEquals(span.length(), got.length, "slot " + slot + " token count");
        for (int t = 0; t < span.length(); t++) {
          double mean = 0;
          double lastRow = 0;
          for (float[][][] layer : attention) {
            for (float[][] head : layer) {
              for (int row = q.start(); row < q.end(); row++) {
                mean += head[row][span.start() + t] / q.length();
              }
              lastRow += head[q.end() - 1][span.start() + t];
            }
          }
          assertEquals(mean, got[t], 1e-4 * Math.max(1, Math.abs(mean)), "slot " + slot + " token " + t);
          assertEquals(lastRow, gotLast[t], 1e-4 * Math.max(1, Math.abs(lastRow)), "last, slot " + slot + " t " + t);
        }
      }
    }
    // the calibration read keeps the same passage tokens (only the query differs)
    for (int slot = 0; slot < PASSAGES.size(); slot++) {
      assertEquals(both.get(0).tokens().get(slot).length, both.get(1).tokens().get(slot).length);
    }
    // attention is a distribution per head and row: the passages can hold at most layers x heads of it
    double total = 0;
    for (int slot = 0; slot < PASSAGES.size(); slot++) {
      total += both.get(0).mass(slot);
    }
    assertTrue(total > 0 && total < 6 * 12 + 1e-3, "total passage mass " + total);
  }

  @Test
  void aCalibrationReadLaidOutForTheRealQueryKeepsTheSamePassageTokens() {
    String longQuery = "which inflammatory cytokines explain the fever that some people develop a day after a dose "
        + "of an mRNA vaccine and how long does it usually last";
    List<String> longPassages = java.util.Collections.nCopies(3, String.join(" ",
        java.util.Collections.nCopies(60, "cytokine response")));
    var real = new AttentionReader.Context(longQuery, longPassages);
    var naAsIs = new AttentionReader.Context("N/A", longPassages);
    var naLaidOut = new AttentionReader.Context("N/A", longPassages, longQuery);
    List<ContextAttention> read = reader.read(List.of(real, naAsIs, naLaidOut), AttentionReader.Focus.QUERY);
    for (int slot = 0; slot < 3; slot++) {
      int kept = read.get(0).tokens().get(slot).length;
      assertTrue(read.get(1).tokens().get(slot).length > kept, "a shorter query leaves the passages more room");
      assertEquals(kept, read.get(2).tokens().get(slot).length, "laid out for the real query: same tokens");
    }
    assertTrue(read.get(0).truncated());
  }

  @Test
  void aContextWhosePassagesCannotAllKeepATokenIsRefused() {
    List<String> many = java.util.Collections.nCopies(200, "a passage of several words each");
    var e = assertThrows(IllegalArgumentException.class,
        () -> reader.read(List.of(new AttentionReader.Context(QUERY, many)), AttentionReader.Focus.QUERY));
    assertTrue(e.getMessage().contains("context 0") && e.getMessage().contains("would keep no token"),
        e.getMessage());
  }

  private static float[][][][] bareAttention(TokenizedText packed) throws Exception {
    OnnxMl.ModelProto model = OnnxMl.ModelProto.parseFrom(spec.source().readOnnx());
    OnnxMl.GraphProto.Builder graph = model.getGraph().toBuilder();
    int layers = 0;
    for (OnnxMl.NodeProto node : model.getGraph().getNodeList()) {
      if (node.getOpType().equals("Softmax") && node.getName().contains("/attention/self/")) {
        graph.addOutput(OnnxMl.ValueInfoProto.newBuilder().setName(node.getOutput(0)).setType(
            OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()))));
        layers++;
      }
    }
    assertEquals(6, layers, "MiniLM has 6 attention Softmax nodes");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      try (OrtSession session = env.createSession(model.toBuilder().setGraph(graph).build().toByteArray(), options)) {
        long[][] ids = {packed.ids()};
        long[][] mask = new long[1][packed.length()];
        java.util.Arrays.fill(mask[0], 1);
        long[][] types = {packed.typeIds()};
        Map<String, OnnxTensor> in = new HashMap<>();
        in.put("input_ids", OnnxTensor.createTensor(env, ids));
        in.put("attention_mask", OnnxTensor.createTensor(env, mask));
        in.put("token_type_ids", OnnxTensor.createTensor(env, types));
        try (OrtSession.Result r = session.run(in)) {
          float[][][][] out = new float[layers][][][];
          for (int l = 0; l < layers; l++) {
            String name = "/encoder/layer." + l + "/attention/self/Softmax_output_0";
            out[l] = ((float[][][][]) r.get(name).orElseThrow(() -> new AssertionError("no " + name)).getValue())[0];
          }
          return out;
        } finally {
          in.values().forEach(OnnxTensor::close);
        }
      }
    }
  }
}
