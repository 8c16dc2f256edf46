package dev.attnir.encoders.pooling;

import dev.attnir.encoders.EncoderOutputs;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.TensorRequest;

/** The last hidden state of the first token ({@code [CLS]}), as BERT and the bge models are trained to use. */
public final class ClsPooling implements Pooling {

  @Override
  public String name() {
    return "cls";
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
      System.arraycopy(h, out.hiddenOffset(b, 0), result[b], 0, d);
    }
    return result;
  }
}
