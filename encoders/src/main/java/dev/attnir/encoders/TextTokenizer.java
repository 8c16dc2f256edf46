package dev.attnir.encoders;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A HuggingFace tokenizer (DJL's binding of the Rust {@code tokenizers} library) configured explicitly: truncation at
 * the model's max length and no padding, whatever the {@code tokenizer.json} bakes in (all-MiniLM-L6-v2's fixes both
 * at 128). Padding is done per batch by the encoder so that batches sorted by length waste no compute.
 */
public final class TextTokenizer implements AutoCloseable {

  static {
    // DJL's native loader may otherwise try the network; this engine never downloads at run time.
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
  }

  private final HuggingFaceTokenizer forEncoder;
  private final HuggingFaceTokenizer forSpans;
  private final int maxLength;

  private TextTokenizer(HuggingFaceTokenizer forEncoder, HuggingFaceTokenizer forSpans, int maxLength) {
    this.forEncoder = forEncoder;
    this.forSpans = forSpans;
    this.maxLength = maxLength;
  }

  /**
   * Builds a tokenizer from {@code tokenizer.json} bytes.
   *
   * @param tokenizerJson the tokenizer definition
   * @param maxLength truncation length in tokens, special tokens included
   */
  public static TextTokenizer fromJson(byte[] tokenizerJson, int maxLength) {
    try {
      HuggingFaceTokenizer enc = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson), Map.of(
          "padding", "false",
          "truncation", "true",
          "maxLength", Integer.toString(maxLength),
          "modelMaxLength", Integer.toString(Math.max(maxLength, 512)),
          "addSpecialTokens", "true"));
      HuggingFaceTokenizer spans = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson), Map.of(
          "padding", "false",
          "truncation", "false",
          "addSpecialTokens", "false"));
      return new TextTokenizer(enc, spans, maxLength);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read tokenizer.json", e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("tokenizer.json could not be loaded: " + e.getMessage(), e);
    }
  }

  /** Truncation length in tokens, special tokens included. */
  public int maxLength() {
    return maxLength;
  }

  /** Tokenizes one text for the encoder (special tokens added, truncated). */
  public TokenizedText encode(String text) {
    return toTokenized(forEncoder.encode(text));
  }

  /** Tokenizes texts for the encoder; the Rust side parallelises over the batch. */
  public List<TokenizedText> encodeAll(List<String> texts) {
    Encoding[] encodings = forEncoder.batchEncode(texts);
    List<TokenizedText> out = new ArrayList<>(encodings.length);
    for (Encoding e : encodings) {
      out.add(toTokenized(e));
    }
    return out;
  }

  private static TokenizedText toTokenized(Encoding e) {
    return new TokenizedText(e.getIds(), e.getTypeIds(), e.exceedMaxLength());
  }

  /**
   * Character spans {@code [start, end)} of the content tokens of {@code text} (no special tokens, no truncation).
   * Passage windows are cut on these spans so a window of N tokens is N tokens for the encoder too.
   */
  public int[][] contentTokenSpans(String text) {
    CharSpan[] spans = forSpans.encode(text).getCharTokenSpans();
    int[] utf16 = codePointToUtf16Index(text);
    List<int[]> out = new ArrayList<>(spans.length);
    for (CharSpan s : spans) {
      if (s != null) {
        out.add(utf16 == null ? new int[] {s.getStart(), s.getEnd()}
            : new int[] {utf16[s.getStart()], utf16[s.getEnd()]});
      }
    }
    return out.toArray(new int[0][]);
  }

  /**
   * The tokenizer reports offsets in Unicode code points; Java strings index UTF-16 units. Returns the mapping, or
   * null when the text has no supplementary characters and the two coincide.
   */
  private static int[] codePointToUtf16Index(String text) {
    int codePoints = text.codePointCount(0, text.length());
    if (codePoints == text.length()) {
      return null;
    }
    int[] map = new int[codePoints + 1];
    int index = 0;
    for (int cp = 0; cp < codePoints; cp++) {
      map[cp] = index;
      index += Character.charCount(text.codePointAt(index));
    }
    map[codePoints] = text.length();
    return map;
  }

  @Override
  public void close() {
    forEncoder.close();
    forSpans.close();
  }
}
