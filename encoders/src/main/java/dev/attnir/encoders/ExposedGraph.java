package dev.attnir.encoders;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX graph whose intermediate tensors can be made graph outputs: every layer's hidden state and post-softmax
 * attention probabilities, found by name through the graph's {@link GraphLayout}. The edit only adds outputs (and,
 * for attention diagonals, nodes computing them); no existing node changes, so the exposed graph computes what the
 * original computes (ONNX Runtime may fuse fewer nodes, which {@link OnnxEncoder} checks when it creates the session).
 * Graphs whose layout cannot expose tensors parse, but every request to expose fails naming what was looked for.
 */
public final class ExposedGraph {

  /** Input names the encoders feed. */
  public static final String INPUT_IDS = GraphLayout.INPUT_IDS;
  public static final String ATTENTION_MASK = GraphLayout.ATTENTION_MASK;
  public static final String TOKEN_TYPE_IDS = GraphLayout.TOKEN_TYPE_IDS;
  public static final String POSITION_IDS = GraphLayout.POSITION_IDS;
  /**
   * The int64 {@code [1]} input an exposed graph with first-segment attention rows takes: how many rows to keep
   * ({@link Batch#firstSegmentRows()}).
   */
  public static final String FIRST_SEGMENT_ROWS = "attnir_first_segment_rows";
  /** The output of an unmodified encoder graph. */
  public static final String LAST_HIDDEN_STATE = GraphLayout.LAST_HIDDEN_STATE;

  private final OnnxMl.ModelProto model;
  private final String modelName;
  private final GraphLayout layout;

  private ExposedGraph(OnnxMl.ModelProto model, String modelName) {
    this.model = model;
    this.modelName = modelName;
    this.layout = GraphLayout.detect(model, modelName);
  }

  /**
   * Parses a serialized model and detects its layout.
   *
   * @throws IllegalArgumentException when the bytes are not a model, or the graph cannot be run (see
   *     {@link GraphLayout#detect})
   */
  public static ExposedGraph parse(byte[] onnx, String modelName) {
    try {
      return new ExposedGraph(OnnxMl.ModelProto.parseFrom(onnx), modelName);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("model " + modelName + ": the ONNX file is not a valid ModelProto: "
          + e.getMessage(), e);
    }
  }

  /** How this graph names its inputs, output and intermediate tensors. */
  public GraphLayout layout() {
    return layout;
  }

  /** The most tokens the graph can read, when it has a learned position-embedding table. */
  public java.util.Optional<PositionLimit> positionLimit() {
    return PositionLimit.of(model);
  }

  /** Transformer layers found by name (0 when the layout cannot expose tensors). */
  public int numLayers() {
    return layout.numLayers();
  }

  /** Whether the graph takes {@code token_type_ids}. */
  public boolean hasTokenTypeIds() {
    return layout.takes(TOKEN_TYPE_IDS);
  }

  /** Throws, naming what was looked for, when this graph's layout cannot expose tensors. */
  public void requireExposable(String what) {
    if (!layout.canExpose()) {
      throw new IllegalArgumentException("model " + modelName + " (" + layout.name() + " graph layout, inputs "
          + layout.inputs() + ", output " + layout.primaryOutput() + ") cannot expose " + what + ": "
          + layout.exposureUnavailableReason());
    }
  }

  /**
   * Name of the tensor holding hidden state {@code index}: 0 is the embedding output, {@code i+1} the output of
   * layer {@code i}.
   */
  public String hiddenStateTensor(int index) {
    requireExposable("hidden state " + index);
    return layout.hiddenStateTensor(index);
  }

  /** Name of the tensor holding the post-softmax attention of layer {@code layer}. */
  public String attentionTensor(int layer) {
    requireExposable("the attention of layer " + layer);
    return layout.attentionTensor(layer);
  }

  /** Name of the output holding layer {@code layer}'s attention diagonal, computed by nodes this class adds. */
  public String attentionDiagonalTensor(int layer) {
    attentionTensor(layer);
    return "attnir/attention_diagonal/" + layer;
  }

  /** Name of the output holding layer {@code layer}'s first-segment attention rows, sliced by nodes this class adds. */
  public String firstSegmentAttentionTensor(int layer) {
    attentionTensor(layer);
    return "attnir/first_segment_attention/" + layer;
  }

  /**
   * Output tensor names a session serving {@code request} returns, keyed by a stable label
   * ({@code hidden:i}, {@code attention:i}, {@code diagonal:i}, {@code rows:i}).
   */
  public Map<String, String> outputNames(TensorRequest request) {
    if (!request.isEmpty()) {
      requireExposable("tensors " + request);
    }
    request.validate(numLayers(), modelName);
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
    for (int a : request.firstSegmentAttentions()) {
      names.put("rows:" + a, firstSegmentAttentionTensor(a));
    }
    return names;
  }

  /** The serialized model with its primary output plus the requested tensors as graph outputs. */
  public byte[] withOutputs(TensorRequest request) {
    Map<String, String> requested = outputNames(request);
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
    if (!request.firstSegmentAttentions().isEmpty()) {
      graph.addInput(OnnxMl.ValueInfoProto.newBuilder().setName(FIRST_SEGMENT_ROWS)
          .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
              .setElemType(OnnxMl.TensorProto.DataType.INT64.getNumber())
              .setShape(OnnxMl.TensorShapeProto.newBuilder()
                  .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(1))))));
      addConstant(graph, "attnir/const/row_start", new long[] {1}, 0L);
      addConstant(graph, "attnir/const/row_axis", new long[] {1}, 2L);
    }
    for (int layer : request.firstSegmentAttentions()) {
      graph.addNode(node("Slice", "attnir/rows/" + layer + "/Slice", List.of(attentionTensor(layer),
          "attnir/const/row_start", FIRST_SEGMENT_ROWS, "attnir/const/row_axis"), firstSegmentAttentionTensor(layer)));
      // As for diagonals: the full map is an output too, unfetched in normal runs, for the load-time check.
      String full = attentionTensor(layer);
      if (existing.add(full)) {
        graph.addOutput(floatOutput(full));
      }
    }
    for (String name : requested.values()) {
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
