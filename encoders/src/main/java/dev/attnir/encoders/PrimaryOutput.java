package dev.attnir.encoders;

import java.util.Arrays;

/**
 * The output a model is run for, as its graph declares it.
 *
 * @param name the output's name ({@code last_hidden_state} or {@code logits})
 * @param kind what it holds, from its name and rank
 * @param width its last dimension: the hidden size, the number of scores, or the vocabulary size (-1 when the graph
 *     leaves it symbolic)
 */
public record PrimaryOutput(String name, Kind kind, int width) {

  /** What a primary output holds. */
  public enum Kind {
    /** {@code last_hidden_state} {@code [batch, seq, hidden]}: an encoder; an embedder pools it. */
    TOKEN_STATES,
    /** {@code logits} {@code [batch, n]}: a scorer, e.g. a cross-encoder ({@code n = 1}) or a classifier. */
    SEQUENCE_SCORES,
    /** {@code logits} {@code [batch, seq, vocab]}: a language model's next-token logits. */
    TOKEN_LOGITS
  }

  /**
   * Classifies a graph output by name and shape.
   *
   * @throws IllegalArgumentException when the rank does not fit the name
   */
  public static PrimaryOutput of(String name, long[] shape, String modelName) {
    int width = shape.length == 0 ? -1 : (int) Math.max(-1, shape[shape.length - 1]);
    if (GraphLayout.LAST_HIDDEN_STATE.equals(name)) {
      if (shape.length != 3 || shape[2] <= 0) {
        throw new IllegalArgumentException("model " + modelName + ": last_hidden_state has shape "
            + Arrays.toString(shape) + ", expected [batch, sequence, hidden] with a fixed hidden size");
      }
      return new PrimaryOutput(name, Kind.TOKEN_STATES, width);
    }
    if (GraphLayout.LOGITS.equals(name)) {
      if (shape.length == 2) {
        return new PrimaryOutput(name, Kind.SEQUENCE_SCORES, width);
      }
      if (shape.length == 3) {
        return new PrimaryOutput(name, Kind.TOKEN_LOGITS, width);
      }
      throw new IllegalArgumentException("model " + modelName + ": logits has shape " + Arrays.toString(shape)
          + ", expected [batch, n] (a scorer) or [batch, sequence, vocab] (a language model)");
    }
    throw new IllegalArgumentException("model " + modelName + ": unknown primary output " + name);
  }

  /** Human-readable form, e.g. {@code logits [batch, 1] (scores)}. */
  public String describe() {
    String w = width < 0 ? "?" : Integer.toString(width);
    return switch (kind) {
      case TOKEN_STATES -> name + " [batch, seq, " + w + "] (token states)";
      case SEQUENCE_SCORES -> name + " [batch, " + w + "] (scores of a scorer such as a cross-encoder)";
      case TOKEN_LOGITS -> name + " [batch, seq, " + w + "] (token logits of a language model)";
    };
  }
}
