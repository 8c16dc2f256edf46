package dev.attnir.encoders;

/**
 * Runtime options of an {@link OnnxEncoder}.
 *
 * @param intraOpThreads ONNX Runtime intra-op threads (matrix multiplications); default all cores
 * @param maxBatchTokens upper bound on batch size times padded length, which bounds memory per batch
 * @param maxBatchSize upper bound on rows per batch
 * @param sortChunk texts tokenized and sorted by length together; larger sorts better, holds more token ids
 */
public record EncoderOptions(int intraOpThreads, int maxBatchTokens, int maxBatchSize, int sortChunk) {

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
  }

  /** All cores, 2048 tokens and at most 64 rows per batch, sorting 4096 texts at a time. */
  public static EncoderOptions defaults() {
    return new EncoderOptions(Runtime.getRuntime().availableProcessors(), 2048, 64, 4096);
  }

  public EncoderOptions withIntraOpThreads(int threads) {
    return new EncoderOptions(threads, maxBatchTokens, maxBatchSize, sortChunk);
  }

  public EncoderOptions withMaxBatchTokens(int tokens) {
    return new EncoderOptions(intraOpThreads, tokens, maxBatchSize, sortChunk);
  }

  public EncoderOptions withMaxBatchSize(int rows) {
    return new EncoderOptions(intraOpThreads, maxBatchTokens, rows, sortChunk);
  }
}
