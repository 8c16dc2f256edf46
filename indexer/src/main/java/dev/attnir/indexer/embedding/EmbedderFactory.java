package dev.attnir.indexer.embedding;

import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EmbeddingIdentity;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.pooling.Poolings;
import dev.attnir.indexer.IndexException;
import dev.attnir.indexer.IndexManifest;
import dev.attnir.indexer.PassageIndexWriter;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.indexer.PassageSplitter;
import dev.attnir.indexer.PoolingStateFiles;
import dev.attnir.indexer.search.LuceneSearchBackend;
import dev.attnir.indexer.search.SearchBackend;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;

/** Creates embedders for building an index and the matching query embedder for searching one. */
public final class EmbedderFactory {

  private EmbedderFactory() {}

  /**
   * The query embedder for an index: the model named in its manifest (or {@code modelOverride}, e.g. a local
   * directory) with the pooling, max length, prefixes and normalisation the index was built with; fitted or trained
   * pooling state is read from the index and verified.
   *
   * @return null for a BM25-only index
   * @throws IllegalArgumentException when {@code modelOverride} names no model or an incomplete directory (the
   *     registry's message, prefixed with the option)
   * @throws IndexException when the index's own model cannot be resolved
   */
  public static Embedder forIndex(SearchBackend backend, String modelOverride, EncoderOptions options) {
    IndexManifest manifest = backend.manifest();
    EmbeddingIdentity e = manifest.embedding();
    if (e == null) {
      return null;
    }
    ModelSpec spec;
    try {
      spec = ModelRegistry.resolve(modelOverride != null ? modelOverride : e.model());
    } catch (IllegalArgumentException ex) {
      if (modelOverride != null) {
        // the model given is what failed (unknown name, incomplete directory), not the index's
        throw new IllegalArgumentException("--model " + modelOverride + ": " + ex.getMessage(), ex);
      }
      throw new IndexException(IndexException.Reason.INCOMPATIBLE, "the index was built with model '" + e.model()
          + "', which cannot be loaded here (" + ex.getMessage() + "); pass --model with its directory", ex);
    }
    spec = spec.withMaxLength(e.maxLength()).withPrefixes(e.queryPrefix(), e.passagePrefix())
        .withNormalize(e.normalize());
    Pooling pooling;
    try {
      pooling = Poolings.restore(e.pooling(), e.poolingParameters(), backend::poolingState);
    } catch (IllegalArgumentException ex) {
      throw new IndexException(IndexException.Reason.CORRUPT, "the index's pooling cannot be restored: "
          + ex.getMessage(), ex);
    }
    return Embedder.load(spec, pooling, options);
  }

  /**
   * The embedder for building (or adding to) the index at {@code indexDir}: when an index there was built with this
   * model and a pooling matching {@code request}, its pooling (with any fitted state) is reused, so adding documents
   * never refits; otherwise the pooling is created, fitting on the corpus if it must.
   */
  public static Embedder forBuild(ModelSpec spec, PoolingRequest request, EncoderOptions options, Path indexDir,
      Supplier<Stream<Document>> corpus, PassageSettings passageSettings, ProgressListener fitProgress) {
    OnnxEncoder encoder = OnnxEncoder.load(spec, options);
    try {
      Pooling pooling = null;
      if (indexDir != null && PassageIndexWriter.indexExists(indexDir)) {
        // only the manifest is read (from segments_N, which Lucene checksums on every open); the writer opened next
        // refuses a damaged index, and verifying here would read the whole index once more before every append
        try (LuceneSearchBackend existing = LuceneSearchBackend.open(indexDir, false)) {
          EmbeddingIdentity recorded = existing.manifest().embedding();
          if (recorded != null && recorded.modelSha256().equals(encoder.fingerprint())
              && request.matches(recorded, encoder)) {
            Function<String, byte[]> loader = sha -> PoolingStateFiles.read(indexDir, sha);
            pooling = Poolings.restore(recorded.pooling(), recorded.poolingParameters(), loader);
          }
        } catch (IndexException ignored) {
          // not a usable index: the writer reports it properly
        }
      }
      if (pooling == null) {
        PassageSplitter splitter = passageSettings.tokenizer().equals("whitespace")
            ? PassageSplitter.whitespace(passageSettings) : PassageSplitter.forEncoder(passageSettings, encoder);
        pooling = request.create(encoder, corpus, splitter, fitProgress);
      }
      return Embedder.owning(encoder, pooling);
    } catch (RuntimeException ex) {
      encoder.close();
      throw ex;
    }
  }
}
