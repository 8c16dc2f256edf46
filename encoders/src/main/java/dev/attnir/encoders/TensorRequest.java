package dev.attnir.encoders;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Which intermediate tensors a consumer (a pooling, a reranker) needs besides {@code last_hidden_state}.
 * Hidden state 0 is the embedding-layer output; hidden state {@code i+1} is the output of transformer layer
 * {@code i}. Attention {@code i} is the post-softmax attention of transformer layer {@code i}.
 *
 * <p>An empty request is served by the unmodified graph, so plain encoding never pays for exposed tensors.
 *
 * @param hiddenStates indices of hidden states to expose (0..numLayers)
 * @param attentions indices of layers whose attention probabilities to expose (0..numLayers-1)
 */
public record TensorRequest(SortedSet<Integer> hiddenStates, SortedSet<Integer> attentions) {

  public TensorRequest {
    hiddenStates = Collections.unmodifiableSortedSet(new TreeSet<>(hiddenStates));
    attentions = Collections.unmodifiableSortedSet(new TreeSet<>(attentions));
  }

  /** Nothing beyond {@code last_hidden_state}. */
  public static TensorRequest none() {
    return new TensorRequest(new TreeSet<>(), new TreeSet<>());
  }

  /** Every hidden state and every attention map of a model with {@code numLayers} layers. */
  public static TensorRequest all(int numLayers) {
    TreeSet<Integer> h = new TreeSet<>();
    TreeSet<Integer> a = new TreeSet<>();
    for (int i = 0; i <= numLayers; i++) {
      h.add(i);
    }
    for (int i = 0; i < numLayers; i++) {
      a.add(i);
    }
    return new TensorRequest(h, a);
  }

  /** The given hidden states only. */
  public static TensorRequest hidden(int... indices) {
    TreeSet<Integer> h = new TreeSet<>();
    for (int i : indices) {
      h.add(i);
    }
    return new TensorRequest(h, new TreeSet<>());
  }

  /** This request plus the attention maps of the given layers. */
  public TensorRequest withAttentions(int... layers) {
    TreeSet<Integer> a = new TreeSet<>(attentions);
    for (int i : layers) {
      a.add(i);
    }
    return new TensorRequest(hiddenStates, a);
  }

  /** Union of two requests. */
  public TensorRequest union(TensorRequest other) {
    TreeSet<Integer> h = new TreeSet<>(hiddenStates);
    h.addAll(other.hiddenStates);
    TreeSet<Integer> a = new TreeSet<>(attentions);
    a.addAll(other.attentions);
    return new TensorRequest(h, a);
  }

  /** Whether only {@code last_hidden_state} is needed. */
  public boolean isEmpty() {
    return hiddenStates.isEmpty() && attentions.isEmpty();
  }

  /** Throws when an index is outside a model with {@code numLayers} layers. */
  public void validate(int numLayers, String modelName) {
    for (int h : hiddenStates) {
      if (h < 0 || h > numLayers) {
        throw new IllegalArgumentException("hidden state " + h + " is out of range for " + modelName
            + ": it has hidden states 0 (embeddings) to " + numLayers + " (last layer)");
      }
    }
    for (int a : attentions) {
      if (a < 0 || a >= numLayers) {
        throw new IllegalArgumentException("attention layer " + a + " is out of range for " + modelName
            + ": it has layers 0 to " + (numLayers - 1));
      }
    }
  }
}
