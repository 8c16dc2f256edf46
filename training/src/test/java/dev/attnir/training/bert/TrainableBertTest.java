package dev.attnir.training.bert;

import ai.onnx.proto.OnnxMl;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.bert.BertWeights;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainableBertTest {

  @Test
  void miniLmHiddenStatesEqualOnnxRuntimeAtLoad() throws Exception {
    hiddenStatesEqualOnnxRuntimeAtLoad("all-MiniLM-L6-v2", 6, 12);
    // the verification batch's pair row exercises the second token type
    try (var tok = dev.attnir.encoders.TextTokenizer.fromJson(
        ModelRegistry.resolve("all-MiniLM-L6-v2").source().readTokenizerJson(), 512)) {
      long[] types = tok.encodePair(BertVerification.PAIR.get(0), BertVerification.PAIR.get(1)).typeIds();
      assertTrue(Arrays.stream(types).anyMatch(t -> t == 1), Arrays.toString(types));
    }
  }

  /**
   * The 12-layer models take about 10 s each on a 2-core machine, so they run only with
   * {@code -Dattnir.bert.allModels=true}; their measured differences are in docs/trainable-bert.md.
   */
  @ParameterizedTest
  @CsvSource({"bge-small-en-v1.5, 12, 12", "e5-small-v2, 12, 12"})
  @EnabledIfSystemProperty(named = "attnir.bert.allModels", matches = "true")
  void twelveLayerModelsEqualOnnxRuntimeAtLoad(String name, int layers, int heads) {
    hiddenStatesEqualOnnxRuntimeAtLoad(name, layers, heads);
  }

  private static void hiddenStatesEqualOnnxRuntimeAtLoad(String name, int layers, int heads) {
    long t0 = System.nanoTime();
    try (TrainableBert m = TrainableBert.load(ModelRegistry.resolve(name))) {
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertEquals(layers, m.numLayers());
      assertEquals(heads, m.weights().numHeads());
      assertEquals(384, m.weights().hiddenSize());
      double[] d = m.verifiedDifferences();
      System.out.println(name + ": load + verification " + ms + " ms; LayerNorm eps " + m.weights().layerNormEps()
          + ", mask value " + m.weights().maskValue() + "; max |DJL - ORT| per hidden state (0 = embeddings) "
          + Arrays.toString(d));
      assertEquals(layers + 1, d.length);
      for (double x : d) {
        assertTrue(x <= 1e-4, Arrays.toString(d));
      }
    }
  }

  @Test
  void denseKernelsAreInputMajorAsMatMulTakesThem() throws Exception {
    BertWeights w = BertWeights.read(ModelRegistry.resolve("all-MiniLM-L6-v2").source().readOnnx());
    assertArrayEquals(new long[] {384, 1536}, w.tensor("encoder.layer.0.intermediate.dense.weight").shape());
    assertArrayEquals(new long[] {1536, 384}, w.tensor("encoder.layer.0.output.dense.weight").shape());
    assertArrayEquals(new long[] {1536}, w.tensor("encoder.layer.5.intermediate.dense.bias").shape());
    // anonymous kernels were found through their MatMul node, named biases keep their names
    assertTrue(w.tensor("encoder.layer.2.attention.self.key.weight").initializer().startsWith("onnx::MatMul_"));
    assertEquals("encoder.layer.2.attention.self.key.bias",
        w.tensor("encoder.layer.2.attention.self.key.bias").initializer());
    assertEquals(6 * 16 + 5, w.tensors().size());
  }

  @Test
  void aWrongLayerIsRefusedNamingTheLayerAndTheDifference() throws Exception {
    ModelSpec spec = ModelRegistry.resolve("all-MiniLM-L6-v2");
    try (TrainableBert m = TrainableBert.of(BertWeights.read(spec.source().readOnnx()))) {
      m.parameters().get("encoder.layer.2.output.LayerNorm.bias").addi(0.01f);
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> BertVerification.verify(m, spec));
      assertTrue(e.getMessage().contains("at layer 2 (hidden state 3) by 0.01"), e.getMessage());
    }
  }

  @Test
  void unrecognisedGraphsAreRefused() throws Exception {
    OnnxMl.ModelProto model = OnnxMl.ModelProto.parseFrom(
        ModelRegistry.resolve("all-MiniLM-L6-v2").source().readOnnx());
    // a tanh-approximated activation is not what the forward pass computes
    OnnxMl.ModelProto tanh = edit(model, "/encoder/layer.1/intermediate/intermediate_act_fn/Erf", "Tanh", null);
    IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class,
        () -> BertWeights.read(tanh.toByteArray()));
    assertTrue(e1.getMessage().contains("intermediate_act_fn/Erf is Tanh"), e1.getMessage());
    // a graph without the expected node names (e.g. another exporter's) is not guessed at
    OnnxMl.ModelProto renamed = edit(model, "/encoder/layer.0/attention/self/query/MatMul", null, "MatMul_17");
    IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
        () -> BertWeights.read(renamed.toByteArray()));
    assertTrue(e2.getMessage().contains("no node /encoder/layer.0/attention/self/query/MatMul"), e2.getMessage());
    IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class,
        () -> BertWeights.read(new byte[] {1, 2, 3}));
    assertTrue(e3.getMessage().startsWith("not an ONNX model"), e3.getMessage());
  }

  private static OnnxMl.ModelProto edit(OnnxMl.ModelProto m, String node, String newOp, String newName) {
    OnnxMl.GraphProto.Builder g = m.getGraph().toBuilder();
    for (int i = 0; i < g.getNodeCount(); i++) {
      if (g.getNode(i).getName().equals(node)) {
        OnnxMl.NodeProto.Builder n = g.getNode(i).toBuilder();
        if (newOp != null) {
          n.setOpType(newOp);
        }
        if (newName != null) {
          n.setName(newName);
        }
        g.setNode(i, n);
      }
    }
    return m.toBuilder().setGraph(g).build();
  }
}
