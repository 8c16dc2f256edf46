package dev.attnir.encoders;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pair and packed encoding against the HuggingFace tokenizer's own pair encoding (an independent instance built here
 * from the same tokenizer.json), and every token's offsets against the substring of its own input text.
 */
class PairEncodingTest {

  static final String QUERY = "Who discovered penicillin, and when?";
  static final String PASSAGE = "Naïve café owners in Zürich — 𝔘nicode x²: Alexander Fleming discovered penicillin "
      + "in 1928 at St Mary's Hospital, London.";
  static final String OTHER = "The mitochondrion is the powerhouse of the cell.";

  private static byte[] json(String model) throws Exception {
    return ModelRegistry.resolve(model).source().readTokenizerJson();
  }

  private static HuggingFaceTokenizer reference(byte[] json, String truncation, int maxLength) throws Exception {
    return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), Map.of("padding", "false",
        "truncation", truncation, "maxLength", Integer.toString(maxLength), "modelMaxLength", "512",
        "addSpecialTokens", "true"));
  }

  /** A token's text as the uncased WordPiece vocabularies hold it: lower case, accents stripped. */
  private static String folded(String s) {
    return Normalizer.normalize(s, Normalizer.Form.NFD).replaceAll("\\p{M}", "").toLowerCase(Locale.ROOT);
  }

  /** Every content token's offsets cut its own text at the token: the substring, folded, is the token. */
  private static void assertOffsetsMatchTexts(TokenizedText t, String[] tokens, String... texts) {
    for (int i = 0; i < t.length(); i++) {
      int seg = t.segmentOf(i);
      if (t.isSpecial(i)) {
        assertEquals(-1, seg, "special token " + i + " belongs to no segment");
        assertEquals(-1, t.charStarts()[i]);
        continue;
      }
      assertTrue(seg >= 0, "content token " + i + " " + tokens[i] + " in a segment");
      String sub = texts[seg].substring(t.charStarts()[i], t.charEnds()[i]);
      String token = tokens[i];
      if (token.equals("[UNK]")) {
        assertFalse(sub.isBlank(), "unknown token " + i + " covers text");
      } else {
        assertEquals(token.replaceFirst("^##", ""), folded(sub), "token " + i + " of segment " + seg);
      }
    }
  }

  private static void assertSameAsReference(Encoding ref, TokenizedText t) {
    assertArrayEquals(ref.getIds(), t.ids(), "ids");
    assertArrayEquals(ref.getTypeIds(), t.typeIds(), "type ids");
    assertArrayEquals(ref.getSpecialTokenMask(), t.specialTokensMask(), "special-token mask");
    long[] seq = ref.getSequenceIds();
    for (int i = 0; i < seq.length; i++) {
      assertEquals(seq[i], t.segmentOf(i), "segment of token " + i);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"bge-small-en-v1.5", "all-MiniLM-L6-v2"})
  void pairEqualsTheTokenizersOwnPairEncodingAndOffsetsCutTheTexts(String model) throws Exception {
    byte[] json = json(model);
    try (TextTokenizer tok = TextTokenizer.fromJson(json, 512);
        HuggingFaceTokenizer ref = reference(json, "false", 512)) {
      Encoding e = ref.encode(QUERY, PASSAGE);
      TokenizedText t = tok.encodePair(QUERY, PASSAGE);
      assertSameAsReference(e, t);
      assertFalse(t.truncated());
      assertEquals(2, t.segments().size());
      // [CLS] query [SEP] passage [SEP]
      assertEquals(new TokenizedText.Span(1, t.segment(0).end()), t.segment(0));
      assertEquals(t.segment(0).end() + 1, t.segment(1).start());
      assertEquals(t.length() - 1, t.segment(1).end());
      assertEquals(101L, t.ids()[0]);
      assertEquals(102L, t.ids()[t.segment(0).end()]);
      assertEquals(102L, t.ids()[t.length() - 1]);
      // each segment's tokens are its text tokenized alone
      assertArrayEquals(ref.encode(QUERY).getIds(), slice(t, -1, 0));
      assertArrayEquals(ref.encode(PASSAGE).getIds(), slice(t, -1, 1));
      assertOffsetsMatchTexts(t, e.getTokens(), QUERY, PASSAGE);
      // the supplementary character is indexed in UTF-16 units of the second text
      int u = PASSAGE.indexOf("𝔘nicode");
      boolean found = false;
      for (int i = t.segment(1).start(); i < t.segment(1).end(); i++) {
        found |= t.charStarts()[i] == u;
        if (t.charStarts()[i] > u) {
          assertTrue(t.charStarts()[i] >= u + 2, "offsets after the surrogate pair are UTF-16");
        }
      }
      assertTrue(found, "a token starts at 𝔘");
      // the batch variant gives the same
      List<TokenizedText> batch = tok.encodePairs(List.of(QUERY, OTHER), List.of(PASSAGE, QUERY));
      assertArrayEquals(t.ids(), batch.get(0).ids());
      assertEquals(t.segments(), batch.get(0).segments());
      assertArrayEquals(t.charStarts(), batch.get(0).charStarts());
      assertSameAsReference(ref.encode(OTHER, QUERY), batch.get(1));
    }
  }

  /** The content ids of segment {@code seg} framed by [CLS] and [SEP] as the single-text encoding has them. */
  private static long[] slice(TokenizedText t, int unused, int seg) {
    TokenizedText.Span s = t.segment(seg);
    long[] out = new long[s.length() + 2];
    out[0] = 101L;
    System.arraycopy(t.ids(), s.start(), out, 1, s.length());
    out[out.length - 1] = 102L;
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"bge-small-en-v1.5", "all-MiniLM-L6-v2"})
  void singleTextsKeepTheirIdsAndGainOffsetsAndOneSegment(String model) throws Exception {
    byte[] json = json(model);
    try (TextTokenizer tok = TextTokenizer.fromJson(json, 512);
        HuggingFaceTokenizer ref = reference(json, "true", 512)) {
      for (String text : List.of(PASSAGE, "", "A")) {
        Encoding e = ref.encode(text);
        TokenizedText t = tok.encode(text);
        assertSameAsReference(e, t);
        assertEquals(List.of(new TokenizedText.Span(1, t.length() - 1)), t.segments(), text);
        assertTrue(t.isSpecial(0) && t.isSpecial(t.length() - 1));
        assertOffsetsMatchTexts(t, e.getTokens(), text);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"bge-small-en-v1.5", "all-MiniLM-L6-v2"})
  void theSecondTextIsTruncatedFirstThenBothLongestFirst(String model) throws Exception {
    byte[] json = json(model);
    int max = 24;
    String longSecond = PASSAGE + " " + OTHER + " " + OTHER;
    String longFirst = OTHER + " " + OTHER + " " + PASSAGE;
    try (TextTokenizer tok = TextTokenizer.fromJson(json, max);
        HuggingFaceTokenizer whole = reference(json, "false", 512);
        HuggingFaceTokenizer longestFirst = reference(json, "longest_first", max)) {
      // A first text that fits keeps all its tokens; the second loses tokens from its end.
      String first = OTHER; // about 12 tokens, longer than half of 24: longest_first would cut it
      TokenizedText t = tok.encodePair(first, longSecond);
      assertEquals(max, t.length());
      assertTrue(t.truncated(), "truncation is reported");
      long[] firstAlone = whole.encode(first).getIds();
      assertEquals(firstAlone.length - 2, t.segment(0).length(), "the first text is whole");
      long[] secondAlone = whole.encode(longSecond).getIds();
      for (int i = 0; i < t.segment(1).length(); i++) {
        assertEquals(secondAlone[1 + i], t.ids()[t.segment(1).start() + i], "the second text keeps its head");
      }
      assertFalse(Arrays.equals(longestFirst.encode(first, longSecond).getIds(), t.ids()),
          "differs from longest_first, which would shorten the first text too");
      assertOffsetsMatchTexts(t, whole.encode(first, longSecond).getTokens(), first, longSecond);
      // A first text too long to leave one token of the second: both are cut longest-first.
      TokenizedText both = tok.encodePair(longFirst, QUERY);
      assertSameAsReference(longestFirst.encode(longFirst, QUERY), both);
      assertTrue(both.truncated());
      assertTrue(both.segment(1).length() > 0);
      // the batch variant falls back per pair the same way
      List<TokenizedText> batch = tok.encodePairs(List.of(first, longFirst), List.of(longSecond, QUERY));
      assertArrayEquals(t.ids(), batch.get(0).ids());
      assertArrayEquals(both.ids(), batch.get(1).ids());
      assertEquals(both.segments(), batch.get(1).segments());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"bge-small-en-v1.5", "all-MiniLM-L6-v2"})
  void packedSequencesFrameEveryPassageAndOnePassageEqualsThePair(String model) throws Exception {
    byte[] json = json(model);
    try (TextTokenizer tok = TextTokenizer.fromJson(json, 512);
        HuggingFaceTokenizer whole = reference(json, "false", 512)) {
      TokenizedText pair = tok.encodePair(QUERY, PASSAGE);
      TokenizedText one = tok.encodePacked(QUERY, List.of(PASSAGE));
      assertArrayEquals(pair.ids(), one.ids());
      assertArrayEquals(pair.typeIds(), one.typeIds());
      assertArrayEquals(pair.specialTokens(), one.specialTokens());
      assertArrayEquals(pair.charStarts(), one.charStarts());
      assertArrayEquals(pair.charEnds(), one.charEnds());
      assertEquals(pair.segments(), one.segments());

      List<String> passages = List.of(PASSAGE, OTHER, "", QUERY);
      TokenizedText packed = tok.encodePacked(QUERY, passages);
      assertFalse(packed.truncated());
      assertEquals(5, packed.segments().size());
      // [CLS] q [SEP] p1 [SEP] p2 [SEP] (empty) [SEP] p4 [SEP]
      assertEquals(101L, packed.ids()[0]);
      int expectedLength = 2;
      for (int s = 0; s < 5; s++) {
        TokenizedText.Span span = packed.segment(s);
        String text = s == 0 ? QUERY : passages.get(s - 1);
        long[] alone = whole.encode(text).getIds();
        assertEquals(alone.length - 2, span.length(), "segment " + s);
        for (int i = 0; i < span.length(); i++) {
          assertEquals(alone[1 + i], packed.ids()[span.start() + i]);
          assertEquals(s == 0 ? 0L : 1L, packed.typeIds()[span.start() + i]);
          assertFalse(packed.isSpecial(span.start() + i));
        }
        assertEquals(102L, packed.ids()[span.end()], "a [SEP] closes segment " + s);
        assertEquals(s == 0 ? 0L : 1L, packed.typeIds()[span.end()]);
        assertTrue(packed.isSpecial(span.end()));
        expectedLength += span.length() + (s == 0 ? 0 : 1);
        String[] tokens = whole.encode(text).getTokens();
        for (int i = 0; i < span.length(); i++) {
          int t = span.start() + i;
          String sub = text.substring(packed.charStarts()[t], packed.charEnds()[t]);
          if (!tokens[1 + i].equals("[UNK]")) {
            assertEquals(tokens[1 + i].replaceFirst("^##", ""), folded(sub), "segment " + s + " token " + i);
          }
        }
      }
      assertEquals(expectedLength, packed.length());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"bge-small-en-v1.5", "all-MiniLM-L6-v2"})
  void packedTruncationCapsTheQueryAtHalfAndSharesTheRestEqually(String model) throws Exception {
    byte[] json = json(model);
    String three = "alpha beta gamma"; // 3 tokens
    String thirty = "word ".repeat(30).trim(); // 30 tokens
    String query = "one two three four five"; // 5 tokens
    try (TextTokenizer tok = TextTokenizer.fromJson(json, 40)) {
      // 40 - [CLS] - 4 [SEP] = 35 content tokens; query 5; passages share 30: 3, then 27/2 = 13, then 14.
      TokenizedText t = tok.encodePacked(query, List.of(thirty, three, thirty));
      assertEquals(40, t.length());
      assertTrue(t.truncated());
      assertEquals(5, t.segment(0).length());
      assertEquals(13, t.segment(1).length());
      assertEquals(3, t.segment(2).length());
      assertEquals(14, t.segment(3).length());
      // a long query keeps half of the content budget
      String longQuery = "word ".repeat(50).trim();
      TokenizedText q = tok.encodePacked(longQuery, List.of(three));
      // 40 - 3 specials = 37; query keeps 18; the passage keeps its 3 tokens
      assertEquals(18, q.segment(0).length());
      assertEquals(3, q.segment(1).length());
      assertEquals(24, q.length());
      // too many passages for the budget
      List<String> many = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        many.add(three);
      }
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tok.encodePacked(query, many));
      assertTrue(e.getMessage().contains("do not fit"), e.getMessage());
    }
    assertArrayEquals(new int[] {3, 13, 14}, TextTokenizer.waterFill(new int[] {3, 30, 30}, 30));
    assertArrayEquals(new int[] {10, 10, 10}, TextTokenizer.waterFill(new int[] {10, 10, 10}, 40));
  }
}
