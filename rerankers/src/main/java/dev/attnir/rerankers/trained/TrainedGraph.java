package dev.attnir.rerankers.trained;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.attnir.encoders.Digests;
import dev.attnir.encoders.GraphLayout;
import dev.attnir.encoders.bert.BertWeights;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reassembles a trained reranker's ONNX graph from its base model's graph and the tensors of its artifact.
 *
 * <ol>
 *   <li>The base graph's SHA-256 must equal the header's {@code baseOnnxSha256} (else "mismatched base model", naming
 *       both digests): the trained tensors are deltas of that exact graph.
 *   <li>The base graph's BERT weights are found by structure ({@link BertWeights}); every artifact tensor named like
 *       one of them ({@code encoder.layer.3.attention.self.query.weight}, kernels {@code [in, out]}) replaces the
 *       initializer it was read from, as raw float32, after a shape check. Tensors training froze may be absent (the
 *       base's values stay). An initializer holding two BERT tensors must get the same values for both.
 *   <li>The other artifact tensors must be exactly the head or anchor tensors of the header's kind, with their
 *       shapes: a cross-encoder's {@code head.weight [d, 1]} and {@code head.bias [1]}; a learned MVP anchor's
 *       {@code anchor.*} ({@link MvpSettings#tensorShapes}); a mean-anchor MVP has none. Any other name is an error.
 *   <li>A cross-encoder gets its head appended as nodes: {@code logits [batch, 1] = last_hidden_state[:, 0, :] ·
 *       head.weight + head.bias} ({@code Gather} of position 0, {@code MatMul}, {@code Add}, as training's
 *       {@code ClsLinearHead} writes it), and {@code logits} becomes the graph's only output, so that
 *       {@code OnnxEncoder} (which prefers {@code last_hidden_state}) reads it as a scorer. An MVP graph keeps
 *       {@code last_hidden_state}; its anchor runs in Java ({@link MvpAnchor}).
 * </ol>
 * The header is checked too: kind, view count and view token ids (within the vocabulary), max length.
 */
public final class TrainedGraph {

  /** The cross-encoder kind. */
  public static final String CROSS_ENCODER = "cross-encoder";
  /** The multi-view reranker kind. */
  public static final String MVP = "mvp";

  /** The head tensors of a cross-encoder. */
  public static final List<String> HEAD_TENSORS = List.of("head.weight", "head.bias");

  /**
   * MVP's trained view-token embeddings {@code [m, hidden]}, written into the word-embedding table's rows
   * {@code viewTokenIds} (optional: without it the base model's rows are used).
   */
  public static final String VIEW_EMBEDDINGS = "views.embedding";

  /**
   * A reassembled graph.
   *
   * @param onnx the serialized graph
   * @param hiddenSize d, the base model's hidden size
   * @param replaced the BERT tensors the artifact replaced, in artifact order
   */
  public record Reassembled(byte[] onnx, int hiddenSize, List<String> replaced) {}

  private TrainedGraph() {}

  /**
   * Reassembles the graph.
   *
   * @param baseOnnx the base model's serialized graph (the header's {@code baseModel})
   * @param source names the artifact in error messages (its file or registry name)
   * @throws IllegalArgumentException naming the artifact and what is wrong: a mismatched base model, an unknown
   *     kind, a tensor that is neither a BERT tensor of the base nor a head/anchor tensor of the kind, a wrong shape, a
   *     missing head/anchor tensor, a view token outside the vocabulary
   */
  public static Reassembled reassemble(RerankerArtifact artifact, byte[] baseOnnx, String source) {
    RerankerArtifact.Header h = artifact.header();
    checkHeader(h, source); // before the base graph is hashed and parsed
    MvpSettings mvp = h.kind().equals(MVP) ? MvpSettings.parse(h.settings(), source) : null;
    if (mvp == null && !h.settings().isEmpty()) {
      throw new IllegalArgumentException(source + ": a cross-encoder has no settings, the header sets "
          + new java.util.TreeSet<>(h.settings().keySet()));
    }
    String digest = Digests.sha256(baseOnnx);
    if (h.baseOnnxSha256() == null || !digest.equals(h.baseOnnxSha256().toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException(source + ": mismatched base model: the artifact was trained on "
          + h.baseModel() + " with ONNX SHA-256 " + h.baseOnnxSha256() + ", but the base model found has SHA-256 "
          + digest);
    }
    OnnxMl.ModelProto model;
    try {
      model = OnnxMl.ModelProto.parseFrom(baseOnnx);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(source + ": base model " + h.baseModel() + " is not ONNX: "
          + e.getMessage(), e);
    }
    BertWeights bert;
    try {
      bert = BertWeights.read(model);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": base model " + h.baseModel() + ": " + e.getMessage(), e);
    }
    int d = bert.hiddenSize();
    long vocab = bert.tensor("embeddings.word_embeddings.weight").shape()[0];
    for (int k = 0; k < h.views(); k++) {
      long id = h.viewTokenIds().get(k);
      if (id < 0 || id >= vocab) {
        throw new IllegalArgumentException(source + ": viewTokenIds[" + k + "]=" + id + " is outside " + h.baseModel()
            + "'s vocabulary of " + vocab + " tokens");
      }
    }
    if (mvp != null && mvp.learned() && d % mvp.anchorHeads() != 0) {
      throw new IllegalArgumentException(source + ": setting anchorHeads=" + mvp.anchorHeads()
          + " does not divide the hidden size " + d + " of " + h.baseModel());
    }
    Map<String, long[]> extra;
    if (mvp != null) {
      extra = mvp.tensorShapes(d);
    } else {
      extra = new LinkedHashMap<>();
      extra.put("head.weight", new long[] {d, 1});
      extra.put("head.bias", new long[] {1});
    }

    // MVP's view-token embeddings, when trained: rows viewTokenIds of the word-embedding table (optional, [m, d])
    Map<String, long[]> optional = new LinkedHashMap<>();
    if (mvp != null) {
      optional.put(VIEW_EMBEDDINGS, new long[] {h.views(), d});
    }
    Map<String, float[]> byInitializer = new HashMap<>();
    Map<String, String> initializerOwner = new HashMap<>();
    List<String> replaced = new ArrayList<>();
    for (RerankerArtifact.TensorInfo t : h.tensors()) {
      BertWeights.Tensor base = bert.tensors().get(t.name());
      long[] want = base != null ? base.shape() : extra.containsKey(t.name()) ? extra.get(t.name())
          : optional.get(t.name());
      if (want == null) {
        throw new IllegalArgumentException(source + ": tensor " + t.name() + " is neither a BERT tensor of "
            + h.baseModel() + " (e.g. encoder.layer.0.attention.self.query.weight) nor a tensor of kind " + h.kind()
            + (mvp != null ? " with anchor=" + mvp.anchor() : "")
            + (extra.isEmpty() ? " (which has none)" : " (" + String.join(", ", extra.keySet()) + ")"));
      }
      if (!Arrays.equals(want, t.shape())) {
        throw new IllegalArgumentException(source + ": tensor " + t.name() + " has shape "
            + Arrays.toString(t.shape()) + ", " + (base != null ? h.baseModel() + "'s " : "kind " + h.kind()
            + " needs ") + Arrays.toString(want) + (base != null ? " (kernels are [in, out])" : ""));
      }
      if (base == null) {
        continue;
      }
      float[] v = artifact.tensors().get(t.name());
      float[] previous = byInitializer.put(base.initializer(), v);
      if (previous != null && !Arrays.equals(previous, v)) {
        throw new IllegalArgumentException(source + ": tensors " + initializerOwner.get(base.initializer()) + " and "
            + t.name() + " share the base graph's initializer " + base.initializer() + " but differ");
      }
      initializerOwner.putIfAbsent(base.initializer(), t.name());
      replaced.add(t.name());
    }
    List<String> missing = new ArrayList<>();
    for (String name : extra.keySet()) {
      if (!artifact.tensors().containsKey(name)) {
        missing.add(name);
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(source + ": kind " + h.kind() + (mvp != null ? " with anchor="
          + mvp.anchor() : "") + " needs tensor(s) " + missing
          + ", which the artifact lacks");
    }
    float[] views = artifact.tensors().get(VIEW_EMBEDDINGS);
    if (mvp != null && views != null) {
      BertWeights.Tensor table = bert.tensors().get("embeddings.word_embeddings.weight");
      float[] base = byInitializer.get(table.initializer());
      float[] rows = (base != null ? base : table.values()).clone();
      for (int k = 0; k < h.views(); k++) {
        System.arraycopy(views, k * d, rows, (int) (h.viewTokenIds().get(k) * d), d);
      }
      byInitializer.put(table.initializer(), rows);
      replaced.add(VIEW_EMBEDDINGS);
    }
    bert = null; // as large as the model

    OnnxMl.GraphProto.Builder g = model.getGraph().toBuilder();
    int written = 0;
    for (int i = 0; i < g.getInitializerCount(); i++) {
      OnnxMl.TensorProto t = g.getInitializer(i);
      float[] v = byInitializer.get(t.getName());
      if (v != null) {
        g.setInitializer(i, t.toBuilder().clearFloatData().setRawData(raw(v)));
        written++;
      }
    }
    if (written != byInitializer.size()) {
      throw new IllegalStateException(source + ": only " + written + " of " + byInitializer.size()
          + " initializers found in " + h.baseModel() + "'s graph");
    }
    if (h.kind().equals(CROSS_ENCODER)) {
      appendHead(g, artifact.tensors().get("head.weight"), artifact.tensors().get("head.bias"), d, source);
    }
    return new Reassembled(model.toBuilder().setGraph(g).build().toByteArray(), d, List.copyOf(replaced));
  }

  /** Checks kind, views, the number of view token ids and max length. */
  private static void checkHeader(RerankerArtifact.Header h, String source) {
    if (!CROSS_ENCODER.equals(h.kind()) && !MVP.equals(h.kind())) {
      throw new IllegalArgumentException(source + ": kind " + h.kind() + " is unknown; known: " + CROSS_ENCODER
          + ", " + MVP);
    }
    boolean mvp = h.kind().equals(MVP);
    if (mvp ? h.views() < 1 : h.views() != 0) {
      throw new IllegalArgumentException(source + ": views=" + h.views() + (mvp ? ", an MVP artifact needs >= 1"
          : ", a cross-encoder has 0"));
    }
    if (h.viewTokenIds().size() != h.views()) {
      throw new IllegalArgumentException(source + ": views=" + h.views() + " but viewTokenIds has "
          + h.viewTokenIds().size() + " ids");
    }
    if (h.maxLength() < 8 + h.views()) {
      throw new IllegalArgumentException(source + ": maxLength=" + h.maxLength() + " is below " + (8 + h.views())
          + " (8 tokens plus the " + h.views() + " views)");
    }
  }

  /** Appends {@code logits = last_hidden_state[:, 0, :] · W + b} and makes {@code logits} the only output. */
  private static void appendHead(OnnxMl.GraphProto.Builder g, float[] w, float[] b, int d, String source) {
    if (g.getOutputList().stream().noneMatch(o -> o.getName().equals(GraphLayout.LAST_HIDDEN_STATE))) {
      throw new IllegalArgumentException(source + ": the base graph has no output last_hidden_state for the head");
    }
    for (OnnxMl.TensorProto t : g.getInitializerList()) {
      if (HEAD_TENSORS.contains(t.getName()) || t.getName().equals("head.cls_index")) {
        throw new IllegalArgumentException(source + ": the base graph already has an initializer " + t.getName());
      }
    }
    g.addInitializer(floats("head.weight", w, d, 1));
    g.addInitializer(floats("head.bias", b, 1));
    g.addInitializer(OnnxMl.TensorProto.newBuilder().setName("head.cls_index")
        .setDataType(OnnxMl.TensorProto.DataType.INT64.getNumber()).addInt64Data(0)); // scalar: drops the axis
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Gather").setName("/head/Gather")
        .addInput(GraphLayout.LAST_HIDDEN_STATE).addInput("head.cls_index").addOutput("/head/cls")
        .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("axis").setI(1)
            .setType(OnnxMl.AttributeProto.AttributeType.INT)));
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("MatMul").setName("/head/MatMul")
        .addInput("/head/cls").addInput("head.weight").addOutput("/head/matmul"));
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Add").setName("/head/Add")
        .addInput("/head/matmul").addInput("head.bias").addOutput(GraphLayout.LOGITS));
    OnnxMl.TypeProto.Tensor.Builder type = OnnxMl.TypeProto.Tensor.newBuilder()
        .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
        .setShape(OnnxMl.TensorShapeProto.newBuilder()
            .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("batch_size"))
            .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(1)));
    g.clearOutput().addOutput(OnnxMl.ValueInfoProto.newBuilder().setName(GraphLayout.LOGITS)
        .setType(OnnxMl.TypeProto.newBuilder().setTensorType(type)));
  }

  private static OnnxMl.TensorProto floats(String name, float[] v, long... dims) {
    OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name)
        .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).setRawData(raw(v));
    for (long dim : dims) {
      t.addDims(dim);
    }
    return t.build();
  }

  private static ByteString raw(float[] v) {
    ByteBuffer raw = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(v);
    return ByteString.copyFrom(raw.array());
  }
}
