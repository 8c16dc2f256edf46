package dev.attnir.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.cache.EmbeddingCache;
import dev.attnir.encoders.pooling.Poolings;
import dev.attnir.eval.data.BeirDataset;
import dev.attnir.eval.data.CorpusReader;
import dev.attnir.indexer.Passage;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.indexer.PassageSplitter;
import dev.attnir.training.HeadTrainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The epoch-selection bookkeeping of head training on two small real datasets (NQ sample passages): per-dataset dev
 * nDCG@10 is logged every epoch, the native pooling's dev nDCG@10 matches a hand computation, and the criterion is the
 * mean or the worst gain over native, as selected.
 */
class HeadTrainingTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static OnnxEncoder encoder;

  @TempDir
  static Path dir;

  @BeforeAll
  static void load() {
    encoder = OnnxEncoder.load(ModelRegistry.resolve("all-MiniLM-L6-v2"), EncoderOptions.defaults());
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  /** A training split of {@code count} sample questions from {@code from}, each with its one gold passage. */
  private static Path dataset(String name, int from, int count) throws IOException {
    Path sample = Path.of("..", "samples", "nq-sample");
    List<String> qrels = Files.readAllLines(sample.resolve("qrels/test.tsv")).subList(1 + from, 1 + from + count);
    Map<String, String> corpus = new LinkedHashMap<>();
    for (String line : Files.readAllLines(sample.resolve("corpus.jsonl"))) {
      corpus.put(JSON.readTree(line).get("_id").asText(), line);
    }
    Map<String, String> queries = new LinkedHashMap<>();
    for (String line : Files.readAllLines(sample.resolve("queries.jsonl"))) {
      queries.put(JSON.readTree(line).get("_id").asText(), line);
    }
    Path out = dir.resolve(name);
    Files.createDirectories(out.resolve("qrels"));
    List<String> docs = new ArrayList<>();
    List<String> qs = new ArrayList<>();
    List<String> judged = new ArrayList<>(List.of("query-id\tcorpus-id\tscore"));
    for (String line : qrels) {
      String[] f = line.split("\t");
      docs.add(corpus.get(f[1]));
      qs.add(queries.get(f[0]));
      judged.add(f[0] + "\t" + f[1] + "\t1");
    }
    Files.write(out.resolve("corpus.jsonl"), docs);
    Files.write(out.resolve("queries.jsonl"), qs);
    Files.write(out.resolve("qrels/train.tsv"), judged);
    return out;
  }

  private static HeadTraining.Outcome train(HeadTraining.Selection selection, List<Map<String, Double>> logged)
      throws IOException {
    List<HeadTraining.Source> sources = List.of(
        new HeadTraining.Source("a", BeirDataset.open(dataset("a", 0, 48), "train")),
        new HeadTraining.Source("b", BeirDataset.open(dataset("b", 48, 48), "train")));
    HeadTraining.Settings settings = new HeadTraining.Settings("mean", 1, 2, 2, 16, 2, 0.25, 10, selection,
        new HeadTrainer.Config(3, 8, 1, 1e-3f, 0.01f, 20f, 5, 3));
    return HeadTraining.run(encoder, sources, PassageSettings.wholeDocument(encoder.spec().name()), settings,
        new EmbeddingCache(dir.resolve("cache")), ProgressListener.none(), (e, byDataset) -> logged.add(byDataset));
  }

  @Test
  void criterionIsTheMeanOrTheWorstGainOverNative() throws IOException {
    for (HeadTraining.Selection selection : HeadTraining.Selection.values()) {
      List<Map<String, Double>> logged = new ArrayList<>();
      HeadTraining.Outcome outcome = train(selection, logged);
      List<HeadTrainer.Epoch> epochs = outcome.result().epochs();
      assertEquals(epochs.size(), outcome.devByEpoch().size());
      assertEquals(outcome.devByEpoch(), logged);
      assertEquals(List.of("a", "b"), new ArrayList<>(outcome.nativeDev().keySet()));
      for (int i = 0; i < epochs.size(); i++) {
        Map<String, Double> byDataset = outcome.devByEpoch().get(i);
        double expected = selection == HeadTraining.Selection.MEAN
            ? (byDataset.get("a") + byDataset.get("b")) / 2
            : Math.min(byDataset.get("a") - outcome.nativeDev().get("a"),
                byDataset.get("b") - outcome.nativeDev().get("b"));
        assertEquals(expected, epochs.get(i).dev(), 1e-12, selection + " epoch " + i);
      }
      double best = epochs.stream().mapToDouble(HeadTrainer.Epoch::dev).max().orElseThrow();
      assertEquals(best, epochs.stream().filter(e -> e.epoch() == outcome.result().bestEpoch()).findFirst()
          .orElseThrow().dev(), 1e-12, "the best epoch has the best criterion");
      assertEquals(selection.name().toLowerCase(java.util.Locale.ROOT),
          outcome.state().config().training().get("selection"));
      for (String name : List.of("a", "b")) {
        assertEquals(nativeDevByHand(name, outcome), outcome.nativeDev().get(name), 1e-9, name);
      }
    }
  }

  /** nDCG@10 of the dev queries with the native pooling, by brute-force cosine and the one-relevant formula. */
  @SuppressWarnings("unchecked")
  private static double nativeDevByHand(String name, HeadTraining.Outcome outcome) throws IOException {
    BeirDataset ds = BeirDataset.open(dir.resolve(name), "train");
    List<String> devIds = (List<String>) ((Map<String, Object>) outcome.report().get(name)).get("devQueryIds");
    assertTrue(devIds.size() >= 10, "dev queries: " + devIds.size());
    PassageSplitter splitter = new PassageSplitter(PassageSettings.wholeDocument(encoder.spec().name()),
        encoder.tokenizer()::contentTokenSpans);
    List<Passage> passages = splitter.splitAll(CorpusReader.stream(ds.corpus(), CorpusReader.InvalidPolicy.FAIL));
    var pooling = Poolings.parse(encoder.spec().pooling(), encoder.spec());
    float[][] p = Embedder.embedWithPoolings(encoder, List.of(pooling),
        passages.stream().map(Passage::contents).toList(), "", true, ProgressListener.none()).get(0);
    float[][] q = Embedder.embedWithPoolings(encoder, List.of(pooling),
        devIds.stream().map(ds.queries()::get).toList(), "", true, ProgressListener.none()).get(0);
    double sum = 0;
    for (int i = 0; i < devIds.size(); i++) {
      String relevant = ds.qrels().of(devIds.get(i)).keySet().iterator().next();
      double relevantScore = Double.NaN;
      double[] scores = new double[passages.size()];
      for (int j = 0; j < passages.size(); j++) {
        for (int k = 0; k < q[i].length; k++) {
          scores[j] += q[i][k] * p[j][k];
        }
        if (passages.get(j).docId().equals(relevant)) {
          relevantScore = scores[j];
        }
      }
      int rank = 1;
      for (double s : scores) {
        if (s > relevantScore) {
          rank++;
        }
      }
      sum += rank <= 10 ? 1 / (Math.log(rank + 1) / Math.log(2)) : 0;
    }
    return sum / devIds.size();
  }

  @Test
  void unknownSelectionIsAClearError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HeadTraining.Selection.parse("best"));
    assertTrue(e.getMessage().contains("--select-by") && e.getMessage().contains("worst-gain"), e.getMessage());
  }
}
