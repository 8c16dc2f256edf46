package dev.attnir.encoders.pooling;

import dev.attnir.encoders.EncoderOutputs;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.TensorRequest;

/**
 * A pooling that reduces the tokens of each row of the last hidden state to one vector of the hidden size. It reads
 * nothing else, so it runs on the unmodified, fully fused graph. A subclass gives the reduction of one row.
 */
abstract class TokenPooling implements Pooling {

  @Override
  public final TensorRequest requirements(int numLayers) {
    return TensorRequest.none();
  }

  @Override
  public final int dimension(int hiddenSize) {
    return hiddenSize;
  }

  @Override
  public final float[][] pool(EncoderOutputs out) {
    return pool(out, out.lastHidden());
  }

  /** Reduces every row of {@code hidden}, a {@code [batch, seq, hidden]} tensor laid out as {@code out}'s. */
  final float[][] pool(EncoderOutputs out, float[] hidden) {
    float[][] result = new float[out.batchSize()][out.hiddenSize()];
    for (int b = 0; b < out.batchSize(); b++) {
      reduce(out, hidden, b, result[b]);
    }
    return result;
  }

  /**
   * Reduces row {@code b} into {@code into} ({@code out.hiddenSize()} zeros): its real tokens are
   * {@code t = 0 .. out.length(b) - 1} (padding excluded), each {@code into.length} values of {@code hidden} from
   * {@code out.hiddenOffset(b, t)}.
   */
  abstract void reduce(EncoderOutputs out, float[] hidden, int b, float[] into);
}
