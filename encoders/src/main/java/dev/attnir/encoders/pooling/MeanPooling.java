package dev.attnir.encoders.pooling;

import dev.attnir.encoders.EncoderOutputs;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.TensorRequest;

/**
 * Mean of the last hidden state over real tokens (special tokens included, padding excluded), as sentence-transformers'
 * mean pooling computes it for all-MiniLM-L6-v2 and e5.
 */
public final class MeanPooling implements Pooling {

  @Override
  public String name() {
    return "mean";
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
    return maskedMean(out, out.lastHidden());
  }

  /** Masked mean over the real tokens of every row of {@code hidden} ({@code [batch, seq, hidden]}). */
  static float[][] maskedMean(EncoderOutputs out, float[] hidden) {
    int d = out.hiddenSize();
    float[][] result = new float[out.batchSize()][d];
    double[] acc = new double[d];
    for (int b = 0; b < out.batchSize(); b++) {
      java.util.Arrays.fill(acc, 0);
      int len = out.length(b);
      for (int t = 0; t < len; t++) {
        int off = out.hiddenOffset(b, t);
        for (int k = 0; k < d; k++) {
          acc[k] += hidden[off + k];
        }
      }
      for (int k = 0; k < d; k++) {
        result[b][k] = (float) (acc[k] / len);
      }
    }
    return result;
  }
}
