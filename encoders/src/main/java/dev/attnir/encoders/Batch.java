package dev.attnir.encoders;

/**
 * A right-padded batch of tokenized texts, ready for the model.
 *
 * @param rows position of every batch row in the caller's list of texts
 * @param lengths real tokens of every row
 * @param seqLen padded length
 * @param inputIds {@code [rows, seqLen]} row-major
 * @param attentionMask {@code [rows, seqLen]}: 1 for real tokens, 0 for padding
 * @param typeIds {@code [rows, seqLen]} segment ids
 * @param firstSegmentRows the largest end of a row's first segment (token index, exclusive), or {@code seqLen} for
 *     rows without segments: the attention rows {@link TensorRequest#firstSegmentAttentions()} slices
 */
public record Batch(int[] rows, int[] lengths, int seqLen, long[] inputIds, long[] attentionMask, long[] typeIds,
    int firstSegmentRows) {

  public Batch {
    if (firstSegmentRows < 0 || firstSegmentRows > seqLen) {
      throw new IllegalArgumentException("firstSegmentRows " + firstSegmentRows + " outside 0.." + seqLen);
    }
  }

  /** A batch whose first-segment rows are all of its rows. */
  public Batch(int[] rows, int[] lengths, int seqLen, long[] inputIds, long[] attentionMask, long[] typeIds) {
    this(rows, lengths, seqLen, inputIds, attentionMask, typeIds, seqLen);
  }

  /** Number of rows. */
  public int size() {
    return rows.length;
  }

  /** Pads tokenized texts (given by their positions in {@code all}) into one batch. */
  public static Batch of(int[] rows, java.util.List<TokenizedText> all) {
    int seqLen = 0;
    for (int r : rows) {
      seqLen = Math.max(seqLen, all.get(r).length());
    }
    int n = rows.length;
    int[] lengths = new int[n];
    long[] ids = new long[n * seqLen];
    long[] mask = new long[n * seqLen];
    long[] types = new long[n * seqLen];
    int firstSegmentRows = 1;
    for (int b = 0; b < n; b++) {
      TokenizedText t = all.get(rows[b]);
      firstSegmentRows = Math.max(firstSegmentRows, t.segments().isEmpty() ? seqLen : t.segment(0).end());
      lengths[b] = t.length();
      System.arraycopy(t.ids(), 0, ids, b * seqLen, t.length());
      System.arraycopy(t.typeIds(), 0, types, b * seqLen, t.length());
      java.util.Arrays.fill(mask, b * seqLen, b * seqLen + t.length(), 1L);
    }
    return new Batch(rows, lengths, seqLen, ids, mask, types, Math.min(firstSegmentRows, seqLen));
  }
}
