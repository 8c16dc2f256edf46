package dev.attnir.training.rerank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.rerankers.trained.RerankerArtifact;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RerankerTrainerTest {

  private static final String[] TOPICS = {"volcano eruption lava", "piano concerto orchestra", "tax return refund",
      "glacier ice melting", "football world cup", "vaccine immune response", "bitcoin blockchain mining",
      "honey bee colony"};

  /** Eight toy queries; each list holds its topic's passage and the other topics' passages as negatives. */
  private static List<TrainingList> lists() {
    List<TrainingList> out = new ArrayList<>();
    for (int q = 0; q < TOPICS.length; q++) {
      List<TrainingList.Item> items = new ArrayList<>();
      for (int d = 0; d < TOPICS.length; d++) {
        items.add(new TrainingList.Item("d" + d, "a short passage about " + TOPICS[d], d == q ? 1 : 0, true));
      }
      out.add(new TrainingList("toy", "q" + q, "tell me about " + TOPICS[q].split(" ")[0], items));
    }
    return out;
  }

  private static RerankerTrainer.Config config(int maxSteps) {
    return new RerankerTrainer.Config(1, 2, 3, 1, 1e-4, 1e-2, 0.01, 0.1, 0.8, 8, 1, maxSteps, 7);
  }

  @Test
  void targetIsMvpSoftmaxOfInverseRanksWithTiedNegativesAtTheirMeanRank() {
    List<TrainingList.Item> items = List.of(new TrainingList.Item("a", "x", 0, true),
        new TrainingList.Item("b", "x", 1, true), new TrainingList.Item("c", "x", 0, true),
        new TrainingList.Item("d", "x", 0, true), new TrainingList.Item("e", "x", 0, true));
    float[] t = RerankerTrainer.target(items, 0.8);
    double pos = Math.exp(1 / 0.8);
    double neg = Math.exp((1 / 3.5) / 0.8); // ranks 2..5 tied: mean rank 3.5
    assertEquals(pos / (pos + 4 * neg), t[1], 1e-6);
    assertEquals(neg / (pos + 4 * neg), t[0], 1e-6);
    assertEquals(t[0], t[4], 0);
  }

  @Test
  void planIsSeededAndEveryGroupHasOnePositiveAndDistinctDocuments() {
    RerankerTrainer.Config c = new RerankerTrainer.Config(1, 2, 4, 1, 1e-4, 1e-2, 0, 0, 0.8, 8, 1, 0, 3);
    var a = RerankerTrainer.plan(lists(), c, 0);
    var b = RerankerTrainer.plan(lists(), c, 0);
    var other = RerankerTrainer.plan(lists(), c, 1);
    assertEquals(a.toString(), b.toString());
    assertNotEquals(a.toString(), other.toString());
    assertEquals(4, a.size());
    for (var step : a) {
      for (var g : step) {
        assertEquals(4, g.items().size());
        assertEquals(1, g.items().stream().filter(i -> i.grade() >= 1).count());
        Set<String> ids = new HashSet<>();
        g.items().forEach(i -> assertTrue(ids.add(i.docId()), "document twice in a group: " + g));
      }
    }
  }

  /**
   * A run stopped after its first checkpoint and resumed ends in the same state as the run that was not stopped:
   * parameters and optimizer moments.
   */
  @Test
  void resumedRunEndsWhereTheUninterruptedRunEnds(@TempDir Path dir) throws Exception {
    ModelSpec spec = ModelRegistry.resolve("all-MiniLM-L6-v2");
    List<TrainingList> train = lists();
    List<TrainingList> dev = train.subList(0, 2);
    Path straight = dir.resolve("straight");
    try (CrossEncoderModel m = new CrossEncoderModel(spec, 32, 1)) {
      RerankerTrainer.Result r = RerankerTrainer.train(m, train, dev, config(2), straight, false, Map.of(),
          quiet(-1));
      assertEquals(2, r.steps());
      assertEquals(Set.of(1L, 2L), r.lossHistory().keySet());
      assertEquals(0.0, r.lossHistory().get(2L).get("auxiliary"), 1e-9);
    }
    Path resumed = dir.resolve("resumed");
    try (CrossEncoderModel m = new CrossEncoderModel(spec, 32, 1)) {
      assertThrows(Interrupted.class, () -> RerankerTrainer.train(m, train, dev, config(2), resumed, false,
          Map.of(), quiet(1)));
    }
    RerankerArtifact mid = RerankerArtifact.read(Files.readAllBytes(resumed.resolve("checkpoint.state")), "mid");
    try (CrossEncoderModel m = new CrossEncoderModel(spec, 32, 1)) {
      assertThrows(IllegalStateException.class, () -> RerankerTrainer.train(m, train, dev, config(2), resumed,
          false, Map.of(), quiet(-1)), "an existing checkpoint is not silently overwritten");
      RerankerTrainer.Result r = RerankerTrainer.train(m, train, dev, config(2), resumed, true, Map.of(), quiet(-1));
      assertEquals(2, r.steps());
    }
    RerankerArtifact a = RerankerArtifact.read(Files.readAllBytes(straight.resolve("checkpoint.state")), "a");
    RerankerArtifact b = RerankerArtifact.read(Files.readAllBytes(resumed.resolve("checkpoint.state")), "b");
    assertEquals(new HashSet<>(a.tensorNames()), new HashSet<>(b.tensorNames()));
    assertTrue(a.tensorNames().contains("m.head.weight"));
    // PyTorch's CPU kernels add in thread order, so two runs differ in the last bits, and Adam magnifies that where
    // a gradient is tiny (it divides by the gradient's own scale). So the test compares means: the resumed run must
    // end within 2% of what the second step moved (a resume that lost the moments or replayed a step is off by about
    // the whole step). The listwise loss does not change when every score of a list moves alike, nor attention when
    // a key bias adds the same to a query's scores: those two biases have an exact gradient of 0, follow rounding
    // noise at full learning-rate steps, and are left out.
    double diff = 0;
    double moved = 0;
    long n = 0;
    for (String name : a.tensorNames()) {
      if (name.endsWith("head.bias") || name.endsWith("attention.self.key.bias") || !mid.tensors().containsKey(name)) {
        continue;
      }
      float[] x = a.tensors().get(name);
      float[] y = b.tensors().get(name);
      float[] before = mid.tensors().get(name);
      for (int i = 0; i < x.length; i++) {
        diff += Math.abs(x[i] - y[i]);
        moved += Math.abs(x[i] - before[i]);
        n++;
      }
    }
    assertTrue(moved > 0, "the second step moved nothing");
    assertTrue(diff < 0.02 * moved, "resumed state differs by " + diff / n + " per value on average; the second step "
        + "moved " + moved / n);
  }

  private static final class Interrupted extends RuntimeException {}

  private static RerankerTrainer.Listener quiet(long stopAfterDevAt) {
    return new RerankerTrainer.Listener() {
      @Override
      public void step(long step, long total, double loss, double rankLoss, double seconds) {
        assertEquals(loss, rankLoss, 0.0, "a cross-encoder has no auxiliary loss");
      }

      @Override
      public void dev(long step, Map<String, Double> ndcg, double mean, boolean best) {
        if (step == stopAfterDevAt) {
          throw new Interrupted();
        }
      }
    };
  }
}
