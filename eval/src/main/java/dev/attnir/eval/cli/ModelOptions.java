package dev.attnir.eval.cli;

import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.pooling.Poolings;
import picocli.CommandLine.Option;

/** Options choosing and configuring the embedding model. */
final class ModelOptions {

  @Option(names = "--model", paramLabel = "NAME|DIR", defaultValue = ModelRegistry.DEFAULT_MODEL,
      description = "Embedding model: a built-in name (bge-small-en-v1.5, bge-small-en-v1.5-q, all-MiniLM-L6-v2, "
          + "all-MiniLM-L6-v2-q, e5-small-v2, e5-small-v2-q), a directory with model.onnx, tokenizer.json and "
          + "model.json, or 'none' for a BM25-only index. Default: ${DEFAULT-VALUE}.")
  String model;

  @Option(names = "--pooling", paramLabel = "NAME",
      description = "Pooling (cls, mean, max, embeddings-last-mean, layer1-last-mean, layers-mean:i,j). "
          + "Default: the model's own.")
  String pooling;

  @Option(names = "--max-length", paramLabel = "TOKENS",
      description = "Truncation length in tokens, special tokens included. Default: the model's own.")
  Integer maxLength;

  @Option(names = "--query-prefix", paramLabel = "TEXT", description = "Override the model's query prefix.")
  String queryPrefix;

  @Option(names = "--passage-prefix", paramLabel = "TEXT", description = "Override the model's passage prefix.")
  String passagePrefix;

  @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime intra-op threads. Default: all cores.")
  Integer threads;

  @Option(names = "--batch-tokens", paramLabel = "N", defaultValue = "2048",
      description = "Max padded tokens per encoder batch. Default: ${DEFAULT-VALUE}.")
  int batchTokens;

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
    return threads == null ? o : o.withIntraOpThreads(threads);
  }

  /** Loads the embedder, or returns null for {@code --model none}. */
  Embedder load() {
    if (none()) {
      return null;
    }
    ModelSpec spec = spec();
    return Embedder.load(spec, Poolings.parse(pooling != null ? pooling : spec.pooling()), encoderOptions());
  }
}
