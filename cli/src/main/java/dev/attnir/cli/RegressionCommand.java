package dev.attnir.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.eval.RegressionSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code attnir regression}: run reproduction specs and check their numbers. */
@Command(name = "regression", mixinStandardHelpOptions = true,
    description = "Run regression specs (eval/regressions/*.json): evaluate as the spec says and check the "
        + "published numbers within their tolerance. Exits 1 when a number is off.")
final class RegressionCommand implements Callable<Integer> {

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "SPEC", arity = "1..*", description = "Spec files.")
  List<Path> specs;

  @Option(names = "--data", paramLabel = "DIR", defaultValue = "../shared",
      description = "Root the specs' dataset paths are relative to. Default: ${DEFAULT-VALUE}.")
  Path data;

  @Option(names = "--output", paramLabel = "DIR", defaultValue = "runs/regressions",
      description = "Where each spec's evaluation is written. Default: ${DEFAULT-VALUE}.")
  Path output;

  @Option(names = "--overwrite",
      description = "Rebuild each spec's index even when the one in its output directory holds the same corpus.")
  boolean overwrite;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    int failed = 0;
    for (Path file : specs) {
      RegressionSpec s = RegressionSpec.read(file);
      Path outDir = output.resolve(s.name());
      List<String> args = new ArrayList<>(List.of("evaluate", "--beir", data.resolve(s.dataset()).toString(),
          "--output", outDir.toString()));
      args.addAll(s.args());
      if (overwrite) {
        args.add("--overwrite");
      }
      int code = AttnirCli.commandLine().setOut(spec.commandLine().getOut()).setErr(spec.commandLine().getErr())
          .execute(args.toArray(new String[0]));
      if (code != 0) {
        out.println("FAIL " + s.name() + ": evaluate exited with " + code);
        failed++;
        continue;
      }
      Map<String, Map<String, Double>> measured = readMeans(outDir);
      List<String> failures = s.check(measured);
      if (failures.isEmpty()) {
        out.println("PASS " + s.name());
      } else {
        failed++;
        failures.forEach(f -> out.println("FAIL " + s.name() + ": " + f));
      }
      s.expected().forEach((r, ms) -> ms.forEach((m, e) -> out.printf(Locale.ROOT,
          "  %-8s %-8s measured %.4f, published %.4f +- %.5f%n", r, m,
          measured.getOrDefault(r, Map.of()).getOrDefault(m, Double.NaN), e.value(), e.tolerance())));
    }
    out.flush();
    return failed == 0 ? 0 : 1;
  }

  static Map<String, Map<String, Double>> readMeans(Path outDir) throws IOException {
    JsonNode summary = new ObjectMapper().readTree(Files.readString(outDir.resolve("summary.json")));
    Map<String, Map<String, Double>> means = new LinkedHashMap<>();
    summary.get("retrievers").fields().forEachRemaining(r -> {
      Map<String, Double> m = new LinkedHashMap<>();
      r.getValue().get("means").fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asDouble()));
      means.put(r.getKey(), m);
    });
    return means;
  }
}
