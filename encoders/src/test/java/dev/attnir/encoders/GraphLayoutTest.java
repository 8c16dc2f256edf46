package dev.attnir.encoders;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.pooling.ClsPooling;
import dev.attnir.encoders.pooling.LayerMeanPooling;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Graphs that are not bare BERT encoders, built from the real all-MiniLM-L6-v2 graph (6 layers, the smallest encoder
 * we ship): a cross-encoder (logits [batch, 1])
 * under a task-model prefix, a language-model-like head that needs position_ids (logits [batch, seq, vocab]), inputs
 * the encoder cannot feed, and a graph without BERT node names. Expected values come from a bare ONNX Runtime
 * session on the unmodified graph (optimisations off, one unpadded input per run) and plain Java arithmetic.
 */
class GraphLayoutTest {

  static final String QUERY = "who discovered penicillin";
  static final List<String> PASSAGES = List.of(
      "Alexander Fleming discovered penicillin in 1928 at St Mary's Hospital in London.",
      "The mitochondrion is the powerhouse of the cell.",
      "Penicillin",
      "Howard Florey and Ernst Chain turned penicillin into a drug during the Second World War, and the three shared "
          + "the 1945 Nobel Prize in Physiology or Medicine.",
      "x");

  @TempDir
  static Path dir;
  static ModelSpec baseSpec;
  static OnnxMl.ModelProto base;
  static byte[] tokenizerJson;
  static OrtEnvironment env;
  static OrtSession bare;
  static HuggingFaceTokenizer hf;

  @BeforeAll
  static void load() throws Exception {
    baseSpec = ModelRegistry.resolve("all-MiniLM-L6-v2");
    base = OnnxMl.ModelProto.parseFrom(baseSpec.source().readOnnx());
    tokenizerJson = baseSpec.source().readTokenizerJson();
    env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      bare = env.createSession(baseSpec.source().readOnnx(), options);
    }
    hf = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson),
        Map.of("padding", "false", "truncation", "false", "addSpecialTokens", "true"));
  }

  @AfterAll
  static void close() throws Exception {
    bare.close();
    hf.close();
  }

  /** last_hidden_state of one unpadded input, from the bare session: [seq][hidden]. */
  static float[][] referenceHidden(Encoding e) throws Exception {
    Map<String, OnnxTensor> in = new HashMap<>();
    try {
      in.put("input_ids", OnnxTensor.createTensor(env, new long[][] {e.getIds()}));
      in.put("attention_mask", OnnxTensor.createTensor(env, new long[][] {e.getAttentionMask()}));
      in.put("token_type_ids", OnnxTensor.createTensor(env, new long[][] {e.getTypeIds()}));
      try (OrtSession.Result r = bare.run(in)) {
        return ((float[][][]) r.get("last_hidden_state").get().getValue())[0];
      }
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  static float[] gaussian(int n, long seed, double scale) {
    Random r = new Random(seed);
    float[] w = new float[n];
    for (int i = 0; i < n; i++) {
      w[i] = (float) (r.nextGaussian() * scale);
    }
    return w;
  }

  static double dot(float[] a, float[] w) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * w[i];
    }
    return s;
  }

  @Test
  void crossEncoderUnderATaskPrefixScoresClsDotWeightPlusBiasAndStillExposes() throws Exception {
    float[] w = gaussian(384, 7, 0.2);
    float bias = 0.25f;
    ModelSpec spec = TestGraphs.write(dir, "cross-encoder",
        TestGraphs.withPrefix(TestGraphs.crossEncoder(base, w, bias), "/bert"), tokenizerJson);
    EncoderOptions options = EncoderOptions.defaults().withMaxBatchSize(2).withConcurrency(2, 1);
    try (OnnxEncoder enc = OnnxEncoder.load(spec, options)) {
      assertEquals(new PrimaryOutput("logits", PrimaryOutput.Kind.SEQUENCE_SCORES, 1), enc.primaryOutput());
      BertLayout layout = assertInstanceOf(BertLayout.class, enc.layout());
      assertEquals("/bert", layout.prefix());
      assertEquals(6, enc.numLayers());
      assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), layout.inputs());
      assertEquals(0, enc.hiddenSize(), "no token states in a scorer's output");

      float[][] scores = enc.scorePairs(QUERY, PASSAGES);
      assertEquals(PASSAGES.size(), scores.length);
      for (int i = 0; i < PASSAGES.size(); i++) {
        float[][] h = referenceHidden(hf.encode(QUERY, PASSAGES.get(i)));
        double expected = dot(h[0], w) + bias;
        assertEquals(1, scores[i].length);
        assertEquals(expected, scores[i][0], 1e-4, "pair " + i);
      }
      // the scores are not all alike: the check above is not satisfied by a constant
      assertTrue(Math.abs(scores[0][0] - scores[1][0]) > 1e-3);

      // Exposure works on the prefixed scorer and passes the load-time checks (logits unchanged, attention rows).
      List<TokenizedText> pairs = enc.tokenizer().encodePairs(
          java.util.Collections.nCopies(PASSAGES.size(), QUERY), PASSAGES);
      TensorRequest request = TensorRequest.hidden(0, 6).withAttentions(5);
      int[] seen = new int[1];
      enc.encodeTokenized(pairs, request, (rows, out) -> {
        OnnxEncoder.checkAttention(out, 5, spec.name());
        assertEquals(384, out.hiddenSize());
        float[] last = out.lastHidden();
        for (int b = 0; b < rows.length; b++) {
          float[] cls = java.util.Arrays.copyOfRange(last, out.hiddenOffset(b, 0), out.hiddenOffset(b, 0) + 384);
          assertEquals(out.primaryOutput()[b], dot(cls, w) + bias, 1e-4);
          assertEquals(scores[rows[b]][0], out.primaryOutput()[b], 1e-4);
        }
        synchronized (seen) {
          seen[0] += rows.length;
        }
      }, ProgressListener.none());
      assertEquals(PASSAGES.size(), seen[0]);

      // (d) an embedder refuses a scorer, naming its output
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new Embedder(enc, new ClsPooling()));
      assertTrue(e.getMessage().contains("logits [batch, 1]") && e.getMessage().contains("OnnxEncoder.score"),
          e.getMessage());
    }
  }

  @Test
  void aGraphTakingPositionIdsIsFedZeroToLengthMinusOnePerRow() throws Exception {
    int vocab = 4;
    float[] w = gaussian(384 * vocab, 11, 0.1);
    ModelSpec spec = TestGraphs.write(dir, "token-logits",
        TestGraphs.tokenLogitsWithPositions(base, w, 384, vocab), tokenizerJson);
    List<String> texts = List.of("a short text", "a rather longer text that pads the other rows of this one batch",
        "mid length text here");
    try (OnnxEncoder enc = OnnxEncoder.load(spec, EncoderOptions.defaults())) {
      assertEquals(PrimaryOutput.Kind.TOKEN_LOGITS, enc.primaryOutput().kind());
      assertEquals(vocab, enc.primaryOutput().width());
      assertTrue(enc.layout().takes(GraphLayout.POSITION_IDS));
      List<EncoderOutputs> outs = new ArrayList<>();
      List<int[]> rows = new ArrayList<>();
      enc.encode(texts, TensorRequest.none(), (r, o) -> {
        rows.add(r);
        outs.add(o);
      }, ProgressListener.none());
      assertEquals(1, outs.size(), "one padded batch");
      EncoderOutputs out = outs.get(0);
      assertArrayEquals(new int[] {3, out.seqLen(), vocab}, out.primaryShape());
      float[] logits = out.primaryOutput();
      int checked = 0;
      for (int b = 0; b < 3; b++) {
        String text = texts.get(rows.get(0)[b]);
        float[][] h = referenceHidden(hf.encode(text));
        assertEquals(h.length, out.length(b));
        assertTrue(out.length(b) < out.seqLen() || b == 0, "shorter rows are padded");
        for (int t = 0; t < out.length(b); t++) {
          for (int v = 0; v < vocab; v++) {
            double proj = 0;
            for (int k = 0; k < 384; k++) {
              proj += (double) h[t][k] * w[k * vocab + v];
            }
            float got = logits[(b * out.seqLen() + t) * vocab + v];
            assertEquals(t, got - proj, 1e-3, "row " + b + " position " + t + " vocab " + v);
            checked++;
          }
        }
      }
      assertTrue(checked > 60);
      assertThrows(IllegalStateException.class, () -> out.lastHidden(), "no last_hidden_state output");
      // neither an embedder nor score() takes a language model's token logits
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new Embedder(enc, new ClsPooling()));
      assertTrue(e.getMessage().contains("language model"), e.getMessage());
      IllegalStateException s = assertThrows(IllegalStateException.class,
          () -> enc.score(enc.tokenizer().encodeAll(texts)));
      assertTrue(s.getMessage().contains("scorer"), s.getMessage());
    }
    assertArrayEquals(new long[] {0, 1, 2, 0, 1, 2}, OnnxEncoder.positionIds(2, 3));
  }

  @Test
  void inputsTheEncoderCannotFeedAreRefusedAtLoadListingThem() throws Exception {
    ModelSpec spec = TestGraphs.write(dir, "with-past",
        TestGraphs.withExtraInputs(base, "past_key_values.0.key", "past_key_values.0.value"), tokenizerJson);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OnnxEncoder.load(spec, EncoderOptions.defaults()));
    String m = e.getMessage();
    assertTrue(m.contains("[past_key_values.0.key, past_key_values.0.value]"), m);
    assertTrue(m.contains("[input_ids, attention_mask, token_type_ids, position_ids]"), m);
  }

  @Test
  void aGraphWithoutBertNamesEncodesTheSameButRefusesToExpose() throws Exception {
    ModelSpec spec = TestGraphs.write(dir, "renamed", TestGraphs.renamedNodes(base), tokenizerJson);
    try (OnnxEncoder enc = OnnxEncoder.load(spec, EncoderOptions.defaults());
        Embedder original = Embedder.load(baseSpec, new ClsPooling(), EncoderOptions.defaults())) {
      assertInstanceOf(GenericLayout.class, enc.layout());
      assertFalse(enc.canExpose());
      assertEquals(0, enc.numLayers());
      assertEquals(384, enc.hiddenSize());
      try (Embedder generic = new Embedder(enc, new ClsPooling())) {
        float[][] a = generic.embedPassages(PASSAGES, ProgressListener.none());
        float[][] b = original.embedPassages(PASSAGES, ProgressListener.none());
        for (int i = 0; i < a.length; i++) {
          assertArrayEquals(b[i], a[i], 1e-5f, "passage " + i);
        }
      }
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> enc.encode(PASSAGES, TensorRequest.hidden(1).withAttentions(0), (r, o) -> { },
              ProgressListener.none()));
      assertTrue(e.getMessage().contains("generic graph layout")
          && e.getMessage().contains("/encoder/layer.N/attention/self/Softmax")
          && e.getMessage().contains("hidden states [1]"), e.getMessage());
      IllegalArgumentException p = assertThrows(IllegalArgumentException.class,
          () -> new Embedder(enc, new LayerMeanPooling("layers", 1, 2)));
      assertTrue(p.getMessage().contains("cannot expose"), p.getMessage());
    }
  }
}
