package dev.attnir.encoders;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import ai.djl.util.PairList;
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
 *
 * <p>Three input forms, all as {@link TokenizedText} with per-token offsets, the special-token mask and segment
 * spans:
 * <ul>
 *   <li>a single text ({@link #encode}): {@code [CLS] text [SEP]}, truncated at the end;
 *   <li>a pair ({@link #encodePair}): the tokenizer's own pair template, {@code [CLS] first [SEP] second [SEP]} with
 *       type ids 0 then 1. Truncation: only the second text is shortened (HuggingFace {@code only_second}, from its
 *       end) as long as at least one of its tokens remains; when the first text alone is too long for that, both are
 *       shortened by HuggingFace's {@code longest_first} (one token at a time from the longer one);
 *   <li>a packed sequence ({@link #encodePacked}): {@code [CLS] query [SEP] p1 [SEP] p2 [SEP] ...}, built from the
 *       tokenization of each text, with the pair template's special tokens and type ids (query 0, passages 1); see
 *       there for its truncation rule.
 * </ul>
 */
public final class TextTokenizer implements AutoCloseable {

  static {
    // DJL's native loader may otherwise try the network; this engine never downloads at run time.
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
  }

  private final HuggingFaceTokenizer forEncoder;
  private final HuggingFaceTokenizer forPairs;
  private final HuggingFaceTokenizer forSpans;
  private final int maxLength;
  private volatile PairTemplate template;

  private TextTokenizer(HuggingFaceTokenizer forEncoder, HuggingFaceTokenizer forPairs, HuggingFaceTokenizer forSpans,
      int maxLength) {
    this.forEncoder = forEncoder;
    this.forPairs = forPairs;
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
    List<HuggingFaceTokenizer> made = new ArrayList<>();
    try {
      made.add(HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson),
          truncating(maxLength, "true")));
      made.add(HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson),
          truncating(maxLength, "only_second")));
      made.add(HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson), Map.of(
          "padding", "false",
          "truncation", "false",
          "addSpecialTokens", "false")));
      return new TextTokenizer(made.get(0), made.get(1), made.get(2), maxLength);
    } catch (IOException e) {
      made.forEach(HuggingFaceTokenizer::close);
      throw new UncheckedIOException("cannot read tokenizer.json", e);
    } catch (RuntimeException e) {
      made.forEach(HuggingFaceTokenizer::close);
      throw new IllegalArgumentException("tokenizer.json could not be loaded: " + e.getMessage(), e);
    }
  }

  private static Map<String, String> truncating(int maxLength, String strategy) {
    return Map.of(
        "padding", "false",
        "truncation", strategy,
        "maxLength", Integer.toString(maxLength),
        "modelMaxLength", Integer.toString(Math.max(maxLength, 512)),
        "addSpecialTokens", "true");
  }

  /** Truncation length in tokens, special tokens included. */
  public int maxLength() {
    return maxLength;
  }

  /** Tokenizes one text for the encoder (special tokens added, truncated). */
  public TokenizedText encode(String text) {
    return toTokenized(forEncoder.encode(text), text);
  }

  /** Tokenizes texts for the encoder; the Rust side parallelises over the batch. */
  public List<TokenizedText> encodeAll(List<String> texts) {
    Encoding[] encodings = forEncoder.batchEncode(texts);
    List<TokenizedText> out = new ArrayList<>(encodings.length);
    for (int i = 0; i < encodings.length; i++) {
      out.add(toTokenized(encodings[i], texts.get(i)));
    }
    return out;
  }

  /**
   * Tokenizes a pair with the tokenizer's pair template ({@code [CLS] first [SEP] second [SEP]} for BERT), truncating
   * the second text first (see the class comment). Segment 0 is {@code first}, segment 1 {@code second}.
   */
  public TokenizedText encodePair(String first, String second) {
    return encodePairs(List.of(first), List.of(second)).get(0);
  }

  /** Tokenizes pairs {@code (firsts[i], seconds[i])} like {@link #encodePair}; the Rust side parallelises. */
  public List<TokenizedText> encodePairs(List<String> firsts, List<String> seconds) {
    if (firsts.size() != seconds.size()) {
      throw new IllegalArgumentException(firsts.size() + " first texts but " + seconds.size() + " second texts");
    }
    // HF only_second fails when the first text leaves no room for one token of the second, and DJL's batch call
    // aborts the JVM on that error: decide per pair beforehand which strategy applies.
    int specials = template().specialCount();
    Map<String, Integer> firstLengths = new java.util.HashMap<>();
    List<String> distinct = firsts.stream().distinct().toList();
    Encoding[] alone = forSpans.batchEncode(distinct);
    for (int i = 0; i < alone.length; i++) {
      firstLengths.put(distinct.get(i), alone[i].getIds().length);
    }
    PairList<String, String> onlySecond = new PairList<>();
    PairList<String, String> longestFirst = new PairList<>();
    boolean[] secondOnly = new boolean[firsts.size()];
    for (int i = 0; i < firsts.size(); i++) {
      secondOnly[i] = firstLengths.get(firsts.get(i)) + specials < maxLength;
      (secondOnly[i] ? onlySecond : longestFirst).add(firsts.get(i), seconds.get(i));
    }
    Encoding[] a = onlySecond.isEmpty() ? new Encoding[0] : forPairs.batchEncode(onlySecond);
    Encoding[] b = longestFirst.isEmpty() ? new Encoding[0] : forEncoder.batchEncode(longestFirst);
    List<TokenizedText> out = new ArrayList<>(firsts.size());
    int ia = 0;
    int ib = 0;
    for (int i = 0; i < firsts.size(); i++) {
      Encoding e = secondOnly[i] ? a[ia++] : b[ib++];
      out.add(toTokenized(e, firsts.get(i), seconds.get(i)));
    }
    return out;
  }

  /**
   * Packs a query and passages into one sequence, {@code [CLS] query [SEP] p1 [SEP] p2 [SEP] ...} for BERT: the pair
   * template's leading special tokens, the query, the template's middle separator, then each passage followed by the
   * template's closing separator; the query (and the tokens before and after it) have the first segment's type id,
   * passages and their separators the second's. Each text is tokenized on its own (no special tokens), so a packed
   * query with one untruncated passage equals {@link #encodePair}. Segment 0 is the query, segment {@code i+1}
   * passage {@code i}; every passage gets a span even when truncated.
   *
   * <p>Truncation, when the whole does not fit {@link #maxLength()}: the query keeps at most half of the content
   * budget (max length minus special tokens); the rest is shared equally among the passages by water-filling (a
   * passage shorter than its share keeps all its tokens and leaves the rest to the others; integer remainders go to
   * the longest passages). Every truncated text loses tokens from its end.
   *
   * @throws IllegalArgumentException when there are no passages, or so many that some non-empty passage would keep
   *     no token
   */
  public TokenizedText encodePacked(String query, List<String> passages) {
    return encodePacked(query, passages, Integer.MAX_VALUE);
  }

  /**
   * The tokens {@link #encodePacked(String, List)} leaves to the passages after {@code query}, for {@code count}
   * passages: what a second read with another query passes as {@code passageBudget} to keep exactly the same passage
   * tokens (e.g. ICR's calibration read with a content-free query).
   */
  public int packedPassageBudget(String query, int count) {
    PairTemplate t = template();
    int budget = maxLength - t.prefix().length - t.middle().length - count * t.suffix().length;
    int queryLen = forSpans.encode(query).getIds().length;
    return budget - Math.min(queryLen, Math.max(0, budget / 2));
  }

  /**
   * As {@link #encodePacked(String, List)}, with the passages sharing at most {@code passageBudget} tokens: given the
   * {@link #packedPassageBudget} of another query, the passages keep the tokens they keep next to that query (when
   * this query is not longer).
   */
  public TokenizedText encodePacked(String query, List<String> passages, int passageBudget) {
    if (passages.isEmpty()) {
      throw new IllegalArgumentException("a packed sequence needs at least one passage");
    }
    PairTemplate t = template();
    List<String> texts = new ArrayList<>(passages.size() + 1);
    texts.add(query);
    texts.addAll(passages);
    Encoding[] parts = forSpans.batchEncode(texts);
    int k = passages.size();
    int specials = t.prefix().length + t.middle().length + k * t.suffix().length;
    int budget = maxLength - specials;
    int queryLen = parts[0].getIds().length;
    int queryKeep = Math.min(queryLen, Math.max(0, budget / 2));
    int[] lens = new int[k];
    for (int i = 0; i < k; i++) {
      lens[i] = parts[i + 1].getIds().length;
    }
    int[] keep = waterFill(lens, Math.min(budget - queryKeep, passageBudget));
    boolean truncated = queryKeep < queryLen;
    for (int i = 0; i < k; i++) {
      if (keep[i] == 0 && lens[i] > 0) {
        throw new IllegalArgumentException(k + " passages do not fit in " + maxLength + " tokens with a "
            + queryKeep + "-token query: passage " + i + " would keep no token");
      }
      truncated |= keep[i] < lens[i];
    }
    int total = specials + queryKeep;
    for (int x : keep) {
      total += x;
    }
    Builder b = new Builder(total);
    b.specials(t.prefix(), t.prefixTypes());
    List<TokenizedText.Span> segments = new ArrayList<>(k + 1);
    segments.add(b.content(parts[0], queryKeep, t.typeA(), query));
    b.specials(t.middle(), t.middleTypes());
    for (int i = 0; i < k; i++) {
      segments.add(b.content(parts[i + 1], keep[i], t.typeB(), passages.get(i)));
      b.specials(t.suffix(), t.suffixTypes());
    }
    return new TokenizedText(b.ids, b.types, truncated, b.starts, b.ends, b.special, segments);
  }

  /**
   * Shares {@code budget} tokens among texts of the given lengths: shortest first, each gets the smaller of its length
   * and an equal share of what is left.
   */
  public static int[] waterFill(int[] lengths, int budget) {
    Integer[] order = new Integer[lengths.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> Integer.compare(lengths[a], lengths[b]));
    int[] keep = new int[lengths.length];
    int remaining = Math.max(0, budget);
    for (int i = 0; i < order.length; i++) {
      int share = remaining / (order.length - i);
      keep[order[i]] = Math.min(lengths[order[i]], share);
      remaining -= keep[order[i]];
    }
    return keep;
  }

  /** Appends tokens of a packed sequence. */
  private static final class Builder {
    final long[] ids;
    final long[] types;
    final int[] starts;
    final int[] ends;
    final boolean[] special;
    int n;

    Builder(int total) {
      ids = new long[total];
      types = new long[total];
      starts = new int[total];
      ends = new int[total];
      special = new boolean[total];
    }

    void specials(long[] specialIds, long[] specialTypes) {
      for (int i = 0; i < specialIds.length; i++) {
        ids[n] = specialIds[i];
        types[n] = specialTypes[i];
        starts[n] = -1;
        ends[n] = -1;
        special[n] = true;
        n++;
      }
    }

    TokenizedText.Span content(Encoding e, int count, long type, String text) {
      int start = n;
      long[] tokenIds = e.getIds();
      long[] mask = e.getSpecialTokenMask();
      CharSpan[] spans = e.getCharTokenSpans();
      int[] utf16 = codePointToUtf16Index(text);
      for (int i = 0; i < count; i++) {
        ids[n] = tokenIds[i];
        types[n] = type;
        special[n] = mask[i] != 0;
        setOffsets(spans[i], utf16, starts, ends, n);
        n++;
      }
      return new TokenizedText.Span(start, n);
    }
  }

  private static void setOffsets(CharSpan span, int[] utf16, int[] starts, int[] ends, int t) {
    if (span == null) {
      starts[t] = -1;
      ends[t] = -1;
    } else {
      starts[t] = utf16 == null ? span.getStart() : utf16[span.getStart()];
      ends[t] = utf16 == null ? span.getEnd() : utf16[span.getEnd()];
    }
  }

  /**
   * The special tokens and type ids of the pair template, read from the tokenizer's own encoding of a probe pair:
   * tokens before the first text, between the two, and after the second.
   */
  private record PairTemplate(long[] prefix, long[] prefixTypes, long[] middle, long[] middleTypes, long[] suffix,
      long[] suffixTypes, long typeA, long typeB) {
    int specialCount() {
      return prefix.length + middle.length + suffix.length;
    }
  }

  private PairTemplate template() {
    PairTemplate t = template;
    if (t == null) {
      Encoding e = forSpans.encode("a", "b", true, false);
      long[] seq = e.getSequenceIds();
      long[] ids = e.getIds();
      long[] types = e.getTypeIds();
      int firstA = -1;
      int lastA = -1;
      int firstB = -1;
      int lastB = -1;
      for (int i = 0; i < seq.length; i++) {
        if (seq[i] == 0) {
          firstA = firstA < 0 ? i : firstA;
          lastA = i;
        } else if (seq[i] == 1) {
          firstB = firstB < 0 ? i : firstB;
          lastB = i;
        }
      }
      if (firstA < 0 || firstB < 0 || firstB < lastA) {
        throw new IllegalStateException("the tokenizer's pair template is not 'specials A specials B specials' "
            + "(sequence ids " + java.util.Arrays.toString(seq) + ")");
      }
      t = new PairTemplate(
          java.util.Arrays.copyOfRange(ids, 0, firstA), java.util.Arrays.copyOfRange(types, 0, firstA),
          java.util.Arrays.copyOfRange(ids, lastA + 1, firstB), java.util.Arrays.copyOfRange(types, lastA + 1, firstB),
          java.util.Arrays.copyOfRange(ids, lastB + 1, ids.length),
          java.util.Arrays.copyOfRange(types, lastB + 1, ids.length), types[firstA], types[firstB]);
      template = t;
    }
    return t;
  }

  /**
   * Converts an encoding of {@code texts} (one per sequence): offsets into each token's own text in UTF-16 units,
   * the special-token mask, and the token range of each text found from the sequence ids.
   */
  private static TokenizedText toTokenized(Encoding e, String... texts) {
    long[] ids = e.getIds();
    int n = ids.length;
    long[] seq = e.getSequenceIds();
    long[] mask = e.getSpecialTokenMask();
    CharSpan[] spans = e.getCharTokenSpans();
    int[][] utf16 = new int[texts.length][];
    for (int s = 0; s < texts.length; s++) {
      utf16[s] = codePointToUtf16Index(texts[s]);
    }
    int[] starts = new int[n];
    int[] ends = new int[n];
    boolean[] special = new boolean[n];
    int[] first = new int[texts.length];
    int[] last = new int[texts.length];
    java.util.Arrays.fill(first, -1);
    for (int t = 0; t < n; t++) {
      special[t] = mask[t] != 0;
      int s = seq[t] >= 0 ? (int) seq[t] : (texts.length == 1 && !special[t] ? 0 : -1);
      if (s < 0 || s >= texts.length) {
        starts[t] = -1;
        ends[t] = -1;
        continue;
      }
      setOffsets(spans[t], utf16[s], starts, ends, t);
      first[s] = first[s] < 0 ? t : first[s];
      last[s] = t;
    }
    List<TokenizedText.Span> segments = new ArrayList<>(texts.length);
    int previousEnd = 0;
    for (int s = 0; s < texts.length; s++) {
      if (first[s] >= 0) {
        segments.add(new TokenizedText.Span(first[s], last[s] + 1));
        previousEnd = last[s] + 1;
      } else {
        // An empty text: an empty span just after the first special token following the previous segment.
        int p = previousEnd;
        while (p < n && !special[p]) {
          p++;
        }
        int at = Math.min(n, p + 1);
        segments.add(new TokenizedText.Span(at, at));
        previousEnd = at;
      }
    }
    return new TokenizedText(ids, e.getTypeIds(), e.exceedMaxLength(), starts, ends, special, segments);
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
