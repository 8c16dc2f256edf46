package dev.attnir.rerankers.trained;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.Candidate;
import dev.attnir.core.Reranker;
import dev.attnir.core.Rerankers;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The rerankers shipped in the registry load from a clone (their files match the registry's digests and their base
 * model's) and score candidates independently of the order they arrive in: 5 shuffles give the same scores to the
 * bit, so every permutation's ranking has Kendall tau 1 with the first.
 */
class ShippedRerankersTest {

  private static final String QUERY = "does vitamin D supplementation reduce the risk of fractures in older adults";
  private static final String[] TEXTS = {
      "Vitamin D and calcium supplementation reduced hip fractures in elderly women living in nursing homes.",
      "A randomized trial of vitamin D in older adults found no reduction in fracture incidence after five years.",
      "The mitochondrial genome encodes 13 proteins of the respiratory chain.",
      "Falls are the leading cause of fractures among people over 65.",
      "Bone mineral density declines with age, especially after menopause.",
      "Graphene is a single layer of carbon atoms arranged in a hexagonal lattice.",
      "High-dose annual vitamin D increased falls and fractures in a trial of older women.",
      "The transcription factor p53 regulates the cell cycle and apoptosis.",
      "Calcium intake from dairy products is associated with bone health in children.",
      "Meta-analysis: vitamin D alone does not prevent fractures; combined with calcium it reduces hip fractures."};

  @Test
  void shippedRerankersVerifyAndAreOrderIndependent() {
    // the test registry (test-*) is on the test classpath too
    List<String> names = TrainedRegistry.shipped().names().stream().filter(n -> !n.startsWith("test-")).toList();
    assertTrue(!names.isEmpty(), "no shipped reranker");
    List<Candidate> candidates = new ArrayList<>();
    for (int i = 0; i < TEXTS.length; i++) {
      candidates.add(new Candidate("doc" + i, i + 1, 0, 0, 0, TEXTS[i].length(), TEXTS[i]));
    }
    for (String name : names) {
      TrainedRegistry.shipped().read(name); // the digest check
      Reranker r = Rerankers.create(name);
      try {
        double[] reference = scores(r, candidates);
        Random random = new Random(11);
        for (int s = 0; s < 5; s++) {
          List<Candidate> shuffled = new ArrayList<>(candidates);
          Collections.shuffle(shuffled, random);
          double[] byDoc = new double[candidates.size()];
          double[] got = scores(r, shuffled);
          for (int i = 0; i < shuffled.size(); i++) {
            byDoc[Integer.parseInt(shuffled.get(i).docId().substring(3))] = got[i];
          }
          assertArrayEquals(reference, byDoc, 0.0, name + ", shuffle " + s);
          assertEquals(1.0, kendallTau(reference, byDoc), 0.0);
        }
        System.out.printf("%s: scores identical under 5 shuffles, Kendall tau = 1%n", name);
        assertTrue(reference[0] > reference[2] && reference[9] > reference[5], name + " ranks an on-topic passage "
            + "below an off-topic one: " + java.util.Arrays.toString(reference));
      } finally {
        if (r instanceof AutoCloseable c) {
          try {
            c.close();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }
      }
    }
  }

  /**
   * A shipped cross-encoder's fine-tuned encoder opens as an attention reader by its name: same layout as its base
   * model's reader, other weights (so other attention), another identity.
   */
  @Test
  void aShippedCrossEncoderReadsAsAnAttentionReader() {
    var context = new dev.attnir.rerankers.attention.AttentionReader.Context(QUERY, List.of(TEXTS[0], TEXTS[2],
        TEXTS[9]));
    try (var trained = dev.attnir.rerankers.attention.EncoderReader.open("cross-encoder-minilm", 512);
        var base = dev.attnir.rerankers.attention.EncoderReader.open("all-MiniLM-L6-v2", 512)) {
      assertTrue(!trained.identity().equals(base.identity()), trained.identity());
      var a = trained.read(List.of(context), dev.attnir.rerankers.attention.AttentionReader.Focus.QUERY).get(0);
      var b = base.read(List.of(context), dev.attnir.rerankers.attention.AttentionReader.Focus.QUERY).get(0);
      double largest = 0;
      for (int slot = 0; slot < 3; slot++) {
        assertEquals(b.tokens().get(slot).length, a.tokens().get(slot).length, "same layout, slot " + slot);
        for (int t = 0; t < a.tokens().get(slot).length; t++) {
          largest = Math.max(largest, Math.abs(a.tokens().get(slot)[t] - b.tokens().get(slot)[t]));
        }
      }
      assertTrue(largest > 1e-3, "fine-tuning changed the attention: largest token difference " + largest);
      System.out.printf("cross-encoder-minilm as a reader: slot masses %.3f %.3f %.3f (base %.3f %.3f %.3f)%n",
          a.mass(0), a.mass(1), a.mass(2), b.mass(0), b.mass(1), b.mass(2));
    }
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> dev.attnir.rerankers.attention.EncoderReader.open("no-such-reader", 512));
    assertTrue(e.getMessage().contains("cross-encoder-minilm"), e.getMessage());
  }

  private static double[] scores(Reranker r, List<Candidate> c) {
    if (r instanceof MvpReranker m) {
      return m.scores(QUERY, c);
    }
    return ((dev.attnir.rerankers.CrossEncoderReranker) r).scores(QUERY, c);
  }

  private static double kendallTau(double[] a, double[] b) {
    long concordant = 0;
    long discordant = 0;
    for (int i = 0; i < a.length; i++) {
      for (int j = i + 1; j < a.length; j++) {
        double s = Math.signum(a[i] - a[j]) * Math.signum(b[i] - b[j]);
        if (s > 0) {
          concordant++;
        } else if (s < 0) {
          discordant++;
        }
      }
    }
    return (concordant - discordant) / (double) (concordant + discordant);
  }
}
