package dev.attnir.indexer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.Document;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.TextTokenizer;
import dev.attnir.encoders.TokenizedText;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Window passages at the largest length the options accept (the model's max length minus its two special tokens, stride
 * = length) still fit the encoder once the title and the passage prefix are added, and together cover every token of
 * the body: the window shrinks, never the embedded text.
 */
class WindowPassagesTest {

  private static final String[] WORDS = {"mitochondria", "photosynthesis", "the", "of", "quantum", "résumé",
      "naïve", "Zürich", "co-operation", "state-of-the-art", "(1998)", "U.S.", "well,", "e.g.", "42", "3.14",
      "unbelievably", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"};

  @Test
  void windowsAtTheLimitFitWithTitleAndPrefixAndCoverEveryToken() {
    ModelSpec spec = ModelRegistry.resolve("all-MiniLM-L6-v2").withPrefixes("query: ", "passage: ");
    int length = spec.maxLength() - 2;
    Random random = new Random(5);
    try (OnnxEncoder encoder = OnnxEncoder.load(spec, EncoderOptions.defaults())) {
      TextTokenizer tokenizer = encoder.tokenizer();
      for (int stride : new int[] {length, length / 2}) {
        PassageSplitter splitter = PassageSplitter.forEncoder(PassageSettings.windows(length, stride, spec.name()),
            encoder);
        for (int round = 0; round < 8; round++) {
          int words = round == 0 ? 60 : 50 + random.nextInt(900);
          String title = round % 4 == 3 ? "" : words(random, 1 + random.nextInt(round % 2 == 0 ? 8 : 200));
          Document doc = new Document("d" + round, title, words(random, words));
          List<Passage> passages = splitter.split(doc);
          int[][] bodyTokens = tokenizer.contentTokenSpans(doc.text());
          boolean[] covered = new boolean[bodyTokens.length];
          for (Passage p : passages) {
            TokenizedText t = tokenizer.encode(spec.passagePrefix() + p.contents());
            assertFalse(t.truncated(), "window " + p.ordinal() + " of " + doc.id() + " (stride " + stride
                + ") fits the model: " + t.length() + " tokens");
            for (int i = 0; i < bodyTokens.length; i++) {
              covered[i] |= bodyTokens[i][0] >= p.start() && bodyTokens[i][1] <= p.end();
            }
          }
          for (int i = 0; i < covered.length; i++) {
            assertTrue(covered[i], "token " + i + " of " + doc.id() + " (stride " + stride + ") is in some window");
          }
        }
      }
    }
  }

  private static String words(Random random, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(WORDS[random.nextInt(WORDS.length)]).append(random.nextInt(12) == 0 ? "\n\n" : " ");
    }
    return sb.toString().trim();
  }
}
