package dev.attnir.encoders.pooling;

import dev.attnir.encoders.EncoderOutputs;
import java.util.Arrays;

/** Element-wise maximum of the last hidden state over real tokens (padding excluded). */
public final class MaxPooling extends TokenPooling {

  @Override
  public String name() {
    return "max";
  }

  @Override
  void reduce(EncoderOutputs out, float[] hidden, int b, float[] into) {
    Arrays.fill(into, Float.NEGATIVE_INFINITY);
    for (int t = 0; t < out.length(b); t++) {
      int off = out.hiddenOffset(b, t);
      for (int k = 0; k < into.length; k++) {
        into[k] = Math.max(into[k], hidden[off + k]);
      }
    }
  }
}
