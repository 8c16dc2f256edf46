package dev.attnir.encoders.pooling;

import dev.attnir.encoders.EncoderOutputs;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.TensorRequest;

/** Element-wise maximum of the last hidden state over real tokens (padding excluded). */
public final class MaxPooling implements Pooling {

  @Override
  public String name() {
    return "max";
  }

  @Override
  public TensorRequest requirements(int numLayers) {
    return TensorRequest.none();
  }

  @Override
  public int dimension(int hiddenSize) {
    return hiddenSize;
  }

  @Override
  public float[][] pool(EncoderOutputs out) {
    float[] h = out.lastHidden();
    int d = out.hiddenSize();
    float[][] result = new float[out.batchSize()][d];
    for (int b = 0; b < out.batchSize(); b++) {
      float[] r = result[b];
      java.util.Arrays.fill(r, Float.NEGATIVE_INFINITY);
      for (int t = 0; t < out.length(b); t++) {
        int off = out.hiddenOffset(b, t);
        for (int k = 0; k < d; k++) {
          r[k] = Math.max(r[k], h[off + k]);
        }
      }
    }
    return result;
  }
}
