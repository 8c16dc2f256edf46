package dev.attnir.rerankers.attention;

import java.util.List;

/**
 * What a reader saw of one context: per passage slot, the attention each of its tokens received from the focus
 * tokens (averaged over focus tokens, summed over the reader's layers and heads), for the tokens that fit.
 *
 * @param tokens per slot, the attention of each of the slot's tokens that were read
 * @param truncated whether any text was cut to fit the reader's positions
 */
public record ContextAttention(List<float[]> tokens, boolean truncated) {

  public ContextAttention {
    tokens = List.copyOf(tokens);
  }

  /** Number of passage slots. */
  public int slots() {
    return tokens.size();
  }

  /** Total attention on slot {@code i}. */
  public double mass(int i) {
    double sum = 0;
    for (float v : tokens.get(i)) {
      sum += v;
    }
    return sum;
  }
}
