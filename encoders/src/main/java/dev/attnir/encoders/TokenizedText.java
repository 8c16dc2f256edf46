package dev.attnir.encoders;

import java.util.Arrays;
import java.util.List;

/**
 * One encoder input after tokenization: ids with special tokens, truncated to the model's max length. The input is
 * a single text, a pair ({@code [CLS] first [SEP] second [SEP]}) or a packed sequence
 * ({@code [CLS] query [SEP] p1 [SEP] p2 [SEP] ...}); each input text is one segment.
 *
 * <p>Character offsets are per token and index the Java string (UTF-16 units) of the token's own segment text, not
 * a concatenation: in a pair, a token of the second segment has offsets into the second text. Special tokens added by
 * the template have offsets {@code -1}.
 *
 * @param ids token ids including special tokens
 * @param typeIds segment ids as the model sees them ({@code token_type_ids}: all zero for single texts)
 * @param truncated whether tokens were dropped to fit the max length
 * @param charStarts per token, start offset into its segment's text, or -1 for a special token
 * @param charEnds per token, end offset (exclusive) into its segment's text, or -1 for a special token
 * @param specialTokens per token, whether the tokenizer's template (or the text itself) made it a special token
 * @param segments per input text, the token index range of its content (special tokens of the template excluded), in
 *     input order
 */
public record TokenizedText(long[] ids, long[] typeIds, boolean truncated, int[] charStarts, int[] charEnds,
    boolean[] specialTokens, List<Span> segments) {

  /** Token indices {@code [start, end)}. */
  public record Span(int start, int end) {
    public Span {
      if (start < 0 || end < start) {
        throw new IllegalArgumentException("bad token span [" + start + ", " + end + ")");
      }
    }

    /** Tokens in the span. */
    public int length() {
      return end - start;
    }

    /** Whether token {@code t} is in the span. */
    public boolean contains(int t) {
      return t >= start && t < end;
    }
  }

  public TokenizedText {
    int n = ids.length;
    if (typeIds.length != n || charStarts.length != n || charEnds.length != n || specialTokens.length != n) {
      throw new IllegalArgumentException("per-token arrays differ in length: ids " + n + ", typeIds "
          + typeIds.length + ", charStarts " + charStarts.length + ", charEnds " + charEnds.length
          + ", specialTokens " + specialTokens.length);
    }
    segments = List.copyOf(segments);
    for (Span s : segments) {
      if (s.end() > n) {
        throw new IllegalArgumentException("segment " + s + " beyond " + n + " tokens");
      }
    }
  }

  /** Number of tokens, special tokens included. */
  public int length() {
    return ids.length;
  }

  /** Segment {@code s}: its content tokens. */
  public Span segment(int s) {
    return segments.get(s);
  }

  /** The segment token {@code t} belongs to, or -1 for a template special token. */
  public int segmentOf(int t) {
    for (int s = 0; s < segments.size(); s++) {
      if (segments.get(s).contains(t)) {
        return s;
      }
    }
    return -1;
  }

  /** Whether token {@code t} is a special token ({@code [CLS]}, {@code [SEP]}, ...). */
  public boolean isSpecial(int t) {
    return specialTokens[t];
  }

  /** The special-token mask as HuggingFace returns it: 1 for special tokens, 0 for content. */
  public long[] specialTokensMask() {
    long[] m = new long[specialTokens.length];
    for (int i = 0; i < m.length; i++) {
      m[i] = specialTokens[i] ? 1 : 0;
    }
    return m;
  }

  @Override
  public String toString() {
    return "TokenizedText[" + ids.length + " tokens, segments " + segments + (truncated ? ", truncated" : "")
        + ", ids " + Arrays.toString(ids) + "]";
  }
}
