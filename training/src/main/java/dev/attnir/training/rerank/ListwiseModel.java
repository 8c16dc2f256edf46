package dev.attnir.training.rerank;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.attnir.encoders.Batch;
import dev.attnir.encoders.TokenizedText;
import dev.attnir.rerankers.trained.RerankerArtifact;
import java.util.List;
import java.util.Map;

/**
 * A reranker being trained with DJL autograd: it tokenizes pairs in its own input format and scores groups of
 * candidates of one query each.
 */
public interface ListwiseModel extends AutoCloseable {

  /**
   * Scores and extra loss terms of one forward pass.
   *
   * @param scores {@code [groups, groupSize]}
   * @param auxiliaryLoss a scalar added to the ranking loss (already weighted), or null
   */
  record Output(NDArray scores, NDArray auxiliaryLoss) {}

  /** {@code cross-encoder} or {@code mvp}, as in {@link RerankerArtifact.Header#kind()}. */
  String kind();

  /** The pairs {@code (query, text_i)} in the model's input format. */
  List<TokenizedText> tokenize(String query, List<String> texts);

  /**
   * Forward pass over a batch whose rows are {@code groups} consecutive groups of {@code groupSize} candidates of one
   * query each. Intermediates are attached to {@code scope}.
   */
  Output forward(Batch batch, int groups, int groupSize, NDManager scope);

  /**
   * Parameters the optimizer updates, by name; the encoder's ({@code encoder.*}, {@code embeddings.*}) and the head's
   * (other names). Frozen tensors are not included.
   */
  Map<String, NDArray> trainable();

  /** Whether a parameter belongs to the pretrained encoder (it gets the encoder's learning rate). */
  default boolean isEncoderParameter(String name) {
    return name.startsWith("encoder.") || name.startsWith("embeddings.");
  }

  /**
   * The trained state as a shippable artifact: the trainable tensors ({@code half}: encoder tensors as float16,
   * heads always float32) and the header fields.
   */
  RerankerArtifact export(boolean half, Map<String, Object> training);

  /** Copies {@code values} (by trainable name) into the parameters, e.g. from a checkpoint. */
  void restore(Map<String, float[]> values);

  @Override
  void close();
}
