package dev.attnir.encoders.pooling;

import dev.attnir.encoders.EncoderOutputs;

/** The last hidden state of the first token ({@code [CLS]}), as BERT and the bge models are trained to use. */
public final class ClsPooling extends TokenPooling {

  @Override
  public String name() {
    return "cls";
  }

  @Override
  void reduce(EncoderOutputs out, float[] hidden, int b, float[] into) {
    System.arraycopy(hidden, out.hiddenOffset(b, 0), into, 0, into.length);
  }
}
