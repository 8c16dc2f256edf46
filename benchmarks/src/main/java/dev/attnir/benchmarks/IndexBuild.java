package dev.attnir.benchmarks;

import dev.attnir.cli.AttnirCli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Index build time, index size and peak memory for SciFact, each configuration built by {@code attnir index} in a
 * child JVM (so peak RSS is that build's alone). Usage: {@code IndexBuild <work-dir> [out-prefix] [config...]} where a
 * config is {@code name=arg,arg,...} (arguments for {@code attnir index}).
 */
public final class IndexBuild {

  /** Entry point of the child JVM: runs the index command and prints its peak RSS. */
  public static final class Child {
    public static void main(String[] args) {
      int code = AttnirCli.commandLine().execute(args);
      System.out.println("PEAK_RSS_MIB " + BenchSupport.peakRssMiB());
      System.exit(code);
    }

    private Child() {}
  }

  public static void main(String[] args) throws Exception {
    Path work = Path.of(args[0]);
    String out = args.length > 1 ? args[1] : "benchmarks/results/index-build";
    List<String> configs = args.length > 2 ? Arrays.asList(args).subList(2, args.length)
        : List.of("bm25=--model,none", "bge-small-en-v1.5=--model,bge-small-en-v1.5",
            "bge-small-en-v1.5-q=--model,bge-small-en-v1.5-q");
    Path corpus = BenchSupport.shared().resolve("data/scifact/corpus.jsonl");
    StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "# Index build%n%nSciFact corpus (5,183 "
        + "documents, whole documents), `attnir index` in a child JVM per configuration (-Xmx8g).%nMachine: %s%n%n"
        + "| configuration | seconds | index MiB | peak RSS MiB | passages |%n|---|---|---|---|---|%n",
        BenchSupport.machine()));
    Map<String, Object> results = new LinkedHashMap<>();
    for (String config : configs) {
      String name = config.substring(0, config.indexOf('='));
      List<String> extra = Arrays.asList(config.substring(config.indexOf('=') + 1).split(","));
      Path index = work.resolve(name);
      deleteTree(index);
      List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx8g"));
      // The harness's own JVM flags (from benchmarks/run.sh, which picks them for the JDK in use), heap aside.
      java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
          .filter(a -> !a.startsWith("-Xmx")).forEach(cmd::add);
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName(), "index", "--corpus",
          corpus.toString(), "--index", index.toString(), "--force-merge"));
      cmd.addAll(extra);
      long t0 = System.nanoTime();
      Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      String output = new String(p.getInputStream().readAllBytes());
      int code = p.waitFor();
      double seconds = (System.nanoTime() - t0) / 1e9;
      if (code != 0) {
        throw new IllegalStateException(name + " failed with exit code " + code + ":\n" + output);
      }
      double rss = output.lines().filter(l -> l.startsWith("PEAK_RSS_MIB ")).mapToDouble(
          l -> Double.parseDouble(l.substring("PEAK_RSS_MIB ".length()))).findFirst().orElse(-1);
      long bytes = size(index);
      String passages = output.lines().filter(l -> l.startsWith("Indexed")).findFirst().orElse("");
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("args", extra);
      r.put("seconds", seconds);
      r.put("indexBytes", bytes);
      r.put("peakRssMiB", rss);
      r.put("summary", output.lines().filter(l -> l.startsWith("Indexed") || l.startsWith("Encoded")).toList());
      results.put(name, r);
      md.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.0f | %s |%n", name, seconds, bytes / 1048576.0,
          rss, passages.replaceAll(".*, ([0-9,]+) passages.*", "$1")));
      System.err.println(name + ": " + seconds + " s, " + bytes + " bytes, peak RSS " + rss + " MiB");
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("machine", BenchSupport.machine());
    report.put("configurations", results);
    BenchSupport.write(Path.of(out + ".json"), report);
    BenchSupport.writeText(Path.of(out + ".md"), md.toString());
    System.out.println(md);
  }

  private static long size(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.delete(p);
      }
    }
  }

  private IndexBuild() {}
}
