package dev.attnir.encoders;

import ai.onnx.proto.OnnxMl;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tensor names of a BERT-style HuggingFace (optimum / torch.onnx) export: every layer {@code i} has a plain
 * Softmax node {@code <prefix>/encoder/layer.i/attention/self/Softmax}, hidden state 0 is the embedding LayerNorm
 * output {@code <prefix>/embeddings/LayerNorm/Add_1_output_0} and hidden state {@code i+1} the output LayerNorm of
 * layer {@code i}. The prefix is empty for a bare encoder ({@code BertModel}, the langchain4j jars) and names the
 * base model inside a task model ({@code /bert}, {@code /roberta} of a {@code ...ForSequenceClassification}
 * cross-encoder), whose primary output is then {@code logits}.
 */
public final class BertLayout implements GraphLayout {

  private static final Pattern SOFTMAX = Pattern.compile("(.*)/encoder/layer\\.(\\d+)/attention/self/Softmax");

  private final String modelName;
  private final String prefix;
  private final int numLayers;
  private final List<String> inputs;
  private final String primaryOutput;
  private final Set<String> produced;

  private BertLayout(String modelName, String prefix, int numLayers, List<String> inputs, String primaryOutput,
      Set<String> produced) {
    this.modelName = modelName;
    this.prefix = prefix;
    this.numLayers = numLayers;
    this.inputs = inputs;
    this.primaryOutput = primaryOutput;
    this.produced = produced;
  }

  /**
   * The BERT layout of a graph, or empty when the graph has no BERT-named Softmax nodes.
   *
   * @throws IllegalArgumentException when the Softmax nodes are under several prefixes or not numbered 0..n-1
   */
  static Optional<GraphLayout> detect(OnnxMl.ModelProto model, GraphLayout.Signature signature, String modelName) {
    TreeMap<String, Set<Integer>> layersByPrefix = new TreeMap<>();
    Set<String> produced = new HashSet<>();
    for (OnnxMl.NodeProto node : model.getGraph().getNodeList()) {
      produced.addAll(node.getOutputList());
      Matcher m = SOFTMAX.matcher(node.getName());
      if (m.matches()) {
        layersByPrefix.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(Integer.parseInt(m.group(2)));
      }
    }
    if (layersByPrefix.isEmpty()) {
      return Optional.empty();
    }
    if (layersByPrefix.size() > 1) {
      throw new IllegalArgumentException("model " + modelName + " has BERT-named attention Softmax nodes under "
          + "several prefixes " + layersByPrefix.keySet() + "; exposed tensors need one encoder");
    }
    String prefix = layersByPrefix.firstKey();
    Set<Integer> layers = layersByPrefix.get(prefix);
    for (int i = 0; i < layers.size(); i++) {
      if (!layers.contains(i)) {
        throw new IllegalArgumentException("model " + modelName + ": attention layers are not numbered 0.."
            + (layers.size() - 1) + " (found " + layers + ")");
      }
    }
    return Optional.of(new BertLayout(modelName, prefix, layers.size(), signature.inputs(),
        signature.primaryOutput(), produced));
  }

  @Override
  public String name() {
    return prefix.isEmpty() ? "bert" : "bert(" + prefix + ")";
  }

  /** The scope of the base model's nodes, e.g. {@code ""} or {@code "/bert"}. */
  public String prefix() {
    return prefix;
  }

  @Override
  public List<String> inputs() {
    return inputs;
  }

  @Override
  public String primaryOutput() {
    return primaryOutput;
  }

  @Override
  public boolean canExpose() {
    return true;
  }

  @Override
  public int numLayers() {
    return numLayers;
  }

  @Override
  public String exposureUnavailableReason() {
    return "";
  }

  /**
   * The exporter names the last hidden state {@code last_hidden_state} itself when that is the model's output; in a
   * task model it keeps its LayerNorm name.
   */
  @Override
  public String hiddenStateTensor(int index) {
    if (index < 0 || index > numLayers) {
      throw new IllegalArgumentException("hidden state " + index + " is out of range for " + modelName
          + ": it has hidden states 0 (embeddings) to " + numLayers + " (last layer)");
    }
    String name = index == 0 ? prefix + "/embeddings/LayerNorm/Add_1_output_0"
        : prefix + "/encoder/layer." + (index - 1) + "/output/LayerNorm/Add_1_output_0";
    if (produced.contains(name)) {
      return name;
    }
    if (index == numLayers && produced.contains(LAST_HIDDEN_STATE)) {
      return LAST_HIDDEN_STATE;
    }
    throw new IllegalArgumentException("model " + modelName + " has no tensor named '" + name
        + "' for hidden state " + index + "; exposed tensors need a BERT-style HuggingFace ONNX export");
  }

  @Override
  public String attentionTensor(int layer) {
    if (layer < 0 || layer >= numLayers) {
      throw new IllegalArgumentException("attention layer " + layer + " is out of range for " + modelName
          + ": it has layers 0 to " + (numLayers - 1));
    }
    String name = prefix + "/encoder/layer." + layer + "/attention/self/Softmax_output_0";
    if (!produced.contains(name)) {
      throw new IllegalArgumentException("model " + modelName + " has no tensor named '" + name
          + "'; exposed tensors need a BERT-style HuggingFace ONNX export");
    }
    return name;
  }

  @Override
  public String toString() {
    return name() + " layout: inputs " + inputs + ", output " + primaryOutput + ", " + numLayers + " layers";
  }
}
