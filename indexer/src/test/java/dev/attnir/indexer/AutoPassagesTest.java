package dev.attnir.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * Auto passages leave nothing unembedded: a document that fits the model stays whole, a longer one is cut into windows
 * that the encoder reads whole (prefix, title and special tokens included, checked with the model's own tokenizer) and
 * that together cover every token of the body.
 */
class AutoPassagesTest {

  private static final String[] WORDS = {"mitochondria", "photosynthesis", "the", "of", "quantum", "résumé",
      "naïve", "Zürich", "co-operation", "state-of-the-art", "(1998)", "U.S.", "well,", "e.g.", "42", "3.14",
      "unbelievably", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"};

  @Test
  void longDocumentsAreWindowedToFitAndEveryTokenIsCovered() {
    // a prefix as e5 uses, on MiniLM's 256 tokens, so prefix, title and specials all take from the budget
    ModelSpec spec = ModelRegistry.resolve("all-MiniLM-L6-v2").withPrefixes("query: ", "passage: ");
    Random random = new Random(11);
    try (OnnxEncoder encoder = OnnxEncoder.load(spec, EncoderOptions.defaults())) {
      TextTokenizer tokenizer = encoder.tokenizer();
      PassageSplitter splitter = PassageSplitter.forEncoder(PassageSettings.auto(spec.maxLength(), spec.name()),
          encoder);
      for (int round = 0; round < 12; round++) {
        int words = round == 0 ? 40 : 50 + random.nextInt(900);
        String title = round % 3 == 0 ? "" : words(random, 1 + random.nextInt(round % 2 == 0 ? 8 : 40));
        Document doc = new Document("d" + round, title, words(random, words));
        List<Passage> passages = splitter.split(doc);
        int[][] bodyTokens = tokenizer.contentTokenSpans(doc.text());
        boolean[] covered = new boolean[bodyTokens.length];
        for (Passage p : passages) {
          TokenizedText t = tokenizer.encode(spec.passagePrefix() + p.contents());
          assertFalse(t.truncated(), "passage " + p.ordinal() + " of " + doc.id() + " fits the model: "
              + t.length() + " tokens");
          for (int i = 0; i < bodyTokens.length; i++) {
            covered[i] |= bodyTokens[i][0] >= p.start() && bodyTokens[i][1] <= p.end();
          }
        }
        for (int i = 0; i < covered.length; i++) {
          assertTrue(covered[i], "token " + i + " of " + doc.id() + " is in some passage");
        }
        TokenizedText whole = tokenizer.encode(spec.passagePrefix() + (title.isBlank() ? doc.text()
            : title + " " + doc.text()));
        assertEquals(whole.truncated() ? passages.size() > 1 : passages.size() == 1, true,
            doc.id() + ": split exactly when the whole document does not fit (" + passages.size() + " passages)");
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
