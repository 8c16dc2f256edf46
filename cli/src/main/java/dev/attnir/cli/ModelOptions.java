package dev.attnir.cli;

import dev.attnir.core.Document;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.indexer.IndexConfig;
import dev.attnir.indexer.Indexer;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.indexer.embedding.PoolingRequest;
import java.nio.file.Path;
import java.util.function.Supplier;
import java.util.stream.Stream;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options choosing and configuring the embedding model. */
final class ModelOptions implements OptionChecks.Checked {

  @Option(names = "--model", paramLabel = "NAME|DIR", defaultValue = ModelRegistry.DEFAULT_MODEL,
      description = "Embedding model: a built-in name (bge-small-en-v1.5, bge-small-en-v1.5-q, all-MiniLM-L6-v2, "
          + "all-MiniLM-L6-v2-q, e5-small-v2, e5-small-v2-q), a directory with model.onnx, tokenizer.json and "
          + "model.json, or 'none' for a BM25-only index. Default: ${DEFAULT-VALUE}.")
  String model;

  @Option(names = "--pooling", paramLabel = "NAME",
      description = "Pooling: cls, mean, max, embeddings-last-mean, layer1-last-mean, layers-mean:i,j, "
          + "ditto[:layer,head], ditto-last[:layer,head], whiten (fitted on the corpus), trained (--pooling-head). "
          + "Default: the model's own.")
  String pooling;

  @Option(names = "--whiten-base", paramLabel = "NAME",
      description = "whiten: the pooling whose vectors are whitened (e.g. layer1-last-mean). Default: the model's own.")
  String whitenBase;

  @Option(names = "--whiten-dims", paramLabel = "K",
      description = "whiten: dimensions kept (fewer shrink the index). Default: all.")
  Integer whitenDims;

  @Option(names = "--whiten-sample", paramLabel = "N", defaultValue = "20000",
      description = "whiten: passages sampled from the corpus to fit on. Default: ${DEFAULT-VALUE}.")
  int whitenSample;

  @Option(names = "--whiten-epsilon", paramLabel = "E", defaultValue = "1e-6",
      description = "whiten: singular values below E times the largest are raised to it. Default: ${DEFAULT-VALUE}.")
  double whitenEpsilon;

  @Option(names = "--pooling-head", paramLabel = "FILE", description = "trained: the head written by train-pooling.")
  Path poolingHead;

  @Option(names = "--pooling-seed", paramLabel = "N", defaultValue = "1",
      description = "Seed of the whitening sample. Default: ${DEFAULT-VALUE}.")
  long poolingSeed;

  @Option(names = "--max-length", paramLabel = "TOKENS",
      description = "Truncation length in tokens, special tokens included. Default: the model's own.")
  Integer maxLength;

  @Option(names = "--query-prefix", paramLabel = "TEXT", description = "Override the model's query prefix.")
  String queryPrefix;

  @Option(names = "--passage-prefix", paramLabel = "TEXT", description = "Override the model's passage prefix.")
  String passagePrefix;

  @Mixin
  CommonOptions.EncoderThreads threads;

  @Option(names = "--batch-tokens", paramLabel = "N", defaultValue = "2048",
      description = "Max padded tokens per encoder batch. Default: ${DEFAULT-VALUE}.")
  int batchTokens;

  /** The model-independent ranges (the max length is also checked against the graph when the model loads). */
  @Override
  public void checkOptions() {
    OptionChecks.atLeast("--batch-tokens", batchTokens, 8); // at least a short text per batch
    if (maxLength != null) {
      OptionChecks.atLeast("--max-length", maxLength, 8);
    }
    if (whitenDims != null) {
      OptionChecks.atLeast("--whiten-dims", whitenDims, 1);
    }
    OptionChecks.atLeast("--whiten-sample", whitenSample, 1);
    OptionChecks.nonNegative("--whiten-epsilon", whitenEpsilon);
  }

  boolean none() {
    return model.equalsIgnoreCase("none");
  }

  ModelSpec spec() {
    ModelSpec spec = ModelRegistry.resolve(model);
    if (maxLength != null) {
      spec = spec.withMaxLength(maxLength);
    }
    if (queryPrefix != null || passagePrefix != null) {
      spec = spec.withPrefixes(queryPrefix != null ? queryPrefix : spec.queryPrefix(),
          passagePrefix != null ? passagePrefix : spec.passagePrefix());
    }
    return spec;
  }

  EncoderOptions encoderOptions() {
    EncoderOptions o = EncoderOptions.defaults().withMaxBatchTokens(batchTokens);
    return threads.apply(o);
  }

  PoolingRequest poolingRequest() {
    return new PoolingRequest(pooling == null ? null : pooling.trim().toLowerCase(java.util.Locale.ROOT), whitenBase,
        whitenDims, whitenSample, whitenEpsilon, poolingSeed, poolingHead);
  }

  /**
   * The index configuration these options and {@code passages} describe (BM25 only for {@code --model none}).
   *
   * @throws IllegalArgumentException for settings that cannot work together, naming them
   */
  IndexConfig indexConfig(PassageOptions passages, boolean overwrite, int chunkDocuments, long commitEvery) {
    PassageSettings settings = passages.settings(tokenizerName(), none() ? 0 : spec().maxLength());
    IndexConfig.Builder b = IndexConfig.builder().analyzer(passages.analyzer).encoderOptions(encoderOptions())
        .chunkDocuments(chunkDocuments).commitEvery(commitEvery);
    if (none()) {
      b.bm25Only();
    } else {
      b.model(spec()).pooling(poolingRequest());
    }
    if (overwrite) {
      b.overwrite();
    }
    if (!settings.prependTitle()) {
      b.noTitle();
    }
    switch (settings.mode()) {
      case AUTO -> b.autoPassages();
      case DOCUMENT -> b.wholeDocuments();
      case WINDOW -> b.windows(settings.length(), settings.stride());
    }
    return b.build();
  }

  /** A local model directory to restore the query embedder from, or null for a built-in model. */
  String modelDirectory() {
    return !none() && java.nio.file.Files.isDirectory(Path.of(model)) ? model : null;
  }

  /**
   * Opens the indexer for {@code config}, fitting a corpus-fitted pooling ({@code whiten}) on {@code corpus} with a
   * progress bar.
   */
  Indexer openIndexer(Path index, IndexConfig config, Supplier<Stream<Document>> corpus) {
    if (!config.pooling().needsCorpus()) {
      return Indexer.create(index, config, corpus);
    }
    try (Progress fit = new Progress("Fitting " + config.pooling().name(), config.pooling().whitenSample(),
        "passages")) {
      return Indexer.create(index, config, corpus, fit);
    }
  }

  /** The tokenizer passages are counted in: the model's word pieces, or whitespace words without a model. */
  String tokenizerName() {
    return none() ? "whitespace" : spec().name();
  }
}
