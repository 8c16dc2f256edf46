package dev.attnir.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.eval.data.NqOpen;
import dev.attnir.eval.data.NqSplit;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code attnir nq-passages}: a BEIR-format passage-retrieval set from NQ-open gold passages. */
@Command(name = "nq-passages", mixinStandardHelpOptions = true,
    description = "Build a BEIR-format passage retrieval set from NQ-open's oracle file: questions are queries, "
        + "their gold Wikipedia passages the corpus (identical passages merged), each question judging its own.")
final class NqPassagesCommand implements Callable<Integer> {

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--input", required = true, paramLabel = "FILE", description = "nq-open-oracle.jsonl(.gz).")
  Path input;

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output BEIR directory.")
  Path output;

  @Option(names = "--queries", paramLabel = "N", defaultValue = "200",
      description = "Questions used as test queries. Default: ${DEFAULT-VALUE}.")
  int queries;

  @Option(names = "--corpus-questions", paramLabel = "M", defaultValue = "1000",
      description = "Questions whose gold passages form the corpus (the queries' among them); 0 = all. "
          + "Default: ${DEFAULT-VALUE}.")
  int corpusQuestions;

  @Option(names = "--seed", defaultValue = "1", description = "Shuffle seed. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--heldout-fraction", paramLabel = "F",
      description = "Instead of --queries: split all corpus questions into a held-out part (qrels/test.tsv, about F "
          + "of the questions) and a training part (qrels/train.tsv). Questions sharing a gold passage stay on one "
          + "side, so no held-out passage is a training target.")
  Double heldoutFraction;

  @Override
  public Integer call() throws IOException {
    List<NqOpen.Question> all = NqOpen.read(input);
    List<NqOpen.Question> shuffled = new ArrayList<>(all);
    Collections.shuffle(shuffled, new Random(seed));
    int m = corpusQuestions == 0 ? all.size() : Math.min(corpusQuestions, all.size());
    if (heldoutFraction == null && queries > m) {
      throw new IllegalArgumentException("--queries " + queries + " exceeds --corpus-questions " + m);
    }
    List<NqOpen.Question> corpusSide = shuffled.subList(0, m);
    Map<String, String> passageIds = new LinkedHashMap<>();
    Map<String, NqOpen.Question> passageSource = new LinkedHashMap<>();
    for (NqOpen.Question q : corpusSide) {
      String key = q.title() + "\u0000" + q.passage();
      if (!passageIds.containsKey(key)) {
        passageIds.put(key, "nq" + q.index());
        passageSource.put(key, q);
      }
    }
    Files.createDirectories(output.resolve("qrels"));
    ObjectMapper json = new ObjectMapper();
    try (Writer c = Files.newBufferedWriter(output.resolve("corpus.jsonl"), StandardCharsets.UTF_8)) {
      for (var e : passageIds.entrySet()) {
        NqOpen.Question q = passageSource.get(e.getKey());
        Map<String, String> doc = new LinkedHashMap<>();
        doc.put("_id", e.getValue());
        doc.put("title", q.title());
        doc.put("text", q.passage());
        c.write(json.writeValueAsString(doc) + "\n");
      }
    }
    List<NqOpen.Question> test = new ArrayList<>();
    List<NqOpen.Question> train = new ArrayList<>();
    if (heldoutFraction == null) {
      test.addAll(corpusSide.subList(0, queries));
    } else {
      if (corpusQuestions != 0) {
        throw new IllegalArgumentException("--heldout-fraction splits all questions; use it with --corpus-questions 0");
      }
      NqSplit split = NqSplit.of(all, heldoutFraction, seed);
      test.addAll(split.heldOut());
      train.addAll(split.train());
    }
    try (Writer qw = Files.newBufferedWriter(output.resolve("queries.jsonl"), StandardCharsets.UTF_8)) {
      for (NqOpen.Question q : heldoutFraction == null ? test : corpusSide) {
        Map<String, Object> query = new LinkedHashMap<>();
        query.put("_id", "q" + q.index());
        query.put("text", q.question());
        query.put("answers", q.answers());
        qw.write(json.writeValueAsString(query) + "\n");
      }
    }
    writeQrels(output.resolve("qrels/test.tsv"), test, passageIds);
    if (heldoutFraction != null) {
      writeQrels(output.resolve("qrels/train.tsv"), train, passageIds);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf("Wrote %d passages, %d held-out queries (qrels/test.tsv)%s to %s%n", passageIds.size(), test.size(),
        heldoutFraction == null ? "" : " and " + train.size() + " training queries (qrels/train.tsv)", output);
    out.flush();
    return 0;
  }

  private static void writeQrels(Path file, List<NqOpen.Question> questions, Map<String, String> passageIds)
      throws IOException {
    try (Writer rw = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      rw.write("query-id\tcorpus-id\tscore\n");
      for (NqOpen.Question q : questions) {
        rw.write("q" + q.index() + "\t" + passageIds.get(q.title() + "\u0000" + q.passage()) + "\t1\n");
      }
    }
  }
}
