package dev.attnir.encoders.pooling;

import dev.attnir.encoders.EncoderOutputs;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.TensorRequest;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Masked token mean of the average of several hidden states. Hidden state 0 is the embedding-layer output; hidden
 * state {@code i} ({@code i >= 1}) is the output of transformer layer {@code i}; {@link #LAST} is the last layer.
 *
 * <p>Two published variants differ only in the "first" layer, and are named for what they average:
 * <ul>
 *   <li>{@code embeddings-last-mean}: hidden states 0 and last, the "first-last average" of the SimCSE code and of
 *       Ditto (Chen et al., EMNLP 2023), whose {@code hidden_states[0]} is the embedding output;</li>
 *   <li>{@code layer1-last-mean}: hidden states 1 and last, the "first-last average" of BERT-whitening
 *       (Su et al., 2021) and WhiteningBERT (Huang et al., 2021), whose first layer is transformer layer 1.</li>
 * </ul>
 */
public final class LayerMeanPooling implements Pooling {

  /** Stands for the last hidden state, whatever the model's depth. */
  public static final int LAST = -1;

  private final int[] layers;
  private final String name;

  /**
   * @param name canonical name
   * @param layers hidden-state indices to average ({@link #LAST} for the last one)
   */
  public LayerMeanPooling(String name, int... layers) {
    if (layers.length == 0) {
      throw new IllegalArgumentException("pooling " + name + " averages no layers");
    }
    for (int l : layers) {
      if (l < LAST) {
        throw new IllegalArgumentException("pooling " + name + ": hidden state index " + l + " is negative");
      }
    }
    this.name = name;
    this.layers = layers.clone();
  }

  /** The SimCSE/Ditto first-last average: embedding output and last layer. */
  public static LayerMeanPooling embeddingsAndLast() {
    return new LayerMeanPooling("embeddings-last-mean", 0, LAST);
  }

  /** The BERT-whitening first-last average: transformer layer 1 and last layer. */
  public static LayerMeanPooling layer1AndLast() {
    return new LayerMeanPooling("layer1-last-mean", 1, LAST);
  }

  private int[] resolved(int numLayers) {
    return Arrays.stream(layers).map(l -> l == LAST ? numLayers : l).toArray();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public TensorRequest requirements(int numLayers) {
    int[] r = resolved(numLayers);
    for (int l : r) {
      if (l > numLayers) {
        throw new IllegalArgumentException("pooling " + name + " reads hidden state " + l
            + " but the model has hidden states 0 (embeddings) to " + numLayers);
      }
    }
    return TensorRequest.hidden(r);
  }

  @Override
  public int dimension(int hiddenSize) {
    return hiddenSize;
  }

  @Override
  public float[][] pool(EncoderOutputs out) {
    int[] r = resolved(out.numLayers());
    float[] avg = out.hiddenState(r[0]).clone();
    for (int i = 1; i < r.length; i++) {
      float[] h = out.hiddenState(r[i]);
      for (int k = 0; k < avg.length; k++) {
        avg[k] += h[k];
      }
    }
    float inv = 1f / r.length;
    for (int k = 0; k < avg.length; k++) {
      avg[k] *= inv;
    }
    return MeanPooling.maskedMean(out, avg);
  }

  @Override
  public Map<String, String> parameters() {
    return Map.of("hidden_states", Arrays.stream(layers).mapToObj(l -> l == LAST ? "last" : Integer.toString(l))
        .collect(Collectors.joining(",")));
  }
}
