package dev.attnir.cli;

import dev.attnir.core.Candidate;
import dev.attnir.core.Reranker;
import dev.attnir.core.Rerankers;
import dev.attnir.eval.data.CandidateLists;
import dev.attnir.eval.data.Qrels;
import dev.attnir.experiments.OrderSensitivity;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code attnir order-sensitivity}: how much each reranker's output depends on its input order. */
@Command(name = "order-sensitivity", mixinStandardHelpOptions = true,
    description = "Kendall's tau between a reranker's output for the first-stage order and for seeded shuffles, and "
        + "P(positive ranked first) with one positive and 4 judged negatives, the positive at each input slot.")
final class OrderSensitivityCommand implements Callable<Integer> {

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--candidates", required = true, paramLabel = "FILE", description = "Candidate lists (JSONL).")
  Path candidates;

  @Option(names = "--qrels", required = true, paramLabel = "FILE", description = "Judgments.")
  Path qrels;

  @Option(names = "--rerank", required = true, paramLabel = "SPEC", description = "Reranker (repeatable).")
  List<String> rerankers;

  @Option(names = "--depth", defaultValue = "20", description = "Candidates shuffled. Default: ${DEFAULT-VALUE}.")
  int depth;

  @Option(names = "--shuffles", defaultValue = "5", description = "Default: ${DEFAULT-VALUE}.")
  int shuffles;

  @Option(names = "--min-grade", defaultValue = "1", description = "Grade of a positive. Default: ${DEFAULT-VALUE}.")
  int minGrade;

  @Option(names = "--queries", defaultValue = "1000000", description = "At most this many queries.")
  int maxQueries;

  @Option(names = "--seed", defaultValue = "1", description = "Default: ${DEFAULT-VALUE}.")
  long seed;

  @Override
  public Integer call() throws Exception {
    OptionChecks.atLeast("--depth", depth, 2);
    OptionChecks.atLeast("--shuffles", shuffles, 1);
    CandidateLists lists = CandidateLists.read(candidates);
    Qrels q = Qrels.read(qrels);
    Map<String, String> queries = new LinkedHashMap<>();
    for (var e : lists.queries().entrySet()) {
      if (queries.size() < maxQueries && !q.of(e.getKey()).isEmpty()) {
        queries.put(e.getKey(), e.getValue());
      }
    }
    Map<String, List<Candidate>> candidatesByQuery = lists.candidates();
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "%-40s %8s %8s   P(positive first) by its input slot 1..5       %s%n", "reranker",
        "mean tau", "min tau", "spread");
    for (String rerankSpec : rerankers) {
      Reranker reranker = Rerankers.create(rerankSpec);
      try {
        OrderSensitivity.Result r = OrderSensitivity.measure(reranker, queries, candidatesByQuery, q, depth,
            shuffles, minGrade, seed);
        double max = 0;
        double min = 1;
        StringBuilder slots = new StringBuilder();
        for (double p : r.firstBySlot()) {
          slots.append(String.format(Locale.ROOT, " %.3f", p));
          max = Math.max(max, p);
          min = Math.min(min, p);
        }
        out.printf(Locale.ROOT, "%-40s %8.4f %8.4f  %s  (%d queries)  %.3f%n", rerankSpec, r.meanTau(), r.minTau(),
            slots, r.slotQueries(), max - min);
        out.flush();
      } finally {
        if (reranker instanceof AutoCloseable c) {
          c.close();
        }
      }
    }
    out.printf(Locale.ROOT, "%d queries, top %d candidates, %d shuffles each; positives have grade >= %d%n",
        queries.size(), depth, shuffles, minGrade);
    out.flush();
    return 0;
  }
}
