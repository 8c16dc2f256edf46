package dev.attnir.encoders.pooling;

import dev.attnir.encoders.EncoderOutputs;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.TensorRequest;
import java.util.Map;

/**
 * Ditto: diagonal attention pooling (Chen et al., "Ditto: A Simple and Efficient Approach to Improve Sentence
 * Embeddings", EMNLP 2023; official code alibaba-damo-academy/SpokenNLP, {@code ditto/evaluation_ditto.py}, poolers
 * {@code att_first_last} and {@code att_last}).
 *
 * <p>Token {@code i} is weighted by {@code A[layer][head][i][i]}, the diagonal of one head of one layer's post-softmax
 * attention: how much the token attends to itself. The embedding is {@code sum_i mask_i * w_i * h_i} with
 * {@code h_i = (hidden_states[0]_i + hidden_states[-1]_i) / 2} ({@link Variant#FIRST_LAST}, where hidden state 0 is the
 * embedding-layer output) or {@code h_i = hidden_states[-1]_i} ({@link Variant#LAST}). As in the official code the
 * weights are not renormalised, special tokens are included and padding is masked. The paper's default for
 * BERT-base is layer 0, head 9; for other models the pair is chosen by a search on non-test data and stored with
 * the model ({@code ditto.layer}, {@code ditto.head}).
 */
public final class DittoPooling implements Pooling {

  /** Which hidden states the attention weights are applied to. */
  public enum Variant {
    /** Average of the embedding-layer output and the last layer ({@code att_first_last}). */
    FIRST_LAST("ditto", "embeddings+last"),
    /** The last layer only ({@code att_last}). */
    LAST("ditto-last", "last");

    final String poolingName;
    final String hiddenLabel;

    Variant(String poolingName, String hiddenLabel) {
      this.poolingName = poolingName;
      this.hiddenLabel = hiddenLabel;
    }
  }

  private final int layer;
  private final int head;
  private final Variant variant;

  /**
   * @param layer transformer layer whose attention is read (0-based)
   * @param head attention head within that layer (0-based)
   */
  public DittoPooling(int layer, int head, Variant variant) {
    if (layer < 0 || head < 0) {
      throw new IllegalArgumentException("Ditto layer and head must be >= 0, got layer " + layer + ", head " + head);
    }
    this.layer = layer;
    this.head = head;
    this.variant = variant;
  }

  public int layer() {
    return layer;
  }

  public int head() {
    return head;
  }

  public Variant variant() {
    return variant;
  }

  @Override
  public String name() {
    return variant.poolingName;
  }

  @Override
  public TensorRequest requirements(int numLayers) {
    if (layer >= numLayers) {
      throw new IllegalArgumentException("Ditto layer " + layer + " is out of range: the model has layers 0 to "
          + (numLayers - 1));
    }
    TensorRequest hidden = variant == Variant.FIRST_LAST ? TensorRequest.hidden(0, numLayers)
        : TensorRequest.hidden(numLayers);
    return hidden.withAttentionDiagonals(layer);
  }

  @Override
  public int dimension(int hiddenSize) {
    return hiddenSize;
  }

  @Override
  public float[][] pool(EncoderOutputs out) {
    if (head >= out.numHeads()) {
      throw new IllegalArgumentException("Ditto head " + head + " is out of range: the model has heads 0 to "
          + (out.numHeads() - 1));
    }
    float[] last = out.hiddenState(out.numLayers());
    float[] first = variant == Variant.FIRST_LAST ? out.hiddenState(0) : null;
    float[] diagonal = out.attentionDiagonal(layer);
    int d = out.hiddenSize();
    float[][] result = new float[out.batchSize()][d];
    double[] acc = new double[d];
    for (int b = 0; b < out.batchSize(); b++) {
      java.util.Arrays.fill(acc, 0);
      for (int i = 0; i < out.length(b); i++) {
        double w = diagonal[(b * out.numHeads() + head) * out.seqLen() + i];
        int off = out.hiddenOffset(b, i);
        if (first == null) {
          for (int k = 0; k < d; k++) {
            acc[k] += w * last[off + k];
          }
        } else {
          for (int k = 0; k < d; k++) {
            acc[k] += w * ((first[off + k] + last[off + k]) / 2.0);
          }
        }
      }
      for (int k = 0; k < d; k++) {
        result[b][k] = (float) acc[k];
      }
    }
    return result;
  }

  @Override
  public Map<String, String> parameters() {
    return Map.of("layer", Integer.toString(layer), "head", Integer.toString(head), "hidden_states",
        variant.hiddenLabel);
  }
}
