package dev.attnir.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code attnir summarize}: one markdown table from several evaluation outputs. */
@Command(name = "summarize", mixinStandardHelpOptions = true,
    description = "Print a markdown table of the means in evaluation output directories (their summary.json).")
final class SummarizeCommand implements Callable<Integer> {

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "DIR", arity = "1..*", description = "Evaluation output directories.")
  List<Path> dirs;

  @Option(names = "--metrics", paramLabel = "LIST", defaultValue = "nDCG@10,R@100,R@1000,MRR@10",
      split = ",", description = "Columns. Default: ${DEFAULT-VALUE}.")
  List<String> metrics;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    ObjectMapper json = new ObjectMapper();
    List<String> header = new ArrayList<>(List.of("model", "pooling", "passages", "max len", "retriever"));
    header.addAll(metrics);
    out.println("| " + String.join(" | ", header) + " |");
    out.println("|" + "---|".repeat(header.size()));
    for (Path dir : dirs) {
      Path file = dir.resolve("summary.json");
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException(file + ": not found (not an evaluate output directory)");
      }
      JsonNode s = json.readTree(file.toFile());
      JsonNode m = s.path("manifest");
      JsonNode e = m.path("embedding");
      JsonNode p = m.path("passages");
      String passages = p.path("mode").asText().equals("WINDOW")
          ? "window " + p.path("length").asInt() + "/" + p.path("stride").asInt() : "document";
      s.path("retrievers").fields().forEachRemaining(r -> {
        List<String> row = new ArrayList<>();
        row.add(e.isMissingNode() || e.isNull() ? "none" : e.path("model").asText());
        row.add(e.isMissingNode() || e.isNull() ? "" : e.path("pooling").asText());
        row.add(passages);
        row.add(e.isMissingNode() || e.isNull() ? "" : e.path("maxLength").asText());
        row.add(r.getValue().path("config").asText());
        for (String metric : metrics) {
          JsonNode v = r.getValue().path("means").path(metric);
          row.add(v.isMissingNode() ? "" : String.format(Locale.ROOT, "%.4f", v.asDouble()));
        }
        out.println("| " + String.join(" | ", row) + " |");
      });
    }
    out.flush();
    return 0;
  }
}
