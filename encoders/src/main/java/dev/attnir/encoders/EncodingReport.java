package dev.attnir.encoders;

/**
 * What an encoding pass did.
 *
 * @param texts texts encoded
 * @param tokens real tokens fed to the model (special tokens included)
 * @param paddedTokens positions computed including padding
 * @param truncated texts that exceeded the max length and were cut
 * @param batches model invocations
 */
public record EncodingReport(long texts, long tokens, long paddedTokens, long truncated, long batches) {

  /** Empty report. */
  public static EncodingReport empty() {
    return new EncodingReport(0, 0, 0, 0, 0);
  }

  /** Sum of two reports. */
  public EncodingReport plus(EncodingReport o) {
    return new EncodingReport(texts + o.texts, tokens + o.tokens, paddedTokens + o.paddedTokens,
        truncated + o.truncated, batches + o.batches);
  }
}
