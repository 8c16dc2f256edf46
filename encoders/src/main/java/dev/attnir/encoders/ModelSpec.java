package dev.attnir.encoders;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Typed configuration of an embedding model: where it comes from and how its embeddings are meant to be made
 * (pooling, normalisation, max length, the query/passage prefixes it was trained with, similarity).
 * Built-in models carry the defaults of their model cards; see {@link ModelRegistry}.
 *
 * @param name model name as users select it and manifests record it
 * @param source where the ONNX graph and tokenizer come from
 * @param pooling default pooling name (see {@code Poolings#parse})
 * @param normalize whether embeddings are L2-normalised after pooling
 * @param maxLength maximum tokens per input including special tokens; longer inputs are truncated and counted
 * @param queryPrefix text prepended to every query before tokenization (an instruction, or "query: ")
 * @param passagePrefix text prepended to every passage before tokenization (e.g. "passage: ")
 * @param similarity how two embeddings are compared
 * @param poolingOptions model-specific settings of poolings, e.g. {@code ditto.layer} and {@code ditto.head} chosen by
 *     a Ditto layer/head search for this model
 */
public record ModelSpec(
    String name,
    ModelSource source,
    String pooling,
    boolean normalize,
    int maxLength,
    String queryPrefix,
    String passagePrefix,
    VectorSimilarity similarity,
    Map<String, String> poolingOptions) {

  public ModelSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(pooling, "pooling");
    Objects.requireNonNull(similarity, "similarity");
    queryPrefix = queryPrefix == null ? "" : queryPrefix;
    poolingOptions = poolingOptions == null ? Map.of() : Map.copyOf(poolingOptions);
    passagePrefix = passagePrefix == null ? "" : passagePrefix;
    if (maxLength < 8) {
      throw new IllegalArgumentException("maxLength must be at least 8 tokens, got " + maxLength + " for model "
          + name);
    }
  }

  /** A model without pooling options. */
  public ModelSpec(String name, ModelSource source, String pooling, boolean normalize, int maxLength,
      String queryPrefix, String passagePrefix, VectorSimilarity similarity) {
    this(name, source, pooling, normalize, maxLength, queryPrefix, passagePrefix, similarity, Map.of());
  }

  /** The same model with another pooling option set. */
  public ModelSpec withPoolingOption(String key, String value) {
    Map<String, String> m = new HashMap<>(poolingOptions);
    m.put(key, value);
    return new ModelSpec(name, source, pooling, normalize, maxLength, queryPrefix, passagePrefix, similarity, m);
  }

  /** The same model truncating at a different length. */
  public ModelSpec withMaxLength(int newMaxLength) {
    return new ModelSpec(name, source, pooling, normalize, newMaxLength, queryPrefix, passagePrefix, similarity,
        poolingOptions);
  }

  /** The same model with another default pooling. */
  public ModelSpec withPooling(String newPooling) {
    return new ModelSpec(name, source, newPooling, normalize, maxLength, queryPrefix, passagePrefix, similarity,
        poolingOptions);
  }

  /** The same model with other prefixes. */
  public ModelSpec withPrefixes(String newQueryPrefix, String newPassagePrefix) {
    return new ModelSpec(name, source, pooling, normalize, maxLength, newQueryPrefix, newPassagePrefix, similarity,
        poolingOptions);
  }

  /** The same model with or without L2 normalisation. */
  public ModelSpec withNormalize(boolean newNormalize) {
    return new ModelSpec(name, source, pooling, newNormalize, maxLength, queryPrefix, passagePrefix, similarity,
        poolingOptions);
  }
}
