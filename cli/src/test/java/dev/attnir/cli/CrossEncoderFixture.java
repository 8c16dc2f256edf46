package dev.attnir.cli;

import ai.onnx.proto.OnnxMl;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * A real cross-encoder graph for tests: the all-MiniLM-L6-v2 graph with a head {@code logits [batch, n] =
 * last_hidden_state[:, 0, :] · W + b} (Gather of the CLS row, then Gemm), as encoders' TestGraphs and rerankers'
 * CrossEncoderFixture build it (copied: test classes are not shared between modules). The head is random, so the
 * scores mean nothing.
 */
final class CrossEncoderFixture {

  static final int HIDDEN = 384;

  private CrossEncoderFixture() {}

  static OnnxMl.ModelProto miniLm() throws IOException {
    return OnnxMl.ModelProto.parseFrom(miniLmSpec().source().readOnnx());
  }

  static ModelSpec miniLmSpec() {
    return ModelRegistry.resolve("all-MiniLM-L6-v2");
  }

  /** Gaussian weights {@code [HIDDEN, n]}, row-major. */
  static float[] weights(int n, long seed) {
    Random r = new Random(seed);
    float[] w = new float[HIDDEN * n];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (r.nextGaussian() * 0.2);
    }
    return w;
  }

  /** The base graph with outputs replaced by {@code logits [batch, n]}; {@code w} is {@code [HIDDEN, n]}. */
  static OnnxMl.ModelProto crossEncoder(OnnxMl.ModelProto base, float[] w, float[] bias) {
    int n = bias.length;
    OnnxMl.GraphProto.Builder g = base.getGraph().toBuilder();
    g.addInitializer(OnnxMl.TensorProto.newBuilder().setName("ce/zero")
        .setDataType(OnnxMl.TensorProto.DataType.INT64.getNumber()).addInt64Data(0)); // a scalar index: [b, h]
    g.addInitializer(floats("ce/W", w, HIDDEN, n));
    g.addInitializer(floats("ce/B", bias, n));
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Gather").setName("ce/Cls")
        .addAllInput(List.of("last_hidden_state", "ce/zero")).addOutput("ce/cls")
        .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("axis")
            .setType(OnnxMl.AttributeProto.AttributeType.INT).setI(1)));
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Gemm").setName("ce/Head")
        .addAllInput(List.of("ce/cls", "ce/W", "ce/B")).addOutput("logits"));
    OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder()
        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("batch_size"))
        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(n));
    g.clearOutput().addOutput(OnnxMl.ValueInfoProto.newBuilder().setName("logits").setType(
        OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
            .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).setShape(shape))));
    return base.toBuilder().setGraph(g).build();
  }

  private static OnnxMl.TensorProto floats(String name, float[] values, long... dims) {
    OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name)
        .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber());
    for (long d : dims) {
      t.addDims(d);
    }
    for (float v : values) {
      t.addFloatData(v);
    }
    return t.build();
  }

  /** Writes a local model directory (model.onnx, tokenizer.json, model.json with {@code maxLength}). */
  static Path write(Path parent, String name, OnnxMl.ModelProto model, int maxLength) throws IOException {
    Path dir = Files.createDirectories(parent.resolve(name));
    Files.write(dir.resolve("model.onnx"), model.toByteArray());
    Files.write(dir.resolve("tokenizer.json"), miniLmSpec().source().readTokenizerJson());
    Files.writeString(dir.resolve("model.json"), "{\"name\": \"" + name + "\", \"maxLength\": " + maxLength + "}",
        StandardCharsets.UTF_8);
    return dir;
  }
}
