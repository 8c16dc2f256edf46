package dev.attnir.encoders;

import java.util.Map;

/**
 * Turns an encoder's token-level tensors into one vector per text. This is the pooling seam: CLS, mean, max and layer
 * averages live here, and so do poolings that read attention (Ditto) or carry fitted or trained parameters
 * (whitening, trainable multi-layer pooling).
 *
 * <p>A pooling declares the tensors it reads ({@link #requirements}); one that needs nothing beyond
 * {@code last_hidden_state} runs on the unmodified, fully fused graph.
 */
public interface Pooling {

  /** Canonical name, as users select it and index manifests record it (e.g. {@code cls}, {@code mean}). */
  String name();

  /** Tensors this pooling reads from a model with {@code numLayers} transformer layers. */
  TensorRequest requirements(int numLayers);

  /** Dimension of the pooled vectors for a model whose hidden states have {@code hiddenSize} values. */
  int dimension(int hiddenSize);

  /** Pools every row of a batch; row {@code b} of the result belongs to row {@code b} of {@code outputs}. */
  float[][] pool(EncoderOutputs outputs);

  /**
   * What else defines this pooling's vectors beyond its name (e.g. the layer and head it reads, a digest of fitted
   * parameters). An index records it; a query embedder whose pooling differs in any entry is refused.
   */
  default Map<String, String> parameters() {
    return Map.of();
  }
}
