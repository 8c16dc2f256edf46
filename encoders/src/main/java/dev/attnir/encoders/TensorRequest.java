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
 * <p>Attention diagonals ({@code A[b][h][i][i]}, {@code [batch, heads, seq]}) are computed inside the graph, so a
 * consumer that needs only them (Ditto) does not copy {@code seq} times more values out of ONNX Runtime.
 *
 * @param hiddenStates indices of hidden states to expose (0..numLayers)
 * @param attentions indices of layers whose attention probabilities to expose (0..numLayers-1)
 * <p>First-segment attention rows are the rows of the tokens up to the end of each text's first segment ({@code [CLS]}
 * and the query of a pair or packed encoding): {@code [batch, heads, rows, seq]} with {@code rows} the largest
 * first-segment end in the batch. They are sliced inside the graph, so a reader that needs the query's attention to
 * a 512-token context copies a few dozen rows per head instead of 512.
 *
 * @param hiddenStates indices of hidden states to expose (0..numLayers)
 * @param attentions indices of layers whose attention probabilities to expose (0..numLayers-1)
 * @param attentionDiagonals indices of layers whose attention diagonals to expose (0..numLayers-1)
 * @param firstSegmentAttentions indices of layers whose first-segment attention rows to expose (0..numLayers-1)
 */
public record TensorRequest(SortedSet<Integer> hiddenStates, SortedSet<Integer> attentions,
    SortedSet<Integer> attentionDiagonals, SortedSet<Integer> firstSegmentAttentions) {

  public TensorRequest {
    hiddenStates = Collections.unmodifiableSortedSet(new TreeSet<>(hiddenStates));
    attentions = Collections.unmodifiableSortedSet(new TreeSet<>(attentions));
    attentionDiagonals = Collections.unmodifiableSortedSet(new TreeSet<>(attentionDiagonals));
    firstSegmentAttentions = Collections.unmodifiableSortedSet(new TreeSet<>(firstSegmentAttentions));
  }

  public TensorRequest(SortedSet<Integer> hiddenStates, SortedSet<Integer> attentions,
      SortedSet<Integer> attentionDiagonals) {
    this(hiddenStates, attentions, attentionDiagonals, new TreeSet<>());
  }

  public TensorRequest(SortedSet<Integer> hiddenStates, SortedSet<Integer> attentions) {
    this(hiddenStates, attentions, new TreeSet<>());
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
    return new TensorRequest(hiddenStates, a, attentionDiagonals, firstSegmentAttentions);
  }

  /** This request plus the attention diagonals of the given layers. */
  public TensorRequest withAttentionDiagonals(int... layers) {
    TreeSet<Integer> d = new TreeSet<>(attentionDiagonals);
    for (int i : layers) {
      d.add(i);
    }
    return new TensorRequest(hiddenStates, attentions, d, firstSegmentAttentions);
  }

  /** This request plus the first-segment attention rows of the given layers. */
  public TensorRequest withFirstSegmentAttentions(int... layers) {
    TreeSet<Integer> f = new TreeSet<>(firstSegmentAttentions);
    for (int i : layers) {
      f.add(i);
    }
    return new TensorRequest(hiddenStates, attentions, attentionDiagonals, f);
  }

  /** Union of two requests. */
  public TensorRequest union(TensorRequest other) {
    TreeSet<Integer> h = new TreeSet<>(hiddenStates);
    h.addAll(other.hiddenStates);
    TreeSet<Integer> a = new TreeSet<>(attentions);
    a.addAll(other.attentions);
    TreeSet<Integer> d = new TreeSet<>(attentionDiagonals);
    d.addAll(other.attentionDiagonals);
    TreeSet<Integer> f = new TreeSet<>(firstSegmentAttentions);
    f.addAll(other.firstSegmentAttentions);
    return new TensorRequest(h, a, d, f);
  }

  /** Whether only {@code last_hidden_state} is needed. */
  public boolean isEmpty() {
    return hiddenStates.isEmpty() && attentions.isEmpty() && attentionDiagonals.isEmpty()
        && firstSegmentAttentions.isEmpty();
  }

  /** Throws when an index is outside a model with {@code numLayers} layers. */
  public void validate(int numLayers, String modelName) {
    for (int h : hiddenStates) {
      if (h < 0 || h > numLayers) {
        throw new IllegalArgumentException("hidden state " + h + " is out of range for " + modelName
            + ": it has hidden states 0 (embeddings) to " + numLayers + " (last layer)");
      }
    }
    for (int a : java.util.stream.Stream.of(attentions, attentionDiagonals, firstSegmentAttentions)
        .flatMap(java.util.Set::stream).toList()) {
      if (a < 0 || a >= numLayers) {
        throw new IllegalArgumentException("attention layer " + a + " is out of range for " + modelName
            + ": it has layers 0 to " + (numLayers - 1));
      }
    }
  }
}
