package dev.attnir.encoders;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Everything that determines the vectors an {@link Embedder} produces. An index stores it; a query embedder whose
 * identity differs is refused, because its vectors would live in another space.
 *
 * @param model model name
 * @param modelSha256 SHA-256 of the ONNX file (distinguishes fp32 from int8 and any re-export)
 * @param pooling pooling name
 * @param poolingParameters pooling parameters (layers, heads, fitted-parameter digests)
 * @param normalize whether vectors are L2-normalised
 * @param maxLength truncation length in tokens
 * @param queryPrefix prefix added to queries
 * @param passagePrefix prefix added to passages
 * @param similarity vector similarity
 * @param dimension vector dimension
 */
public record EmbeddingIdentity(
    String model,
    String modelSha256,
    String pooling,
    Map<String, String> poolingParameters,
    boolean normalize,
    int maxLength,
    String queryPrefix,
    String passagePrefix,
    VectorSimilarity similarity,
    int dimension) {

  public EmbeddingIdentity {
    poolingParameters = Map.copyOf(new TreeMap<>(poolingParameters));
  }

  /**
   * Human-readable differences between what an index was built with ({@code this}) and what a query uses
   * ({@code other}); empty when they are compatible.
   */
  public List<String> differencesFrom(EmbeddingIdentity other) {
    List<String> d = new ArrayList<>();
    diff(d, "model", model, other.model);
    diff(d, "model sha256", modelSha256, other.modelSha256);
    diff(d, "pooling", pooling, other.pooling);
    diff(d, "pooling parameters", new TreeMap<>(poolingParameters), new TreeMap<>(other.poolingParameters));
    diff(d, "normalize", normalize, other.normalize);
    diff(d, "max length", maxLength, other.maxLength);
    diff(d, "query prefix", "'" + queryPrefix + "'", "'" + other.queryPrefix + "'");
    diff(d, "passage prefix", "'" + passagePrefix + "'", "'" + other.passagePrefix + "'");
    diff(d, "similarity", similarity, other.similarity);
    diff(d, "dimension", dimension, other.dimension);
    return d;
  }

  private static void diff(List<String> out, String field, Object indexed, Object query) {
    if (!Objects.equals(indexed, query)) {
      out.add(field + ": index has " + indexed + ", query uses " + query);
    }
  }
}
