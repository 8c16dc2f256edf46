package dev.attnir.encoders.pooling;

import dev.attnir.encoders.EncoderOutputs;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.TensorRequest;
import java.util.Map;

/**
 * One vector per layer, concatenated: the masked token mean (or the CLS vector) of hidden states {@code first..last},
 * giving {@code (last - first + 1) * hidden} values. It is the input of the multi-layer trainable pooling head, kept as
 * a pooling of its own so it can be cached and trained on without re-running the encoder.
 */
public final class LayerFeaturesPooling implements Pooling {

  private final String input;
  private final int first;
  private final int last;

  /**
   * @param input {@code mean} or {@code cls}
   * @param first first hidden state (1 = first transformer layer)
   * @param last last hidden state (the model's depth for its last layer)
   */
  public LayerFeaturesPooling(String input, int first, int last) {
    if (!input.equals("mean") && !input.equals("cls")) {
      throw new IllegalArgumentException("layer input must be mean or cls, got " + input);
    }
    if (first < 0 || last < first) {
      throw new IllegalArgumentException("layer range " + first + ".." + last + " is empty or negative");
    }
    this.input = input;
    this.first = first;
    this.last = last;
  }

  /** Number of layer vectors. */
  public int count() {
    return last - first + 1;
  }

  @Override
  public String name() {
    return "layer-features";
  }

  @Override
  public TensorRequest requirements(int numLayers) {
    if (last > numLayers) {
      throw new IllegalArgumentException("layer features read hidden state " + last + " but the model has hidden "
          + "states 0 to " + numLayers);
    }
    int[] layers = new int[count()];
    for (int i = 0; i < layers.length; i++) {
      layers[i] = first + i;
    }
    return TensorRequest.hidden(layers);
  }

  @Override
  public int dimension(int hiddenSize) {
    return count() * hiddenSize;
  }

  @Override
  public float[][] pool(EncoderOutputs out) {
    int d = out.hiddenSize();
    int n = count();
    float[][] features = new float[out.batchSize()][n * d];
    TokenPooling perLayer = input.equals("cls") ? new ClsPooling() : new MeanPooling();
    for (int l = 0; l < n; l++) {
      float[] h = out.hiddenState(first + l);
      float[][] pooled = perLayer.pool(out, h);
      for (int b = 0; b < out.batchSize(); b++) {
        System.arraycopy(pooled[b], 0, features[b], l * d, d);
      }
    }
    return features;
  }

  @Override
  public Map<String, String> parameters() {
    return Map.of("input", input, "layers", first + ".." + last);
  }
}
