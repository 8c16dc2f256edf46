package dev.attnir.encoders.pooling;

import dev.attnir.encoders.EncoderOutputs;

/**
 * Mean of the last hidden state over real tokens (special tokens included, padding excluded), as sentence-transformers'
 * mean pooling computes it for all-MiniLM-L6-v2 and e5.
 */
public final class MeanPooling extends TokenPooling {

  private static final MeanPooling MASKED_MEAN = new MeanPooling();

  @Override
  public String name() {
    return "mean";
  }

  @Override
  void reduce(EncoderOutputs out, float[] hidden, int b, float[] into) {
    double[] acc = new double[into.length];
    int len = out.length(b);
    for (int t = 0; t < len; t++) {
      int off = out.hiddenOffset(b, t);
      for (int k = 0; k < acc.length; k++) {
        acc[k] += hidden[off + k];
      }
    }
    for (int k = 0; k < acc.length; k++) {
      into[k] = (float) (acc[k] / len);
    }
  }

  /** Masked mean over the real tokens of every row of {@code hidden} ({@code [batch, seq, hidden]}). */
  static float[][] maskedMean(EncoderOutputs out, float[] hidden) {
    return MASKED_MEAN.pool(out, hidden);
  }
}
