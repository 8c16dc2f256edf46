package dev.attnir.encoders;

/**
 * Runtime options of an {@link OnnxEncoder}.
 *
 * @param intraOpThreads ONNX Runtime intra-op threads per run
 * @param maxBatchTokens upper bound on batch size times padded length, which bounds memory per batch
 * @param maxBatchSize upper bound on rows per batch
 * @param sortChunk texts tokenized and sorted by length together; larger sorts better, holds more token ids
 * @param concurrentRuns batches run at the same time, each on {@code intraOpThreads} threads: on few cores two
 *     single-threaded runs beat one two-threaded run, which synchronises its threads on every operator (measured
 *     about 5% faster with bge-small on 2 cores; see the encoding benchmark)
 */
public record EncoderOptions(int intraOpThreads, int maxBatchTokens, int maxBatchSize, int sortChunk,
    int concurrentRuns) {

  public EncoderOptions {
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
    }
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("maxBatchSize must be >= 1, got " + maxBatchSize);
    }
    if (maxBatchTokens < 8) {
      throw new IllegalArgumentException("maxBatchTokens must be >= 8, got " + maxBatchTokens);
    }
    if (sortChunk < 1) {
      throw new IllegalArgumentException("sortChunk must be >= 1, got " + sortChunk);
    }
    if (concurrentRuns < 1) {
      throw new IllegalArgumentException("concurrentRuns must be >= 1, got " + concurrentRuns);
    }
  }

  /**
   * Two concurrent runs on half the cores each (one run on a single core), 2048 tokens and at most 64 rows per batch,
   * sorting 4096 texts at a time.
   */
  public static EncoderOptions defaults() {
    int cores = Runtime.getRuntime().availableProcessors();
    int runs = cores >= 2 ? 2 : 1;
    return new EncoderOptions(Math.max(1, cores / runs), 2048, 64, 4096, runs);
  }

  /**
   * For query encoding: one run on every core. A query is one short batch, which a single-core run of the default
   * two-run setting would encode while the other core idles.
   */
  public static EncoderOptions forQueries() {
    return defaults().withIntraOpThreads(Runtime.getRuntime().availableProcessors());
  }

  /** All {@code threads} in one run at a time. */
  public EncoderOptions withIntraOpThreads(int threads) {
    return new EncoderOptions(threads, maxBatchTokens, maxBatchSize, sortChunk, 1);
  }

  /** {@code runs} concurrent runs of {@code threadsPerRun} threads each. */
  public EncoderOptions withConcurrency(int runs, int threadsPerRun) {
    return new EncoderOptions(threadsPerRun, maxBatchTokens, maxBatchSize, sortChunk, runs);
  }

  public EncoderOptions withMaxBatchTokens(int tokens) {
    return new EncoderOptions(intraOpThreads, tokens, maxBatchSize, sortChunk, concurrentRuns);
  }

  public EncoderOptions withMaxBatchSize(int rows) {
    return new EncoderOptions(intraOpThreads, maxBatchTokens, rows, sortChunk, concurrentRuns);
  }
}
