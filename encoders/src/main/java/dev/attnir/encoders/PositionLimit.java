package dev.attnir.encoders;

import ai.onnx.proto.OnnxMl;
import java.util.Locale;
import java.util.Optional;

/**
 * The most tokens a graph can read: the rows of its learned position-embedding table (an initializer named like
 * {@code embeddings.position_embeddings.weight}, shape {@code [positions, hidden]}). A longer input makes ONNX Runtime
 * fail in the middle of encoding (a Gather index out of range), after an index directory was already created, so the
 * max length is checked against it when the model loads.
 *
 * @param positions rows of the table, i.e. the largest sequence length the graph accepts
 * @param initializer the table's initializer name, shown in messages
 */
public record PositionLimit(int positions, String initializer) {

  /**
   * The position limit of a graph, or empty when it has no learned position table (rotary or relative positions, or
   * an export that folded the table under another name): such a graph is not checked.
   */
  public static Optional<PositionLimit> of(OnnxMl.ModelProto model) {
    for (OnnxMl.TensorProto t : model.getGraph().getInitializerList()) {
      String name = t.getName().toLowerCase(Locale.ROOT);
      // word_embeddings, token_type_embeddings and LayerNorm weights never contain this name
      if (name.contains("position_embeddings") && t.getDimsCount() == 2 && t.getDims(0) > 0) {
        return Optional.of(new PositionLimit((int) Math.min(Integer.MAX_VALUE, t.getDims(0)), t.getName()));
      }
    }
    return Optional.empty();
  }

  /**
   * Refuses a max length the graph cannot read, naming where a max length comes from.
   *
   * @throws IllegalArgumentException when {@code maxLength} is above {@link #positions()}
   */
  public void check(String modelName, int maxLength) {
    if (maxLength > positions) {
      throw new IllegalArgumentException("max length " + maxLength + " of model " + modelName + " exceeds the "
          + positions + " positions its graph has (" + initializer + "); set --max-length (or model.json "
          + "maxLength) to at most " + positions);
    }
  }
}
