package dev.attnir.encoders;

import java.util.List;

/**
 * A graph known only by its input and output names: it can be run (plain encoding, scoring) but its intermediate
 * tensors cannot be found, so nothing can be exposed and its depth is unknown ({@link #numLayers()} is 0).
 */
public final class GenericLayout implements GraphLayout {

  private final List<String> inputs;
  private final String primaryOutput;
  private final String whyNotExposable;

  /**
   * @param inputs the graph's inputs, all feedable
   * @param primaryOutput the output to read
   * @param whyNotExposable what was looked for and not found, for the error of a request to expose tensors
   */
  public GenericLayout(List<String> inputs, String primaryOutput, String whyNotExposable) {
    for (String in : inputs) {
      if (!FEEDABLE_INPUTS.contains(in)) {
        throw new IllegalArgumentException("input " + in + " cannot be fed; feedable: " + FEEDABLE_INPUTS);
      }
    }
    this.inputs = List.copyOf(inputs);
    this.primaryOutput = primaryOutput;
    this.whyNotExposable = whyNotExposable;
  }

  @Override
  public String name() {
    return "generic";
  }

  @Override
  public List<String> inputs() {
    return inputs;
  }

  @Override
  public String primaryOutput() {
    return primaryOutput;
  }

  @Override
  public boolean canExpose() {
    return false;
  }

  @Override
  public int numLayers() {
    return 0;
  }

  @Override
  public String exposureUnavailableReason() {
    return whyNotExposable;
  }

  @Override
  public String hiddenStateTensor(int index) {
    throw new IllegalArgumentException("the generic graph layout cannot expose hidden state " + index + ": "
        + whyNotExposable);
  }

  @Override
  public String attentionTensor(int layer) {
    throw new IllegalArgumentException("the generic graph layout cannot expose the attention of layer " + layer
        + ": " + whyNotExposable);
  }

  @Override
  public String toString() {
    return "generic layout: inputs " + inputs + ", output " + primaryOutput;
  }
}
