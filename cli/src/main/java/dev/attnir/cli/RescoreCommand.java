package dev.attnir.cli;

import dev.attnir.eval.data.Qrels;
import dev.attnir.eval.data.TrecRun;
import dev.attnir.eval.metrics.EvaluationResult;
import dev.attnir.eval.metrics.Evaluator;
import dev.attnir.eval.metrics.Metric;
import dev.attnir.eval.metrics.Metrics;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code attnir rescore}: trec_eval-style scoring of a run file. */
@Command(name = "rescore", mixinStandardHelpOptions = true,
    description = "Score a TREC run against qrels exactly as trec_eval does (output in trec_eval's format).")
final class RescoreCommand implements Callable<Integer> {

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--qrels", required = true, paramLabel = "FILE", description = "Qrels (BEIR TSV or TREC).")
  Path qrels;

  @Option(names = "--run", required = true, paramLabel = "FILE", description = "TREC run.")
  Path run;

  @Option(names = "--metrics", paramLabel = "LIST", description = "Comma-separated metrics. Default: nDCG@10, R@100, "
      + "R@1000, MRR@10, MAP, P@10.")
  String metrics;

  @Mixin
  CommonOptions.Averaging averaging;

  @Option(names = {"-q", "--per-query"}, description = "Also print per-query values.")
  boolean perQuery;

  @Override
  public Integer call() {
    List<Metric> ms = metrics == null ? Metrics.defaults() : Metrics.parseList(metrics);
    Evaluator.Averaging avg = averaging.value();
    Qrels judgments = Qrels.read(qrels);
    EvaluationResult r = Evaluator.evaluate(TrecRun.read(run), judgments, ms, avg);
    PrintWriter out = spec.commandLine().getOut();
    if (perQuery) {
      for (String q : r.queries()) {
        for (Metric m : ms) {
          out.printf(Locale.ROOT, "%-24s\t%s\t%.4f%n", m.trecEvalName(), q, r.value(m.name(), q));
        }
      }
    }
    out.printf(Locale.ROOT, "%-24s\tall\t%d%n", "num_q", r.queries().size());
    for (Metric m : ms) {
      out.printf(Locale.ROOT, "%-24s\tall\t%.4f%n", m.trecEvalName(), r.mean(m.name()));
    }
    out.flush();
    return 0;
  }
}
