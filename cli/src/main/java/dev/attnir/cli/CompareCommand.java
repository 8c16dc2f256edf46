package dev.attnir.cli;

import dev.attnir.eval.data.Qrels;
import dev.attnir.eval.data.TrecRun;
import dev.attnir.eval.metrics.EvaluationResult;
import dev.attnir.eval.metrics.Evaluator;
import dev.attnir.eval.metrics.Metric;
import dev.attnir.eval.metrics.Metrics;
import dev.attnir.eval.metrics.PairedTests;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code attnir compare}: paired significance test between two runs. */
@Command(name = "compare", mixinStandardHelpOptions = true,
    description = "Compare two runs on the same qrels with a paired randomization test and a paired t-test.")
final class CompareCommand implements Callable<Integer> {

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--qrels", required = true, paramLabel = "FILE", description = "Qrels (BEIR TSV or TREC).")
  Path qrels;

  @Option(names = "--baseline", required = true, paramLabel = "FILE", description = "Run A (baseline).")
  Path baseline;

  @Option(names = "--run", required = true, paramLabel = "FILE", description = "Run B.")
  Path run;

  @Option(names = "--metrics", paramLabel = "LIST", defaultValue = "nDCG@10,R@100",
      description = "Metrics to test. Default: ${DEFAULT-VALUE}.")
  String metrics;

  @Mixin
  CommonOptions.Significance significance;

  @Override
  public Integer call() {
    Qrels q = Qrels.read(qrels);
    List<Metric> ms = Metrics.parseList(metrics);
    EvaluationResult a = Evaluator.evaluate(TrecRun.read(baseline), q, ms, Evaluator.Averaging.ALL_JUDGED);
    EvaluationResult b = Evaluator.evaluate(TrecRun.read(run), q, ms, Evaluator.Averaging.ALL_JUDGED);
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "%-10s %10s %10s %10s %14s %10s%n", "metric", "baseline", "run", "diff",
        "randomized p", "t-test p");
    for (Metric m : ms) {
      PairedTests.Comparison c = PairedTests.compare(a.perQuery().get(m.name()), b.perQuery().get(m.name()),
          significance.permutations, significance.seed);
      out.printf(Locale.ROOT, "%-10s %10.4f %10.4f %+10.4f %14.4g %10.4g%n", m.name(), c.meanA(), c.meanB(),
          c.difference(), c.randomizationP(), c.tTestP());
    }
    out.printf(Locale.ROOT, "%d judged queries (missing results score 0)%n", a.queries().size());
    out.flush();
    return 0;
  }
}
