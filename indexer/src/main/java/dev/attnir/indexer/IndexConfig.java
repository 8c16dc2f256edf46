package dev.attnir.indexer;

import dev.attnir.analysis.Analyzers;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.indexer.embedding.PoolingRequest;
import java.util.Objects;

/**
 * How an {@link Indexer} builds an index, validated when it is built: the model (or none, for BM25 only), its pooling,
 * how documents become passages, the BM25 analyzer, and the encoder's runtime options.
 *
 * <p>{@link #defaults()}: bge-small-en-v1.5 with its model card's pooling (CLS) and query instruction, automatic
 * passages (a document that fits the model is one passage, a longer one is cut into windows that fit, so nothing is
 * truncated), titles prepended, Anserini's English analyzer.
 *
 * @param model the embedding model, or null for an index without vectors (BM25 only)
 * @param pooling the pooling (the model's own unless named); {@code whiten} is fitted on a corpus given to
 *     {@link Indexer#create(java.nio.file.Path, IndexConfig, java.util.function.Supplier)}
 * @param passages how documents are cut
 * @param analyzer BM25 analyzer name ({@link Analyzers#knownNames()})
 * @param encoderOptions ONNX Runtime threads and batch sizes
 * @param chunkDocuments documents split and embedded together (bounds memory; longer chunks sort better)
 * @param commitEvery commit after every this many documents (a crash then loses at most that many); 0: only when
 *     asked and on close
 * @param overwrite replace an existing index at the path instead of adding to it
 */
public record IndexConfig(ModelSpec model, PoolingRequest pooling, PassageSettings passages, String analyzer,
    EncoderOptions encoderOptions, int chunkDocuments, long commitEvery, boolean overwrite) {

  public IndexConfig {
    Objects.requireNonNull(pooling, "pooling");
    Objects.requireNonNull(passages, "passages");
    Objects.requireNonNull(encoderOptions, "encoderOptions");
    Analyzers.create(analyzer); // an unknown name fails here, listing the known ones
    if (chunkDocuments < 1) {
      throw new IllegalArgumentException("chunkDocuments must be >= 1, got " + chunkDocuments);
    }
    if (commitEvery < 0) {
      throw new IllegalArgumentException("commitEvery must be >= 0, got " + commitEvery);
    }
    if (model == null && passages.mode() == PassageSettings.Mode.AUTO) {
      throw new IllegalArgumentException("auto passages are cut to a model's length; an index without a model "
          + "takes whole documents or word windows");
    }
    if (model != null && passages.mode() == PassageSettings.Mode.AUTO && passages.length() != model.maxLength()) {
      throw new IllegalArgumentException("auto passages are cut to " + passages.length() + " tokens but model "
          + model.name() + " reads " + model.maxLength());
    }
    if (model != null && passages.mode() == PassageSettings.Mode.WINDOW && passages.length() > model.maxLength() - 2) {
      throw new IllegalArgumentException("windows of " + passages.length() + " tokens do not fit " + model.name()
          + "'s max length " + model.maxLength() + " (minus 2 special tokens)");
    }
    if (model == null && pooling.name() != null) {
      throw new IllegalArgumentException("pooling '" + pooling.name() + "' needs a model; this index has none");
    }
  }

  /** The default model and settings. */
  public static IndexConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Whether the index gets vectors. */
  public boolean hasModel() {
    return model != null;
  }

  /** A builder starting from {@link #defaults()}. */
  public static final class Builder {
    private ModelSpec model = ModelRegistry.resolve(ModelRegistry.DEFAULT_MODEL);
    private PoolingRequest pooling = PoolingRequest.modelDefault();
    private PassageSettings.Mode mode = PassageSettings.Mode.AUTO;
    private int windowLength;
    private int windowStride;
    private boolean prependTitle = true;
    private String analyzer = Analyzers.DEFAULT;
    private EncoderOptions encoderOptions = EncoderOptions.defaults();
    private int chunkDocuments = 2048;
    private long commitEvery;
    private boolean overwrite;

    private Builder() {}

    /** A built-in model name or a model directory (see {@link ModelRegistry#resolve}). */
    public Builder model(String nameOrDirectory) {
      this.model = ModelRegistry.resolve(nameOrDirectory);
      return this;
    }

    public Builder model(ModelSpec spec) {
      this.model = Objects.requireNonNull(spec, "spec");
      return this;
    }

    /** No model: an index for BM25 only (whole documents unless windows are asked for). */
    public Builder bm25Only() {
      this.model = null;
      if (mode == PassageSettings.Mode.AUTO) {
        mode = PassageSettings.Mode.DOCUMENT;
      }
      return this;
    }

    /** A pooling by name (see {@code Poolings}); {@code trained} needs {@link #pooling(PoolingRequest)}. */
    public Builder pooling(String name) {
      this.pooling = PoolingRequest.named(name);
      return this;
    }

    public Builder pooling(PoolingRequest request) {
      this.pooling = Objects.requireNonNull(request, "request");
      return this;
    }

    /** Every document one passage, truncated by the encoder at its max length (MTEB's setting). */
    public Builder wholeDocuments() {
      this.mode = PassageSettings.Mode.DOCUMENT;
      return this;
    }

    /** Documents that do not fit the model cut into windows that do (the default). */
    public Builder autoPassages() {
      this.mode = PassageSettings.Mode.AUTO;
      return this;
    }

    /** Windows of {@code length} tokens whose starts are {@code stride} tokens apart. */
    public Builder windows(int length, int stride) {
      this.mode = PassageSettings.Mode.WINDOW;
      this.windowLength = length;
      this.windowStride = stride;
      return this;
    }

    /** Do not prepend the document title to its passages. */
    public Builder noTitle() {
      this.prependTitle = false;
      return this;
    }

    public Builder analyzer(String name) {
      this.analyzer = name;
      return this;
    }

    public Builder encoderOptions(EncoderOptions options) {
      this.encoderOptions = options;
      return this;
    }

    public Builder chunkDocuments(int documents) {
      this.chunkDocuments = documents;
      return this;
    }

    /** Commit after every {@code documents} documents (0: only on {@code commit()} and close). */
    public Builder commitEvery(long documents) {
      this.commitEvery = documents;
      return this;
    }

    /** Replace whatever index is at the path (it stays readable until the new one's first commit). */
    public Builder overwrite() {
      this.overwrite = true;
      return this;
    }

    /** @throws IllegalArgumentException for a setting that cannot work, naming it */
    public IndexConfig build() {
      String tokenizer = model == null ? "whitespace" : model.name();
      if (model == null && mode == PassageSettings.Mode.AUTO) {
        throw new IllegalArgumentException("auto passages are cut to a model's length; an index without a model "
            + "takes whole documents or word windows");
      }
      PassageSettings passages = switch (mode) {
        case AUTO -> PassageSettings.auto(model.maxLength(), tokenizer);
        case DOCUMENT -> new PassageSettings(PassageSettings.Mode.DOCUMENT, 0, 0, prependTitle, tokenizer);
        case WINDOW -> new PassageSettings(PassageSettings.Mode.WINDOW, windowLength, windowStride, prependTitle,
            tokenizer);
      };
      if (!prependTitle && mode == PassageSettings.Mode.AUTO) {
        passages = new PassageSettings(PassageSettings.Mode.AUTO, passages.length(), 0, false, tokenizer);
      }
      return new IndexConfig(model, pooling, passages, analyzer, encoderOptions, chunkDocuments, commitEvery,
          overwrite);
    }
  }
}
