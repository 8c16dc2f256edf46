package dev.attnir.encoders;

import ai.onnx.proto.OnnxMl;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * How an architecture's ONNX export names its tensors: the graph inputs the encoder feeds, the primary output it
 * reads, and (only for architectures whose intermediate tensors can be found by name) the per-layer hidden states and
 * post-softmax attention probabilities that {@link ExposedGraph} can add as outputs.
 *
 * <p>A layout is chosen from the graph by {@link #detect}: the first strategy that recognises the graph wins
 * ({@link BertLayout}, then {@link GenericLayout}, which recognises any graph whose inputs can be fed and which has a
 * known primary output). Plain encoding works with every layout; exposing tensors only with one whose
 * {@link #canExpose()} is true.
 */
public interface GraphLayout {

  /** Token ids, {@code [batch, seq]}. Required. */
  String INPUT_IDS = "input_ids";
  /** 1 for real tokens, 0 for padding, {@code [batch, seq]}. Required: batches are right-padded. */
  String ATTENTION_MASK = "attention_mask";
  /** Segment ids of the tokenized form, {@code [batch, seq]}. */
  String TOKEN_TYPE_IDS = "token_type_ids";
  /** Positions {@code 0..seq-1} in every row, {@code [batch, seq]} (so real tokens get {@code 0..len-1}). */
  String POSITION_IDS = "position_ids";
  /** Every graph input the encoder knows how to feed. */
  List<String> FEEDABLE_INPUTS = List.of(INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS, POSITION_IDS);

  /** Primary output of an encoder: token states {@code [batch, seq, hidden]}. */
  String LAST_HIDDEN_STATE = "last_hidden_state";
  /** Primary output of a scorer ({@code [batch, n]}, e.g. a cross-encoder) or a language model ({@code [batch, seq, vocab]}). */
  String LOGITS = "logits";
  /** Primary outputs in order of preference. */
  List<String> PRIMARY_OUTPUTS = List.of(LAST_HIDDEN_STATE, LOGITS);

  /** Name of the strategy, e.g. {@code bert} or {@code generic}; shown in messages. */
  String name();

  /** The graph's inputs in graph order; every one is in {@link #FEEDABLE_INPUTS}. */
  List<String> inputs();

  /** Whether the graph takes {@code input}. */
  default boolean takes(String input) {
    return inputs().contains(input);
  }

  /** The graph output the encoder reads: {@code last_hidden_state}, else {@code logits}. */
  String primaryOutput();

  /** Whether hidden states and attention probabilities can be found by name in this graph. */
  boolean canExpose();

  /** Transformer layers found by name; 0 when this layout cannot expose tensors (the depth is then unknown). */
  int numLayers();

  /**
   * Name of the tensor holding hidden state {@code index} (0 = embedding output, {@code i+1} = output of layer
   * {@code i}).
   *
   * @throws IllegalArgumentException when this layout cannot expose tensors or the graph has no such tensor
   */
  String hiddenStateTensor(int index);

  /**
   * Name of the tensor holding the post-softmax attention of layer {@code layer}, {@code [batch, heads, seq, seq]}.
   *
   * @throws IllegalArgumentException when this layout cannot expose tensors or the graph has no such tensor
   */
  String attentionTensor(int layer);

  /** Why tensors cannot be exposed, naming what was looked for; empty when they can. */
  String exposureUnavailableReason();

  /**
   * Chooses the layout of a graph: BERT-style names when they are there, else the generic layout.
   *
   * @throws IllegalArgumentException when the graph has an input the encoder cannot feed (listing them), lacks
   *     {@code input_ids} or {@code attention_mask}, or has no known primary output
   */
  static GraphLayout detect(OnnxMl.ModelProto model, String modelName) {
    Signature signature = Signature.of(model, modelName);
    Optional<GraphLayout> bert = BertLayout.detect(model, signature, modelName);
    if (bert.isPresent()) {
      return bert.get();
    }
    return new GenericLayout(signature.inputs(), signature.primaryOutput(),
        "it has no nodes named <prefix>/encoder/layer.N/attention/self/Softmax (a BERT-style HuggingFace export, "
            + "optionally under one prefix such as /bert or /roberta)");
  }

  /**
   * The inputs and the primary output of a graph, checked: every required input (a graph input without an
   * initializer) must be feedable, and {@code input_ids} and {@code attention_mask} must be among them.
   */
  record Signature(List<String> inputs, String primaryOutput, Set<String> outputs) {

    static Signature of(OnnxMl.ModelProto model, String modelName) {
      OnnxMl.GraphProto graph = model.getGraph();
      Set<String> initializers = new HashSet<>();
      for (OnnxMl.TensorProto t : graph.getInitializerList()) {
        initializers.add(t.getName());
      }
      List<String> inputs = new ArrayList<>();
      List<String> unfeedable = new ArrayList<>();
      for (OnnxMl.ValueInfoProto in : graph.getInputList()) {
        if (initializers.contains(in.getName())) {
          continue; // an initializer listed as input (IR < 4) has a default: not required
        }
        if (FEEDABLE_INPUTS.contains(in.getName())) {
          inputs.add(in.getName());
        } else {
          unfeedable.add(in.getName());
        }
      }
      List<String> all = new ArrayList<>(inputs);
      all.addAll(unfeedable);
      if (!unfeedable.isEmpty()) {
        throw new IllegalArgumentException("model " + modelName + " has graph input(s) " + unfeedable
            + " that the encoder cannot feed; it feeds only " + FEEDABLE_INPUTS + " (graph inputs: " + all
            + "). Export the model without them (e.g. a decoder without past_key_values / use_cache)");
      }
      for (String required : List.of(INPUT_IDS, ATTENTION_MASK)) {
        if (!inputs.contains(required)) {
          throw new IllegalArgumentException("model " + modelName + " has graph inputs " + all + " but no "
              + required + "; the encoder feeds right-padded batches and needs " + INPUT_IDS + " and "
              + ATTENTION_MASK);
        }
      }
      Set<String> outputs = new LinkedHashSet<>();
      for (OnnxMl.ValueInfoProto out : graph.getOutputList()) {
        outputs.add(out.getName());
      }
      String primary = null;
      for (String candidate : PRIMARY_OUTPUTS) {
        if (outputs.contains(candidate)) {
          primary = candidate;
          break;
        }
      }
      if (primary == null) {
        throw new IllegalArgumentException("model " + modelName + " has graph outputs " + outputs
            + "; the encoder reads one of " + PRIMARY_OUTPUTS);
      }
      return new Signature(List.copyOf(inputs), primary, Set.copyOf(outputs));
    }
  }
}
