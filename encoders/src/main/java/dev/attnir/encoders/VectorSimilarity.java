package dev.attnir.encoders;

import java.util.Locale;

/**
 * How two embeddings of a model are compared. The index maps this to its own similarity function;
 * it is part of what an index records, so vectors are never compared under a function the model was not trained for.
 */
public enum VectorSimilarity {
  /** Cosine of the angle; for L2-normalised vectors this equals the dot product. */
  COSINE,
  /** Raw dot product (vectors must be unit length for the HNSW graph). */
  DOT_PRODUCT,
  /** Negative squared Euclidean distance. */
  EUCLIDEAN;

  /** Parses {@code cosine}, {@code dot_product}/{@code dot}, {@code euclidean}/{@code l2}. */
  public static VectorSimilarity parse(String value) {
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "cosine", "cos" -> COSINE;
      case "dot_product", "dot-product", "dot" -> DOT_PRODUCT;
      case "euclidean", "l2" -> EUCLIDEAN;
      default -> throw new IllegalArgumentException(
          "unknown vector similarity '" + value + "'; known: cosine, dot_product, euclidean");
    };
  }

  /** Name as written in configs and manifests. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
