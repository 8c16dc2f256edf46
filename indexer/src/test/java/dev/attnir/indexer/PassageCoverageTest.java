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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Passages cut for an encoder leave nothing unembedded: every passage fits the model once the passage prefix, the
 * title and the special tokens are added (checked with the model's own tokenizer), and together they cover every token
 * of the body. Auto passages keep a document that fits whole; window passages at the largest length the options accept
 * shrink a window rather than truncate it. MiniLM's 256 tokens with an e5-style prefix make every part count.
 */
class PassageCoverageTest {

  private static final String[] WORDS = {"mitochondria", "photosynthesis", "the", "of", "quantum", "résumé",
      "naïve", "Zürich", "co-operation", "state-of-the-art", "(1998)", "U.S.", "well,", "e.g.", "42", "3.14",
      "unbelievably", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"};

  private static final ModelSpec SPEC = ModelRegistry.resolve("all-MiniLM-L6-v2").withPrefixes("query: ", "passage: ");
  private static OnnxEncoder encoder;

  @BeforeAll
  static void load() {
    encoder = OnnxEncoder.load(SPEC, EncoderOptions.defaults());
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  @Test
  void autoPassagesSplitExactlyTheDocumentsThatDoNotFitAndCoverEveryToken() {
    PassageSplitter splitter = PassageSplitter.forEncoder(PassageSettings.auto(SPEC.maxLength(), SPEC.name()), encoder);
    Random random = new Random(11);
    for (int round = 0; round < 12; round++) {
      int words = round == 0 ? 40 : 50 + random.nextInt(900);
      String title = round % 3 == 0 ? "" : words(random, 1 + random.nextInt(round % 2 == 0 ? 8 : 40));
      Document doc = new Document("d" + round, title, words(random, words));
      List<Passage> passages = splitter.split(doc);
      assertFitAndCover(doc, passages, "auto");
      TokenizedText whole = encoder.tokenizer().encode(SPEC.passagePrefix() + (title.isBlank() ? doc.text()
          : title + " " + doc.text()));
      assertEquals(whole.truncated() ? passages.size() > 1 : passages.size() == 1, true,
          doc.id() + ": split exactly when the whole document does not fit (" + passages.size() + " passages)");
    }
  }

  @Test
  void windowsAtTheLimitFitWithTitleAndPrefixAndCoverEveryToken() {
    int length = SPEC.maxLength() - 2;
    Random random = new Random(5);
    for (int stride : new int[] {length, length / 2}) {
      PassageSplitter splitter = PassageSplitter.forEncoder(PassageSettings.windows(length, stride, SPEC.name()),
          encoder);
      for (int round = 0; round < 8; round++) {
        int words = round == 0 ? 60 : 50 + random.nextInt(900);
        String title = round % 4 == 3 ? "" : words(random, 1 + random.nextInt(round % 2 == 0 ? 8 : 200));
        Document doc = new Document("d" + round, title, words(random, words));
        assertFitAndCover(doc, splitter.split(doc), "windows " + length + "/" + stride);
      }
    }
  }

  private static void assertFitAndCover(Document doc, List<Passage> passages, String what) {
    TextTokenizer tokenizer = encoder.tokenizer();
    int[][] bodyTokens = tokenizer.contentTokenSpans(doc.text());
    boolean[] covered = new boolean[bodyTokens.length];
    for (Passage p : passages) {
      TokenizedText t = tokenizer.encode(SPEC.passagePrefix() + p.contents());
      assertFalse(t.truncated(), what + ": passage " + p.ordinal() + " of " + doc.id() + " fits the model: "
          + t.length() + " tokens");
      for (int i = 0; i < bodyTokens.length; i++) {
        covered[i] |= bodyTokens[i][0] >= p.start() && bodyTokens[i][1] <= p.end();
      }
    }
    for (int i = 0; i < covered.length; i++) {
      assertTrue(covered[i], what + ": token " + i + " of " + doc.id() + " is in some passage");
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
