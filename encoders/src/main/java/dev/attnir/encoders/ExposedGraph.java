package dev.attnir.encoders;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A BERT-style ONNX graph (HuggingFace optimum export, as packed in the langchain4j model jars) whose intermediate
 * tensors can be made graph outputs: every layer's hidden state and post-softmax attention probabilities. The edit
 * only adds outputs; no node changes, so the exposed graph computes what the original computes (ONNX Runtime may
 * fuse fewer nodes, which {@link OnnxEncoder} checks at load).
 */
public final class ExposedGraph {

  /** Input names the encoders feed. */
  public static final String INPUT_IDS = "input_ids";
  public static final String ATTENTION_MASK = "attention_mask";
  public static final String TOKEN_TYPE_IDS = "token_type_ids";
  /** The one output of the unmodified graph. */
  public static final String LAST_HIDDEN_STATE = "last_hidden_state";

  private static final Pattern SOFTMAX = Pattern.compile("/encoder/layer\\.(\\d+)/attention/self/Softmax");

  private final OnnxMl.ModelProto model;
  private final String modelName;
  private final int numLayers;
  private final Set<String> produced = new HashSet<>();
  private final Set<String> inputs = new HashSet<>();

  private ExposedGraph(OnnxMl.ModelProto model, String modelName) {
    this.model = model;
    this.modelName = modelName;
    for (OnnxMl.NodeProto node : model.getGraph().getNodeList()) {
      produced.addAll(node.getOutputList());
    }
    for (OnnxMl.ValueInfoProto in : model.getGraph().getInputList()) {
      inputs.add(in.getName());
    }
    this.numLayers = countLayers();
  }

  /**
   * Parses a serialized model.
   *
   * @throws IllegalArgumentException when the bytes are not a model or have no recognisable BERT attention layers
   */
  public static ExposedGraph parse(byte[] onnx, String modelName) {
    try {
      return new ExposedGraph(OnnxMl.ModelProto.parseFrom(onnx), modelName);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("model " + modelName + ": the ONNX file is not a valid ModelProto: "
          + e.getMessage(), e);
    }
  }

  private int countLayers() {
    Set<Integer> layers = new HashSet<>();
    for (OnnxMl.NodeProto node : model.getGraph().getNodeList()) {
      Matcher m = SOFTMAX.matcher(node.getName());
      if (m.matches()) {
        layers.add(Integer.parseInt(m.group(1)));
      }
    }
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("model " + modelName + " has no nodes named /encoder/layer.N/attention/self/Softmax;"
          + " exposed tensors need a BERT-style HuggingFace ONNX export");
    }
    for (int i = 0; i < layers.size(); i++) {
      if (!layers.contains(i)) {
        throw new IllegalArgumentException("model " + modelName + ": attention layers are not numbered 0.."
            + (layers.size() - 1) + " (found " + layers + ")");
      }
    }
    return layers.size();
  }

  /** Transformer layers (attention softmax nodes numbered 0..n-1). */
  public int numLayers() {
    return numLayers;
  }

  /** Whether the graph takes {@code token_type_ids}. */
  public boolean hasTokenTypeIds() {
    return inputs.contains(TOKEN_TYPE_IDS);
  }

  /**
   * Name of the tensor holding hidden state {@code index}: 0 is the embedding LayerNorm output, {@code i+1} the
   * output LayerNorm of layer {@code i}. The exporter names the last one {@code last_hidden_state} itself.
   */
  public String hiddenStateTensor(int index) {
    String name = index == 0 ? "/embeddings/LayerNorm/Add_1_output_0"
        : "/encoder/layer." + (index - 1) + "/output/LayerNorm/Add_1_output_0";
    if (produced.contains(name)) {
      return name;
    }
    if (index == numLayers) {
      return LAST_HIDDEN_STATE;
    }
    throw new IllegalArgumentException("model " + modelName + " has no tensor named '" + name
        + "' for hidden state " + index + "; exposed tensors need a BERT-style HuggingFace ONNX export");
  }

  /** Name of the tensor holding the post-softmax attention of layer {@code layer}. */
  public String attentionTensor(int layer) {
    String name = "/encoder/layer." + layer + "/attention/self/Softmax_output_0";
    if (!produced.contains(name)) {
      throw new IllegalArgumentException("model " + modelName + " has no tensor named '" + name
          + "'; exposed tensors need a BERT-style HuggingFace ONNX export");
    }
    return name;
  }

  /** Name of the output holding layer {@code layer}'s attention diagonal, computed by nodes this class adds. */
  public String attentionDiagonalTensor(int layer) {
    attentionTensor(layer);
    return "attnir/attention_diagonal/" + layer;
  }

  /**
   * Output tensor names a session serving {@code request} returns, keyed by a stable label
   * ({@code hidden:i}, {@code attention:i}, {@code diagonal:i}).
   */
  public Map<String, String> outputNames(TensorRequest request) {
    request.validate(numLayers, modelName);
    Map<String, String> names = new LinkedHashMap<>();
    for (int h : request.hiddenStates()) {
      names.put("hidden:" + h, hiddenStateTensor(h));
    }
    for (int a : request.attentions()) {
      names.put("attention:" + a, attentionTensor(a));
    }
    for (int a : request.attentionDiagonals()) {
      names.put("diagonal:" + a, attentionDiagonalTensor(a));
    }
    return names;
  }

  /** The serialized model with {@code last_hidden_state} plus the requested tensors as graph outputs. */
  public byte[] withOutputs(TensorRequest request) {
    Set<String> existing = new HashSet<>();
    for (OnnxMl.ValueInfoProto out : model.getGraph().getOutputList()) {
      existing.add(out.getName());
    }
    OnnxMl.GraphProto.Builder graph = model.getGraph().toBuilder();
    if (!request.attentionDiagonals().isEmpty()) {
      addConstant(graph, "attnir/const/zero", new long[] {}, 0L);
      addConstant(graph, "attnir/const/one", new long[] {}, 1L);
      addConstant(graph, "attnir/const/three", new long[] {}, 3L);
      addConstant(graph, "attnir/const/flat", new long[] {3}, 0L, 0L, -1L);
    }
    for (int layer : request.attentionDiagonals()) {
      addDiagonal(graph, layer);
      // The full map becomes an output too, unfetched in normal runs, so the load-time check can compare the two.
      String full = attentionTensor(layer);
      if (existing.add(full)) {
        graph.addOutput(floatOutput(full));
      }
    }
    for (String name : outputNames(request).values()) {
      if (existing.add(name)) {
        graph.addOutput(floatOutput(name));
      }
    }
    return model.toBuilder().setGraph(graph).build().toByteArray();
  }

  private static OnnxMl.ValueInfoProto floatOutput(String name) {
    return OnnxMl.ValueInfoProto.newBuilder()
        .setName(name)
        .setType(OnnxMl.TypeProto.newBuilder()
            .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())))
        .build();
  }

  /**
   * diag[b, h, i] = A[b, h, i, i]: A reshaped to {@code [batch, heads, seq*seq]}, gathered at 0, seq+1, 2(seq+1), ...
   * (ONNX has no diagonal operator; these opset-11 nodes work for any sequence length).
   */
  private void addDiagonal(OnnxMl.GraphProto.Builder graph, int layer) {
    String attention = attentionTensor(layer);
    String p = "attnir/diag/" + layer + "/";
    graph.addNode(node("Shape", p + "Shape", List.of(attention), p + "shape"));
    graph.addNode(node("Gather", p + "SeqLen", List.of(p + "shape", "attnir/const/three"), p + "seq")
        .addAttribute(intAttribute("axis", 0)));
    graph.addNode(node("Mul", p + "SeqSquared", List.of(p + "seq", p + "seq"), p + "seq2"));
    graph.addNode(node("Add", p + "Step", List.of(p + "seq", "attnir/const/one"), p + "step"));
    graph.addNode(node("Range", p + "Range", List.of("attnir/const/zero", p + "seq2", p + "step"), p + "index"));
    graph.addNode(node("Reshape", p + "Flatten", List.of(attention, "attnir/const/flat"), p + "flat"));
    graph.addNode(node("Gather", p + "Diagonal", List.of(p + "flat", p + "index"), attentionDiagonalTensor(layer))
        .addAttribute(intAttribute("axis", 2)));
  }

  private static OnnxMl.NodeProto.Builder node(String op, String name, List<String> inputs, String output) {
    return OnnxMl.NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addOutput(output);
  }

  private static OnnxMl.AttributeProto intAttribute(String name, long value) {
    return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.INT)
        .setI(value).build();
  }

  private static void addConstant(OnnxMl.GraphProto.Builder graph, String name, long[] dims, long... values) {
    OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name)
        .setDataType(OnnxMl.TensorProto.DataType.INT64.getNumber());
    for (long d : dims) {
      t.addDims(d);
    }
    for (long v : values) {
      t.addInt64Data(v);
    }
    graph.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Constant").setName(name).addOutput(name)
        .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("value")
            .setType(OnnxMl.AttributeProto.AttributeType.TENSOR).setT(t)));
  }
}
