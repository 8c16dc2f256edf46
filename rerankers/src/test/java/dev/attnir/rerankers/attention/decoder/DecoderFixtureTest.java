package dev.attnir.rerankers.attention.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The decoder fixture: stories260K (llama2.c) written as an ONNX Llama graph by {@link LlamaOnnxWriter}; its logits
 * and every layer's attention probabilities equal the independent plain-Java forward ({@link Llama2cModel}, from
 * run.c) to 1e-4, also for a right-padded row of a batch.
 */
class DecoderFixtureTest {

  static final Path CHECKPOINT = Path.of("../../shared/models/stories260K/stories260K.bin");
  private static Llama2cModel model;
  private static byte[] onnx;

  @BeforeAll
  static void load() throws Exception {
    Assumptions.assumeTrue(Files.exists(CHECKPOINT), "skipped: " + CHECKPOINT.toAbsolutePath().normalize()
        + " not found (../shared beside the project root holds the decoder fixture; CI has it)");
    model = Llama2cModel.read(CHECKPOINT);
    onnx = LlamaOnnxWriter.write(model);
  }

  @Test
  void headerIsStories260K() {
    assertEquals(List.of(64, 172, 5, 8, 4, 512, 512),
        List.of(model.dim, model.hidden, model.layers, model.heads, model.kvHeads, model.vocab, model.seqLen));
  }

  @Test
  void onnxGraphMatchesThePlainJavaForward() throws Exception {
    Random random = new Random(11);
    int[] a = new int[37];
    int[] b = new int[23];
    a[0] = 1; // BOS
    b[0] = 1;
    for (int i = 1; i < a.length; i++) {
      a[i] = 3 + random.nextInt(model.vocab - 3);
    }
    for (int i = 1; i < b.length; i++) {
      b[i] = 3 + random.nextInt(model.vocab - 3);
    }
    Llama2cModel.Output refA = model.forward(a);
    Llama2cModel.Output refB = model.forward(b);
    // a batch of both, b right-padded with token 0 and attention mask 0
    int s = a.length;
    long[][] ids = new long[2][s];
    long[][] mask = new long[2][s];
    long[][] pos = new long[2][s];
    for (int t = 0; t < s; t++) {
      ids[0][t] = a[t];
      mask[0][t] = 1;
      pos[0][t] = t;
      ids[1][t] = t < b.length ? b[t] : 0;
      mask[1][t] = t < b.length ? 1 : 0;
      pos[1][t] = t;
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      byte[] withAttention = exposeAttention(onnx, model.layers);
      try (OrtSession session = env.createSession(withAttention, options)) {
        Map<String, OnnxTensor> in = new HashMap<>();
        in.put("input_ids", OnnxTensor.createTensor(env, ids));
        in.put("attention_mask", OnnxTensor.createTensor(env, mask));
        in.put("position_ids", OnnxTensor.createTensor(env, pos));
        try (OrtSession.Result r = session.run(in)) {
          float[][][] logits = (float[][][]) r.get("logits").orElseThrow().getValue();
          double worst = 0;
          for (int t = 0; t < a.length; t++) {
            worst = Math.max(worst, maxDiff(refA.logits()[t], logits[0][t]));
          }
          for (int t = 0; t < b.length; t++) {
            worst = Math.max(worst, maxDiff(refB.logits()[t], logits[1][t]));
          }
          assertTrue(worst < 1e-4, "logits differ by " + worst);
          double worstAttention = 0;
          for (int l = 0; l < model.layers; l++) {
            float[][][][] att = (float[][][][]) r.get(LlamaOnnxWriter.attentionOutputs(model.layers).get(l))
                .orElseThrow().getValue();
            for (int h = 0; h < model.heads; h++) {
              for (int q = 0; q < a.length; q++) {
                worstAttention = Math.max(worstAttention, maxDiff(refA.attention()[l][h][q], att[0][h][q]));
              }
              for (int q = 0; q < b.length; q++) {
                float[] row = java.util.Arrays.copyOf(att[1][h][q], s);
                float[] ref = java.util.Arrays.copyOf(refB.attention()[l][h][q], s);
                worstAttention = Math.max(worstAttention, maxDiff(ref, row));
              }
            }
          }
          assertTrue(worstAttention < 1e-5, "attention differs by " + worstAttention);
          System.out.printf("stories260K ONNX vs plain Java: logits max diff %.2e, attention max diff %.2e%n",
              worst, worstAttention);
        } finally {
          in.values().forEach(OnnxTensor::close);
        }
      }
    }
  }

  /**
   * The layouts with a cache (optimum's eager export "with past" and the model builder's fused GroupQueryAttention)
   * give the plain-Java forward's logits, both over a whole sequence and when its prefix is run first and the rest
   * is fed with the prefix's cache: what the reader's prefix reuse relies on.
   */
  @Test
  void cachedLayoutsMatchThePlainJavaForward() throws Exception {
    Random random = new Random(5);
    int[] tokens = new int[41];
    tokens[0] = 1;
    for (int i = 1; i < tokens.length; i++) {
      tokens[i] = 3 + random.nextInt(model.vocab - 3);
    }
    Llama2cModel.Output ref = model.forward(tokens);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    for (LlamaOnnxWriter.Variant variant : List.of(LlamaOnnxWriter.Variant.EAGER_WITH_PAST,
        LlamaOnnxWriter.Variant.GQA, LlamaOnnxWriter.Variant.GQA_HALVES)) {
      try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
          OrtSession session = env.createSession(LlamaOnnxWriter.write(model, variant), options)) {
        int headSize = variant == LlamaOnnxWriter.Variant.EAGER_WITH_PAST ? model.headSize : LlamaOnnxWriter.GQA_HEAD;
        for (int split : new int[] {0, 29}) {
          float[][][] past = null;
          double worst = 0;
          for (int[] chunk : new int[][] {{0, split}, {split, tokens.length}}) {
            if (chunk[1] == chunk[0]) {
              continue;
            }
            int pastLength = chunk[0];
            int s = chunk[1] - chunk[0];
            Map<String, OnnxTensor> in = new HashMap<>();
            long[][] ids = new long[1][s];
            long[][] positions = new long[1][s];
            for (int t = 0; t < s; t++) {
              ids[0][t] = tokens[pastLength + t];
              positions[0][t] = pastLength + t;
            }
            long[][] mask = new long[1][pastLength + s];
            java.util.Arrays.fill(mask[0], 1);
            in.put("input_ids", OnnxTensor.createTensor(env, ids));
            in.put("attention_mask", OnnxTensor.createTensor(env, mask));
            if (variant == LlamaOnnxWriter.Variant.EAGER_WITH_PAST) {
              in.put("position_ids", OnnxTensor.createTensor(env, positions));
            }
            for (int l = 0; l < model.layers; l++) {
              for (int kind = 0; kind < 2; kind++) {
                float[] data = past == null ? new float[0] : past[l][kind];
                in.put("past_key_values." + l + "." + (kind == 0 ? "key" : "value"), OnnxTensor.createTensor(env,
                    java.nio.FloatBuffer.wrap(data), new long[] {1, model.kvHeads, pastLength, headSize}));
              }
            }
            try (OrtSession.Result r = session.run(in)) {
              float[][][] logits = (float[][][]) r.get("logits").orElseThrow().getValue();
              for (int t = 0; t < s; t++) {
                worst = Math.max(worst, maxDiff(ref.logits()[pastLength + t], logits[0][t]));
              }
              past = new float[model.layers][2][];
              for (int l = 0; l < model.layers; l++) {
                for (int kind = 0; kind < 2; kind++) {
                  OnnxTensor present = (OnnxTensor) r.get("present." + l + "." + (kind == 0 ? "key" : "value"))
                      .orElseThrow();
                  assertEquals(List.of(1L, (long) model.kvHeads, (long) chunk[1], (long) headSize),
                      java.util.Arrays.stream(present.getInfo().getShape()).boxed().toList());
                  java.nio.FloatBuffer buffer = present.getFloatBuffer();
                  past[l][kind] = new float[buffer.remaining()];
                  buffer.get(past[l][kind]);
                }
              }
            } finally {
              in.values().forEach(OnnxTensor::close);
            }
          }
          assertTrue(worst < 1e-4, variant + " split at " + split + ": logits differ by " + worst);
          System.out.printf("stories260K %s, prefix %d: logits max diff %.2e%n", variant, split, worst);
        }
      }
    }
  }

  @Test
  void theCheckpointIsTrained() {
    // after BOS a trained story model is confident about the next token; random weights give about 1/512
    Llama2cModel.Output out = model.forward(new int[] {1});
    float[] l = out.logits()[0];
    double max = Double.NEGATIVE_INFINITY;
    double sum = 0;
    for (float v : l) {
      max = Math.max(max, v);
    }
    for (float v : l) {
      sum += Math.exp(v - max);
    }
    assertTrue(1 / sum > 0.05, "top token probability after BOS " + 1 / sum + " (a random model gives ~0.002)");
  }

  static byte[] exposeAttention(byte[] graph, int layers) throws Exception {
    var model = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(graph);
    var g = model.getGraph().toBuilder();
    for (String name : LlamaOnnxWriter.attentionOutputs(layers)) {
      g.addOutput(ai.onnx.proto.OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(
          ai.onnx.proto.OnnxMl.TypeProto.newBuilder().setTensorType(ai.onnx.proto.OnnxMl.TypeProto.Tensor.newBuilder()
              .setElemType(ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT.getNumber()))));
    }
    return model.toBuilder().setGraph(g).build().toByteArray();
  }

  private static double maxDiff(float[] a, float[] b) {
    assertEquals(a.length, b.length);
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }
}
