package dev.attnir.rerankers.attention.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.rerankers.attention.AttentionReader;
import dev.attnir.rerankers.attention.DecoderReader;
import dev.attnir.rerankers.attention.SlotProfile;
import dev.attnir.rerankers.attention.SlotProfiler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The decoder fixture's attention-basin profile for k = 5 and 10 has a basin (last slot most attended, first slot
 * above the middle's least): passages are stories the model writes itself
 * (sampled at temperature 1 from seeded story openings, so they are text it can read), questions are fixed story
 * questions; the profile is printed and written to target/ (its numbers are reported in
 * eval/results/attention-readers.md).
 */
class DecoderProfileTest {

  private static final List<String> OPENINGS = List.of("Once upon a time, there was a little girl named Lily.",
      "Tom and his dog went to the park.", "One day, a big bird flew over the house.",
      "Sara had a red ball.", "The cat was very hungry.", "Ben wanted to build a tower.",
      "Mia found a shiny stone.", "The sun was hot and the sky was blue.", "A little fish lived in the pond.",
      "Max and Sue played in the garden.");
  private static final List<String> QUESTIONS = List.of("Who found the shiny stone?", "What did Tom do at the park?",
      "Why was the cat hungry?", "Where did the bird fly?", "What color was the ball?");

  @Test
  void profilesOfTheStoriesReader() throws Exception {
    Assumptions.assumeTrue(Files.exists(DecoderFixtureTest.CHECKPOINT), "skipped: the decoder fixture is absent");
    Llama2cModel model = Llama2cModel.read(DecoderFixtureTest.CHECKPOINT);
    Llama2cTokenizer tokenizer = new Llama2cTokenizer(DecoderFixtureTest.CHECKPOINT.resolveSibling("tok512.bin"),
        model.vocab);
    Random random = new Random(5);
    List<String> stories = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      stories.add(sample(model, tokenizer, OPENINGS.get(i % OPENINGS.size()), 24, random));
    }
    try (DecoderReader reader = new DecoderReader("stories260K", LlamaOnnxWriter.write(model), tokenizer, 1, 0,
        model.seqLen, DecoderReader.Prompt.icrQa(), "stories260K.bin")) {
      for (int k : new int[] {5, 10}) {
        List<SlotProfiler.Item> items = new ArrayList<>();
        for (int q = 0; q < 20; q++) {
          List<String> pool = new ArrayList<>(stories);
          java.util.Collections.shuffle(pool, random);
          items.add(new SlotProfiler.Item(QUESTIONS.get(q % QUESTIONS.size()), pool.subList(0, k + 2)));
        }
        SlotProfile p = SlotProfiler.calibrate(reader, AttentionReader.Focus.QUERY, k, items, 4, 9, 8);
        double sum = 0;
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < k; i++) {
          sum += p.share()[i];
          s.append(String.format(" %.4f±%.4f", p.share()[i], p.stdError()[i]));
        }
        assertEquals(1.0, sum, 1e-9);
        int[] by = p.slotsByAttention();
        // the basin this causal reader shows (and the paper describes): the last slot, nearest the question, draws
        // the most attention and the first slot more than the least attended middle one
        assertEquals(k - 1, by[0], "most attended slot");
        assertTrue(p.share()[0] > 1.5 * p.share()[by[k - 1]], "first slot " + p.share()[0] + " vs least "
            + p.share()[by[k - 1]]);
        System.out.printf("stories260K profile k=%d (%d contexts): %s; most attended slot %d, least %d, ratio %.3f%n",
            k, p.samples(), s, by[0] + 1, by[k - 1] + 1, p.maxMinRatio());
        Path out = Path.of("target/stories260K-profile-k" + k + ".json");
        p.write(out);
      }
    }
  }

  /** Samples {@code tokens} tokens after {@code opening} at temperature 1. */
  private static String sample(Llama2cModel model, Llama2cTokenizer tokenizer, String opening, int tokens,
      Random random) {
    List<Integer> ids = new ArrayList<>();
    ids.add(1);
    for (long t : tokenizer.encode(opening)) {
      ids.add((int) t);
    }
    int start = ids.size();
    for (int i = 0; i < tokens; i++) {
      float[] logits = model.forward(ids.stream().mapToInt(Integer::intValue).toArray()).logits()[ids.size() - 1];
      double max = Double.NEGATIVE_INFINITY;
      for (float v : logits) {
        max = Math.max(max, v);
      }
      double[] p = new double[logits.length];
      double sum = 0;
      for (int v = 0; v < p.length; v++) {
        p[v] = Math.exp(logits[v] - max);
        sum += p[v];
      }
      double u = random.nextDouble() * sum;
      int next = 0;
      while (next < p.length - 1 && (u -= p[next]) > 0) {
        next++;
      }
      if (next == 2) { // EOS
        break;
      }
      ids.add(next);
    }
    long[] all = ids.subList(1, ids.size()).stream().mapToLong(Integer::longValue).toArray();
    assertTrue(ids.size() >= start);
    return tokenizer.decode(all).strip();
  }
}
