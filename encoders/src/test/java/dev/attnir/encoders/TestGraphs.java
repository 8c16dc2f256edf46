package dev.attnir.encoders;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Builds test graphs of other architectures from a real encoder graph by adding nodes, inputs and outputs with the
 * ONNX protobuf builders: a cross-encoder head, a language-model-like head fed with {@code position_ids}, inputs the
 * encoder cannot feed, renamed nodes and a task-model prefix.
 */
public final class TestGraphs {

  private TestGraphs() {}

  static final int FLOAT = OnnxMl.TensorProto.DataType.FLOAT.getNumber();
  static final int INT64 = OnnxMl.TensorProto.DataType.INT64.getNumber();

  /** A tensor value info; each dim is a symbolic name (String) or a size (Number). */
  static OnnxMl.ValueInfoProto tensor(String name, int elemType, Object... dims) {
    OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
    for (Object d : dims) {
      shape.addDim(d instanceof String s ? OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam(s)
          : OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) d).longValue()));
    }
    return OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder()
        .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape))).build();
  }

  static OnnxMl.TensorProto floats(String name, float[] values, long... dims) {
    OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name).setDataType(FLOAT);
    for (long d : dims) {
      t.addDims(d);
    }
    for (float v : values) {
      t.addFloatData(v);
    }
    return t.build();
  }

  static OnnxMl.TensorProto longs(String name, long[] values, long... dims) {
    OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name).setDataType(INT64);
    for (long d : dims) {
      t.addDims(d);
    }
    for (long v : values) {
      t.addInt64Data(v);
    }
    return t.build();
  }

  static OnnxMl.NodeProto.Builder node(String op, String name, List<String> inputs, String output) {
    return OnnxMl.NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addOutput(output);
  }

  static OnnxMl.AttributeProto intAttribute(String name, long value) {
    return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.INT)
        .setI(value).build();
  }

  /**
   * A cross-encoder: {@code logits [batch, 1] = last_hidden_state[:, 0, :] · w + bias} (Gather of the CLS row, then
   * Gemm), replacing the graph's outputs.
   */
  static OnnxMl.ModelProto crossEncoder(OnnxMl.ModelProto base, float[] w, float bias) {
    return crossEncoder(base, w, new float[] {bias});
  }

  /**
   * A cross-encoder with {@code n = bias.length} logits: {@code logits [batch, n] = last_hidden_state[:, 0, :] · W +
   * bias}, {@code W} of shape {@code [hidden, n]} row-major.
   */
  public static OnnxMl.ModelProto crossEncoder(OnnxMl.ModelProto base, float[] w, float[] bias) {
    int n = bias.length;
    OnnxMl.GraphProto.Builder g = base.getGraph().toBuilder();
    g.addInitializer(longs("ce/zero", new long[] {0}));
    g.addInitializer(floats("ce/W", w, w.length / n, n));
    g.addInitializer(floats("ce/B", bias, n));
    g.addNode(node("Gather", "ce/Cls", List.of("last_hidden_state", "ce/zero"), "ce/cls")
        .addAttribute(intAttribute("axis", 1)));
    g.addNode(node("Gemm", "ce/Head", List.of("ce/cls", "ce/W", "ce/B"), "logits"));
    g.clearOutput().addOutput(tensor("logits", FLOAT, "batch_size", n));
    return base.toBuilder().setGraph(g).build();
  }

  /**
   * A language-model-like head that needs {@code position_ids}: {@code logits[b, t, v] = last_hidden_state[b, t, :]
   * · W[:, v] + position_ids[b, t]}, with {@code W} of shape {@code [hidden, vocab]}.
   */
  static OnnxMl.ModelProto tokenLogitsWithPositions(OnnxMl.ModelProto base, float[] w, int hidden, int vocab) {
    OnnxMl.GraphProto.Builder g = base.getGraph().toBuilder();
    g.addInput(tensor(GraphLayout.POSITION_IDS, INT64, "batch_size", "sequence_length"));
    g.addInitializer(floats("lm/W", w, hidden, vocab));
    g.addInitializer(longs("lm/shape", new long[] {0, -1, 1}, 3));
    g.addNode(node("MatMul", "lm/Proj", List.of("last_hidden_state", "lm/W"), "lm/proj"));
    g.addNode(node("Cast", "lm/Cast", List.of(GraphLayout.POSITION_IDS), "lm/pos").addAttribute(intAttribute("to",
        FLOAT)));
    g.addNode(node("Reshape", "lm/Reshape", List.of("lm/pos", "lm/shape"), "lm/pos3"));
    g.addNode(node("Add", "lm/Add", List.of("lm/proj", "lm/pos3"), "logits"));
    g.clearOutput().addOutput(tensor("logits", FLOAT, "batch_size", "sequence_length", vocab));
    return base.toBuilder().setGraph(g).build();
  }

  /** The graph with extra required float inputs {@code [batch, 12, past, 32]} that no node reads. */
  static OnnxMl.ModelProto withExtraInputs(OnnxMl.ModelProto base, String... names) {
    OnnxMl.GraphProto.Builder g = base.getGraph().toBuilder();
    for (String n : names) {
      g.addInput(tensor(n, FLOAT, "batch_size", 12, "past_sequence_length", 32));
    }
    return base.toBuilder().setGraph(g).build();
  }

  /** Every node renamed {@code node_i}, tensors untouched: the graph computes the same, but no BERT name is left. */
  static OnnxMl.ModelProto renamedNodes(OnnxMl.ModelProto base) {
    OnnxMl.GraphProto.Builder g = base.getGraph().toBuilder();
    for (int i = 0; i < g.getNodeCount(); i++) {
      g.setNode(i, g.getNode(i).toBuilder().setName("node_" + i));
    }
    return base.toBuilder().setGraph(g).build();
  }

  /**
   * Every node and every {@code /}-scoped tensor put under {@code prefix} (e.g. {@code /bert}), as a task model's
   * export names its base model's nodes.
   */
  static OnnxMl.ModelProto withPrefix(OnnxMl.ModelProto base, String prefix) {
    UnaryOperator<String> f = s -> s.startsWith("/") ? prefix + s : s;
    OnnxMl.GraphProto.Builder g = base.getGraph().toBuilder();
    for (int i = 0; i < g.getNodeCount(); i++) {
      OnnxMl.NodeProto.Builder n = g.getNode(i).toBuilder();
      n.setName(f.apply(n.getName()));
      for (int k = 0; k < n.getInputCount(); k++) {
        n.setInput(k, f.apply(n.getInput(k)));
      }
      for (int k = 0; k < n.getOutputCount(); k++) {
        n.setOutput(k, f.apply(n.getOutput(k)));
      }
      g.setNode(i, n);
    }
    for (int i = 0; i < g.getValueInfoCount(); i++) {
      g.setValueInfo(i, g.getValueInfo(i).toBuilder().setName(f.apply(g.getValueInfo(i).getName())));
    }
    return base.toBuilder().setGraph(g).build();
  }

  /** Writes {@code model.onnx} and {@code tokenizer.json} into a new directory and returns a spec for it. */
  static ModelSpec write(Path parent, String name, OnnxMl.ModelProto model, byte[] tokenizerJson)
      throws IOException {
    Path dir = Files.createDirectories(parent.resolve(name));
    Files.write(dir.resolve("model.onnx"), model.toByteArray());
    Files.write(dir.resolve("tokenizer.json"), tokenizerJson);
    return new ModelSpec(name, new ModelSource.Directory(dir), "cls", true, 512, "", "", VectorSimilarity.COSINE);
  }
}
