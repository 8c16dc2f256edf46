package dev.attnir.encoders.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.pooling.Poolings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache is keyed on what the encoder sees: texts equal up to the max length share one encoding. */
class EmbeddingCacheTest {

  private static OnnxEncoder encoder;
  private static Pooling mean;

  @BeforeAll
  static void load() {
    encoder = OnnxEncoder.load(ModelRegistry.resolve("all-MiniLM-L6-v2"), EncoderOptions.defaults());
    mean = Poolings.parse("mean", encoder.spec());
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  /** Random words: far more than the 256 tokens MiniLM sees. */
  private static String words(Random random, int count) {
    String[] vocab = {"river", "castle", "quantum", "election", "protein", "harbor", "violin", "glacier", "senate",
        "enzyme", "orbit", "village", "melody", "archive", "canyon", "theorem"};
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < count; i++) {
      sb.append(i == 0 ? "" : " ").append(vocab[random.nextInt(vocab.length)]);
    }
    return sb.toString();
  }

  private static final class Counting implements ProgressListener {
    long expected = -1;

    @Override
    public void advance(long count) {}

    @Override
    public void expect(long total) {
      expected = total;
    }
  }

  @Test
  void textsEqualUpToTheMaxLengthAreEncodedOnceAndMatchADirectEncoding(@TempDir Path dir) {
    Random random = new Random(3);
    String head = words(random, 400);
    String a = head + " " + words(random, 50);
    String b = head + " " + words(random, 60);
    String shortText = words(random, 30);
    String shortVariant = shortText + " orbit";
    List<String> texts = List.of(a, b, shortText, shortVariant, a);

    Counting progress = new Counting();
    List<float[][]> got = new EmbeddingCache(dir).embed(encoder, List.of(mean), texts, "", progress);
    assertEquals(3, progress.expected, "a and b differ only beyond 256 tokens; a twice; so 3 distinct inputs");

    float[][] direct = Embedder.embedWithPoolings(encoder, List.of(mean), texts, "", false,
        ProgressListener.none()).get(0);
    float[][] v = got.get(0);
    for (int i = 0; i < texts.size(); i++) {
      for (int k = 0; k < v[i].length; k++) {
        assertEquals(direct[i][k], v[i][k], 1e-5, "text " + i + " dim " + k);
      }
    }
    assertArrayEquals(v[0], v[1]);
    assertNotEquals(v[2][0], v[3][0], "a text that differs within the window has its own vector");

    Counting again = new Counting();
    List<float[][]> reread = new EmbeddingCache(dir).embed(encoder, List.of(mean), texts, "", again);
    assertEquals(0, again.expected, "everything comes from the file");
    for (int i = 0; i < texts.size(); i++) {
      assertArrayEquals(v[i], reread.get(0)[i]);
    }
  }

  @Test
  void thePrefixIsPartOfTheKey(@TempDir Path dir) {
    EmbeddingCache cache = new EmbeddingCache(dir);
    float[] plain = cache.embed(encoder, List.of(mean), List.of("harbor village"), "", ProgressListener.none())
        .get(0)[0];
    Counting progress = new Counting();
    float[] prefixed = cache.embed(encoder, List.of(mean), List.of("harbor village"), "query: ", progress).get(0)[0];
    assertEquals(1, progress.expected);
    assertNotEquals(plain[0], prefixed[0]);
  }

  @Test
  void aFileIsReadOncePerInstance(@TempDir Path dir) throws Exception {
    EmbeddingCache cache = new EmbeddingCache(dir);
    List<String> texts = List.of("harbor village", "mountain pass");
    float[][] first = cache.embed(encoder, List.of(mean), texts, "", ProgressListener.none()).get(0);
    try (var files = java.nio.file.Files.list(dir)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".vec")).toList()) {
        java.nio.file.Files.delete(f);
      }
    }
    Counting same = new Counting();
    float[][] again = cache.embed(encoder, List.of(mean), texts, "", same).get(0);
    assertEquals(0, same.expected, "the instance serves what it read or wrote from memory");
    assertArrayEquals(first[1], again[1]);
    Counting fresh = new Counting();
    new EmbeddingCache(dir).embed(encoder, List.of(mean), texts, "", fresh);
    assertEquals(2, fresh.expected, "a new instance reads the (now empty) directory");
  }

  @Test
  void keysAreStableAndDistinguishInputs() {
    List<String> texts = new ArrayList<>(List.of("one text", "one text", "another text"));
    List<String> keys = EmbeddingCache.inputKeys(encoder, texts, "");
    assertEquals(keys.get(0), keys.get(1));
    assertNotEquals(keys.get(0), keys.get(2));
    assertTrue(keys.get(0).matches("[0-9a-f]{64}"));
    assertEquals(keys, EmbeddingCache.inputKeys(encoder, texts, ""));
  }
}
