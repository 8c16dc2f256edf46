package dev.attnir.encoders;

import java.util.Map;

/**
 * The tensors of one encoded batch, row-major and right-padded. Rows are in the order the batch was given.
 *
 * <p>Hidden tensors are {@code [batch, seq, hidden]}; attention tensors are {@code [batch, heads, seq, seq]} with
 * the query position before the key position, so {@code attention(l)[b][h][i][j]} is how much token {@code i}
 * attends to token {@code j}.
 */
public final class EncoderOutputs {
  private final int batchSize;
  private final int seqLen;
  private final int hiddenSize;
  private final int numHeads;
  private final int numLayers;
  private final int[] lengths;
  private final float[] lastHidden;
  private final Map<Integer, float[]> hiddenStates;
  private final Map<Integer, float[]> attentions;
  private final Map<Integer, float[]> attentionDiagonals;

  /**
   * @param lengths number of real (unpadded) tokens of every row
   * @param numHeads attention heads, or 0 when no attention was exposed
   */
  public EncoderOutputs(int batchSize, int seqLen, int hiddenSize, int numHeads, int numLayers, int[] lengths,
      float[] lastHidden, Map<Integer, float[]> hiddenStates, Map<Integer, float[]> attentions) {
    this(batchSize, seqLen, hiddenSize, numHeads, numLayers, lengths, lastHidden, hiddenStates, attentions, Map.of());
  }

  /**
   * @param attentionDiagonals per layer, {@code [batch, heads, seq]} with {@code [b][h][i] = A[b][h][i][i]}
   */
  public EncoderOutputs(int batchSize, int seqLen, int hiddenSize, int numHeads, int numLayers, int[] lengths,
      float[] lastHidden, Map<Integer, float[]> hiddenStates, Map<Integer, float[]> attentions,
      Map<Integer, float[]> attentionDiagonals) {
    if (lengths.length != batchSize) {
      throw new IllegalArgumentException("lengths has " + lengths.length + " rows, batch has " + batchSize);
    }
    if (lastHidden.length != batchSize * seqLen * hiddenSize) {
      throw new IllegalArgumentException("last hidden state has " + lastHidden.length + " values, expected "
          + batchSize + "x" + seqLen + "x" + hiddenSize);
    }
    this.batchSize = batchSize;
    this.seqLen = seqLen;
    this.hiddenSize = hiddenSize;
    this.numHeads = numHeads;
    this.numLayers = numLayers;
    this.lengths = lengths;
    this.lastHidden = lastHidden;
    this.hiddenStates = Map.copyOf(hiddenStates);
    this.attentions = Map.copyOf(attentions);
    this.attentionDiagonals = Map.copyOf(attentionDiagonals);
  }

  public int batchSize() {
    return batchSize;
  }

  /** Padded sequence length of the batch. */
  public int seqLen() {
    return seqLen;
  }

  public int hiddenSize() {
    return hiddenSize;
  }

  public int numHeads() {
    return numHeads;
  }

  /** Transformer layers of the model (hidden states are 0..numLayers). */
  public int numLayers() {
    return numLayers;
  }

  /** Real tokens (special tokens included) of row {@code b}; positions at or after it are padding. */
  public int length(int b) {
    return lengths[b];
  }

  /** {@code last_hidden_state}, {@code [batch, seq, hidden]} row-major. */
  public float[] lastHidden() {
    return lastHidden;
  }

  /**
   * Hidden state {@code index} (0 = embedding output, numLayers = last layer), {@code [batch, seq, hidden]}.
   * The last hidden state is always available.
   */
  public float[] hiddenState(int index) {
    if (index == numLayers && !hiddenStates.containsKey(index)) {
      return lastHidden;
    }
    float[] h = hiddenStates.get(index);
    if (h == null) {
      throw new IllegalStateException("hidden state " + index + " was not requested; requested: "
          + hiddenStates.keySet() + " (declare it in the consumer's TensorRequest)");
    }
    return h;
  }

  /** Post-softmax attention of layer {@code layer}, {@code [batch, heads, seq, seq]} row-major. */
  public float[] attention(int layer) {
    float[] a = attentions.get(layer);
    if (a == null) {
      throw new IllegalStateException("attention of layer " + layer + " was not requested; requested: "
          + attentions.keySet() + " (declare it in the consumer's TensorRequest)");
    }
    return a;
  }

  /**
   * Attention diagonal of layer {@code layer}, {@code [batch, heads, seq]}: {@code [b][h][i]} is how much token
   * {@code i} attends to itself. Taken from the full map when that was requested instead.
   */
  public float[] attentionDiagonal(int layer) {
    float[] d = attentionDiagonals.get(layer);
    if (d != null) {
      return d;
    }
    float[] a = attentions.get(layer);
    if (a == null) {
      throw new IllegalStateException("attention diagonal of layer " + layer + " was not requested; requested: "
          + attentionDiagonals.keySet() + " (declare it in the consumer's TensorRequest)");
    }
    d = new float[batchSize * numHeads * seqLen];
    for (int b = 0; b < batchSize; b++) {
      for (int h = 0; h < numHeads; h++) {
        for (int i = 0; i < seqLen; i++) {
          d[(b * numHeads + h) * seqLen + i] = a[attentionOffset(b, h, i) + i];
        }
      }
    }
    return d;
  }

  /** Offset of token {@code t} of row {@code b} in a hidden-state array. */
  public int hiddenOffset(int b, int t) {
    return (b * seqLen + t) * hiddenSize;
  }

  /** Offset of attention {@code [b][h][i][0]} in an attention array. */
  public int attentionOffset(int b, int h, int i) {
    return ((b * numHeads + h) * seqLen + i) * seqLen;
  }
}
