package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.eval.data.Qrels;
import dev.attnir.eval.data.TrecRun;
import dev.attnir.eval.metrics.EvaluationResult;
import dev.attnir.eval.metrics.Evaluator;
import dev.attnir.eval.metrics.Metric;
import dev.attnir.eval.metrics.Metrics;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SciFact BM25 through the CLI: the regression spec must pass (Anserini's published numbers within tolerance), and
 * the run file the CLI wrote, rescored by the metrics code and by the {@code rescore} command, must give exactly the
 * numbers the CLI printed.
 */
class SciFactRegressionTest {

  @Test
  void bm25ReproducesAnseriniAndTheWrittenRunRescoresToThePrintedNumbers(@TempDir Path out) throws Exception {
    Path shared = SharedData.require("data/scifact").getParent().getParent();
    Cli r = Cli.run("regression", "--data", shared.toString(), "--output", out.toString(),
        "../eval/regressions/scifact-bm25-flat.json");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("PASS scifact-bm25-flat"), r.out());

    Map<String, String> printed = printedRow(r.out(), "bm25");
    Path dir = out.resolve("scifact-bm25-flat");
    List<Metric> metrics = Metrics.defaults();
    Qrels qrels = Qrels.read(shared.resolve("data/scifact/qrels/test.tsv"));
    EvaluationResult rescored = Evaluator.evaluate(TrecRun.read(dir.resolve("run.bm25.trec")), qrels, metrics,
        Evaluator.Averaging.ALL_JUDGED);
    assertEquals(300, rescored.queries().size());
    for (Metric m : metrics) {
      assertEquals(printed.get(m.name()), String.format(Locale.ROOT, "%.4f", rescored.mean(m.name())), m.name());
    }
    // the summary JSON holds the unrounded means; rescoring reproduces them exactly
    Map<String, Map<String, Double>> json = RegressionCommand.readMeans(dir);
    for (Metric m : metrics) {
      assertEquals(json.get("bm25").get(m.name()), rescored.mean(m.name()), 0.0, m.name());
    }
    Cli rescore = Cli.run("rescore", "--qrels", shared.resolve("data/scifact/qrels/test.tsv").toString(), "--run",
        dir.resolve("run.bm25.trec").toString());
    assertEquals(0, rescore.code(), rescore.err());
    for (Metric m : metrics) {
      assertTrue(rescore.out().contains(m.trecEvalName()) && rescore.out().lines()
              .anyMatch(l -> l.startsWith(m.trecEvalName() + " ") || l.startsWith(m.trecEvalName() + "\t")
                  ? l.trim().endsWith(printed.get(m.name())) : false),
          m.name() + " in rescore output:\n" + rescore.out());
    }
  }

  /** Parses the printed metrics table row of one retriever. */
  static Map<String, String> printedRow(String output, String retriever) {
    List<String> lines = output.lines().toList();
    String header = null;
    for (String l : lines) {
      if (l.startsWith("retriever")) {
        header = l;
      } else if (header != null && l.startsWith(retriever + " ")) {
        String[] names = header.trim().split("\\s+");
        String[] values = l.trim().split("\\s+");
        Map<String, String> row = new LinkedHashMap<>();
        for (int i = 1; i < names.length; i++) {
          row.put(names[i], values[i]);
        }
        return row;
      }
    }
    throw new AssertionError("no table row for " + retriever + " in:\n" + output);
  }
}
