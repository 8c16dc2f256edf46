package dev.attnir.encoders;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.HashSet;
import java.util.LinkedHashMap;
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

  /**
   * Output tensor names a session serving {@code request} returns, keyed by a stable label
   * ({@code hidden:i}, {@code attention:i}).
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
    return names;
  }

  /** The serialized model with {@code last_hidden_state} plus the requested tensors as graph outputs. */
  public byte[] withOutputs(TensorRequest request) {
    Set<String> existing = new HashSet<>();
    for (OnnxMl.ValueInfoProto out : model.getGraph().getOutputList()) {
      existing.add(out.getName());
    }
    OnnxMl.GraphProto.Builder graph = model.getGraph().toBuilder();
    for (String name : outputNames(request).values()) {
      if (existing.add(name)) {
        graph.addOutput(OnnxMl.ValueInfoProto.newBuilder()
            .setName(name)
            .setType(OnnxMl.TypeProto.newBuilder()
                .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                    .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()))));
      }
    }
    return model.toBuilder().setGraph(graph).build().toByteArray();
  }
}
