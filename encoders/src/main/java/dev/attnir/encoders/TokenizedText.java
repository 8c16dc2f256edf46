package dev.attnir.encoders;

/**
 * One text after tokenization for the encoder: ids with special tokens, truncated to the model's max length.
 *
 * @param ids token ids including special tokens
 * @param typeIds segment ids (all zero for single texts)
 * @param truncated whether tokens were dropped to fit the max length
 */
public record TokenizedText(long[] ids, long[] typeIds, boolean truncated) {
  /** Number of tokens, special tokens included. */
  public int length() {
    return ids.length;
  }
}
