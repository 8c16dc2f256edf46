package dev.attnir.encoders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TextTokenizerTest {

  private static String words(int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append("word ");
    }
    return sb.toString();
  }

  @Test
  void miniLmTokenizerJsonFixedLengthIsOverridden() throws Exception {
    // The jar's tokenizer.json pads and truncates at 128; ours must do neither unless asked.
    byte[] json = ModelRegistry.resolve("all-MiniLM-L6-v2").source().readTokenizerJson();
    try (TextTokenizer t = TextTokenizer.fromJson(json, 512)) {
      TokenizedText shortText = t.encode("hello world");
      assertEquals(4, shortText.length(), "no padding: [CLS] hello world [SEP]");
      assertFalse(shortText.truncated());
      TokenizedText mid = t.encode(words(300));
      assertEquals(302, mid.length(), "no truncation at 128");
      assertFalse(mid.truncated());
      TokenizedText longText = t.encode(words(600));
      assertEquals(512, longText.length());
      assertTrue(longText.truncated(), "truncation is reported");
      assertEquals(102L, longText.ids()[511], "[SEP] kept at the end after truncation");
    }
  }

  @Test
  void truncationLengthIsConfigurable() throws Exception {
    byte[] json = ModelRegistry.resolve("bge-small-en-v1.5").source().readTokenizerJson();
    try (TextTokenizer t = TextTokenizer.fromJson(json, 64)) {
      List<TokenizedText> all = t.encodeAll(List.of(words(10), words(100)));
      assertEquals(12, all.get(0).length());
      assertEquals(64, all.get(1).length());
      assertTrue(all.get(1).truncated());
    }
  }

  @Test
  void contentSpansIndexJavaStrings() throws Exception {
    byte[] json = ModelRegistry.resolve("bge-small-en-v1.5").source().readTokenizerJson();
    String text = "Naïve café 𝔘nicode: x²+y² — zürich.";
    try (TextTokenizer t = TextTokenizer.fromJson(json, 512)) {
      int[][] spans = t.contentTokenSpans(text);
      assertTrue(spans.length > 5);
      int prevEnd = 0;
      for (int[] s : spans) {
        assertTrue(s[0] >= prevEnd && s[1] > s[0] && s[1] <= text.length(),
            "span " + s[0] + "-" + s[1] + " of a " + text.length() + "-char string");
        prevEnd = s[0];
      }
      assertEquals("Naïve".toLowerCase().substring(0, 1), text.substring(spans[0][0], spans[0][0] + 1).toLowerCase());
      // the last content token is the final period
      assertEquals(".", text.substring(spans[spans.length - 1][0], spans[spans.length - 1][1]));
      // the span of "zürich" starts where the Java string has it
      int z = text.indexOf("zürich");
      boolean found = false;
      for (int[] s : spans) {
        found |= s[0] == z;
      }
      assertTrue(found, "a token starts at the Java index of 'zürich' (" + z + ")");
    }
  }
}
