package dev.attnir.eval.pipeline;

import dev.attnir.encoders.EmbeddingIdentity;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.pooling.Poolings;
import dev.attnir.indexer.IndexException;
import dev.attnir.indexer.IndexManifest;

/** Creates embedders for building an index and the matching query embedder for searching one. */
public final class EmbedderFactory {

  private EmbedderFactory() {}

  /**
   * The query embedder for an index: the model named in its manifest (or {@code modelOverride}, e.g. a local
   * directory), with the pooling, max length, prefixes and normalisation the index was built with. The weights'
   * digest is checked by the retriever.
   *
   * @return null for a BM25-only index
   */
  public static Embedder forIndex(IndexManifest manifest, String modelOverride, EncoderOptions options) {
    EmbeddingIdentity e = manifest.embedding();
    if (e == null) {
      return null;
    }
    ModelSpec spec;
    try {
      spec = ModelRegistry.resolve(modelOverride != null ? modelOverride : e.model());
    } catch (IllegalArgumentException ex) {
      throw new IndexException(IndexException.Reason.INCOMPATIBLE, "the index was built with model '" + e.model()
          + "', which is not a built-in model; pass --model with its directory", ex);
    }
    spec = spec.withMaxLength(e.maxLength()).withPrefixes(e.queryPrefix(), e.passagePrefix())
        .withNormalize(e.normalize());
    return Embedder.load(spec, Poolings.parse(e.pooling()), options);
  }
}
