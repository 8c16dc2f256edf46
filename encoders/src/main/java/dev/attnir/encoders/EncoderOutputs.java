package dev.attnir.encoders;

import java.util.Map;

/**
 * The tensors of one encoded batch, row-major and right-padded. Rows are in the order the batch was given.
 *
 * <p>Hidden tensors are {@code [batch, seq, hidden]}; attention tensors are {@code [batch, heads, seq, seq]} with
 * the query position before the key position, so {@code attention(l)[b][h][i][j]} is how much token {@code i}
 * attends to token {@code j}.
 *
 * <p>Every batch carries the model's primary output ({@link #primaryOutput()}): {@code last_hidden_state} of an
 * encoder, or the {@code logits} of a scorer ({@code [batch, n]}) or a language model ({@code [batch, seq, vocab]}).
 * For an encoder, {@link #lastHidden()} is the primary output; for other models it is available only when the last
 * hidden state was exposed.
 */
public final class EncoderOutputs {
  private final int batchSize;
  private final int seqLen;
  private final int hiddenSize;
  private final int numHeads;
  private final int numLayers;
  private final int[] lengths;
  private final String primaryName;
  private final float[] primary;
  private final int[] primaryShape;
  private final float[] lastHidden;
  private final Map<Integer, float[]> hiddenStates;
  private final Map<Integer, float[]> attentions;
  private final Map<Integer, float[]> attentionDiagonals;
  private final int firstSegmentRows;
  private final Map<Integer, float[]> firstSegmentAttentions;

  /**
   * Outputs of an encoder whose primary output is {@code last_hidden_state}.
   *
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
    this(batchSize, seqLen, hiddenSize, numHeads, numLayers, lengths, GraphLayout.LAST_HIDDEN_STATE, lastHidden,
        new int[] {batchSize, seqLen, hiddenSize}, hiddenStates, attentions, attentionDiagonals);
  }

  /**
   * Outputs of any model.
   *
   * @param hiddenSize width of the hidden states, or 0 when the batch has none (a scorer without exposed states)
   * @param primaryName name of the primary output; when it is {@code last_hidden_state} it is also
   *     {@link #lastHidden()}, otherwise that is hidden state {@code numLayers} if it was exposed
   * @param primaryShape shape of the primary output, e.g. {@code [batch, n]} for a scorer
   */
  public EncoderOutputs(int batchSize, int seqLen, int hiddenSize, int numHeads, int numLayers, int[] lengths,
      String primaryName, float[] primary, int[] primaryShape, Map<Integer, float[]> hiddenStates,
      Map<Integer, float[]> attentions, Map<Integer, float[]> attentionDiagonals) {
    if (lengths.length != batchSize) {
      throw new IllegalArgumentException("lengths has " + lengths.length + " rows, batch has " + batchSize);
    }
    long count = 1;
    for (int d : primaryShape) {
      count *= d;
    }
    if (primaryShape.length == 0 || primaryShape[0] != batchSize || primary.length != count) {
      throw new IllegalArgumentException(primaryName + " has " + primary.length + " values and shape "
          + java.util.Arrays.toString(primaryShape) + ", expected " + batchSize + " rows");
    }
    float[] last = GraphLayout.LAST_HIDDEN_STATE.equals(primaryName) ? primary
        : numLayers > 0 ? hiddenStates.get(numLayers) : null;
    if (last != null && last.length != batchSize * seqLen * hiddenSize) {
      throw new IllegalArgumentException("last hidden state has " + last.length + " values, expected "
          + batchSize + "x" + seqLen + "x" + hiddenSize);
    }
    this.batchSize = batchSize;
    this.seqLen = seqLen;
    this.hiddenSize = hiddenSize;
    this.numHeads = numHeads;
    this.numLayers = numLayers;
    this.lengths = lengths;
    this.primaryName = primaryName;
    this.primary = primary;
    this.primaryShape = primaryShape.clone();
    this.lastHidden = last;
    this.hiddenStates = Map.copyOf(hiddenStates);
    this.attentions = Map.copyOf(attentions);
    this.attentionDiagonals = Map.copyOf(attentionDiagonals);
    this.firstSegmentRows = 0;
    this.firstSegmentAttentions = Map.of();
  }

  private EncoderOutputs(EncoderOutputs base, int firstSegmentRows, Map<Integer, float[]> firstSegmentAttentions) {
    this.batchSize = base.batchSize;
    this.seqLen = base.seqLen;
    this.hiddenSize = base.hiddenSize;
    this.numHeads = base.numHeads;
    this.numLayers = base.numLayers;
    this.lengths = base.lengths;
    this.primaryName = base.primaryName;
    this.primary = base.primary;
    this.primaryShape = base.primaryShape;
    this.lastHidden = base.lastHidden;
    this.hiddenStates = base.hiddenStates;
    this.attentions = base.attentions;
    this.attentionDiagonals = base.attentionDiagonals;
    this.firstSegmentRows = firstSegmentRows;
    this.firstSegmentAttentions = Map.copyOf(firstSegmentAttentions);
  }

  /**
   * These outputs plus first-segment attention rows: per layer {@code [batch, heads, rows, seq]}.
   *
   * @throws IllegalArgumentException when a map does not have that shape
   */
  public EncoderOutputs withFirstSegmentAttentions(int rows, Map<Integer, float[]> maps) {
    if (rows < 0 || rows > seqLen) {
      throw new IllegalArgumentException("first-segment rows " + rows + " outside 0.." + seqLen);
    }
    for (Map.Entry<Integer, float[]> e : maps.entrySet()) {
      if (e.getValue().length != (long) batchSize * numHeads * rows * seqLen) {
        throw new IllegalArgumentException("first-segment attention of layer " + e.getKey() + " has "
            + e.getValue().length + " values, expected " + batchSize + "x" + numHeads + "x" + rows + "x" + seqLen);
      }
    }
    return new EncoderOutputs(this, rows, maps);
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

  /** Name of the model's primary output ({@code last_hidden_state} or {@code logits}). */
  public String primaryOutputName() {
    return primaryName;
  }

  /** The model's primary output, row-major with shape {@link #primaryShape()}. */
  public float[] primaryOutput() {
    return primary;
  }

  /** Shape of the primary output; its first dimension is the batch. */
  public int[] primaryShape() {
    return primaryShape.clone();
  }

  /**
   * {@code last_hidden_state}, {@code [batch, seq, hidden]} row-major.
   *
   * @throws IllegalStateException when the model's primary output is something else and the last hidden state was
   *     not exposed
   */
  public float[] lastHidden() {
    if (lastHidden == null) {
      throw new IllegalStateException("the model's output is " + primaryName + java.util.Arrays.toString(primaryShape)
          + ", not last_hidden_state" + (numLayers > 0 ? "; request hidden state " + numLayers
          + " in the TensorRequest to get it" : "; its hidden states cannot be exposed"));
    }
    return lastHidden;
  }

  /**
   * Hidden state {@code index} (0 = embedding output, numLayers = last layer), {@code [batch, seq, hidden]}.
   * The last hidden state is always available.
   */
  public float[] hiddenState(int index) {
    if (index == numLayers && numLayers > 0 && !hiddenStates.containsKey(index) && lastHidden != null) {
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

  /** Rows of the first-segment attention maps: the largest first-segment end in the batch (0 when none). */
  public int firstSegmentRows() {
    return firstSegmentRows;
  }

  /**
   * First-segment attention rows of layer {@code layer}, {@code [batch, heads, firstSegmentRows(), seq]} row-major:
   * the leading rows of {@link #attention}, which need not have been requested.
   */
  public float[] firstSegmentAttention(int layer) {
    float[] a = firstSegmentAttentions.get(layer);
    if (a == null) {
      throw new IllegalStateException("first-segment attention of layer " + layer + " was not requested; requested: "
          + firstSegmentAttentions.keySet() + " (declare it in the consumer's TensorRequest)");
    }
    return a;
  }

  /** Offset of first-segment attention {@code [b][h][i][0]}; {@code i} must be below {@link #firstSegmentRows()}. */
  public int firstSegmentAttentionOffset(int b, int h, int i) {
    if (i < 0 || i >= firstSegmentRows) {
      throw new IndexOutOfBoundsException("row " + i + " is outside the first-segment rows 0.." + (firstSegmentRows - 1));
    }
    return ((b * numHeads + h) * firstSegmentRows + i) * seqLen;
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
