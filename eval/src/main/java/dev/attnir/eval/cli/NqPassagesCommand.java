package dev.attnir.eval.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.eval.data.NqOpen;
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

  @Override
  public Integer call() throws IOException {
    List<NqOpen.Question> all = NqOpen.read(input);
    List<NqOpen.Question> shuffled = new ArrayList<>(all);
    Collections.shuffle(shuffled, new Random(seed));
    int m = corpusQuestions == 0 ? all.size() : Math.min(corpusQuestions, all.size());
    if (queries > m) {
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
    try (Writer qw = Files.newBufferedWriter(output.resolve("queries.jsonl"), StandardCharsets.UTF_8);
        Writer rw = Files.newBufferedWriter(output.resolve("qrels/test.tsv"), StandardCharsets.UTF_8)) {
      rw.write("query-id\tcorpus-id\tscore\n");
      for (NqOpen.Question q : corpusSide.subList(0, queries)) {
        Map<String, Object> query = new LinkedHashMap<>();
        query.put("_id", "q" + q.index());
        query.put("text", q.question());
        query.put("answers", q.answers());
        qw.write(json.writeValueAsString(query) + "\n");
        rw.write("q" + q.index() + "\t" + passageIds.get(q.title() + "\u0000" + q.passage()) + "\t1\n");
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf("Wrote %d passages and %d queries to %s%n", passageIds.size(), queries, output);
    out.flush();
    return 0;
  }
}
