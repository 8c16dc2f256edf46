package dev.attnir.encoders;

/**
 * Something fitted or trained on one model's outputs (a whitening transform, a trained pooling head). Using it with
 * other weights would give vectors in the wrong space without any error, so {@link Embedder} refuses the combination.
 */
public interface ModelBound {

  /** Name of the model it was fitted on. */
  String modelName();

  /** SHA-256 of that model's ONNX file. */
  String modelSha256();
}
