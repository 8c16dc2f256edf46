package dev.attnir.cli;

import dev.attnir.core.Reranker;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.cache.EmbeddingCache;
import dev.attnir.encoders.pooling.Poolings;
import dev.attnir.eval.position.PositionBias;
import dev.attnir.eval.position.PositionBiasReport;
import dev.attnir.eval.position.SystemResult;
import dev.attnir.experiments.PositionBiasRun;
import dev.attnir.experiments.PositionSystem;
import dev.attnir.experiments.PositionSystems;
import dev.attnir.indexer.retrieve.ReciprocalRankFusion;
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
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code attnir position-bias}: position-bias evaluation of retrieval systems on position-controlled sets. */
@Command(name = "position-bias", mixinStandardHelpOptions = true,
    description = "Evaluate how retrieval depends on where the relevant passage sits in long documents (PosIR's PSI "
        + "and trends per length bucket) for BM25, whole-document dense, passage-window dense and hybrid retrieval; "
        + "writes report.json, queries.tsv, report.md and PNG charts.")
final class PositionBiasCommand implements Callable<Integer> {

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--sets", required = true, paramLabel = "DIR",
      description = "A position set (with positions.jsonl), or a directory of sets (e.g. n10/, n20/); a directory "
          + "of per-slot sets (slot-00/ ...) is evaluated as one group.")
  Path sets;

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Report directory.")
  Path output;

  @Option(names = "--model", defaultValue = ModelRegistry.DEFAULT_MODEL, split = ",", paramLabel = "MODEL[:POOLING]",
      description = "Models (comma-separated), each optionally with a pooling (e.g. all-MiniLM-L6-v2:cls). "
          + "Default: ${DEFAULT-VALUE}.")
  List<String> models;

  @Option(names = "--systems", defaultValue = "bm25,dense-document,dense-passages,hybrid", split = ",",
      description = "Systems: bm25, dense-document, dense-passages, hybrid, and dense-boundaries (a reference: the "
          + "passages the set was built from, cut at its blank lines, max-passage). Default: ${DEFAULT-VALUE}.")
  List<String> systems;

  @Option(names = "--window", defaultValue = "64/16", split = ",", paramLabel = "LENGTH/STRIDE",
      description = "Token windows of the passage systems, one system per entry (hybrid uses the first). An entry may "
          + "join shapes with '+' (e.g. 128/32+256/64): every shape's windows go into one max-passage index. Windows "
          + "longer than a model's max length are cut to it. Default: ${DEFAULT-VALUE}.")
  List<String> windows;

  @Option(names = "--bootstrap", defaultValue = "1000",
      description = "Bootstrap resamples and permutations for PSI. Default: ${DEFAULT-VALUE}.")
  int bootstrap;

  @Option(names = "--seed", defaultValue = "1", description = "Seed. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Mixin
  CommonOptions.Cache cache;

  @Mixin
  CommonOptions.EncoderThreads threads;

  @Mixin
  CommonOptions.Rerank rerank;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    Map<String, List<Path>> groups = groups(sets);
    if (groups.isEmpty()) {
      throw new IllegalArgumentException(sets + " holds no position set (no positions.jsonl); build one with "
          + "position-sets");
    }
    EncoderOptions options = threads.apply(EncoderOptions.defaults());
    List<OnnxEncoder> encoders = new ArrayList<>();
    List<SystemResult> results = new ArrayList<>();
    Map<String, Object> context = new LinkedHashMap<>();
    try {
      EmbeddingCache embeddingCache = cache.open();
      List<PositionSystem> specs = new ArrayList<>();
      List<PositionSystem> hybrids = new ArrayList<>();
      PositionSystem bm25 = PositionSystems.bm25();
      if (systems.contains("bm25")) {
        specs.add(bm25);
      }
      for (String m : models) {
        String[] parts = m.split(":", 2);
        ModelSpec modelSpec = ModelRegistry.resolve(parts[0]);
        OnnxEncoder enc = OnnxEncoder.load(modelSpec, options);
        encoders.add(enc);
        Pooling pooling = Poolings.parse(parts.length > 1 ? parts[1] : modelSpec.pooling(), modelSpec);
        String name = modelSpec.name() + " " + pooling.name();
        if (systems.contains("dense-document")) {
          specs.add(PositionSystems.dense(name + ": whole document", enc, pooling, embeddingCache,
              PositionSystems.wholeDocument(enc)));
        }
        if (systems.contains("dense-boundaries")) {
          specs.add(PositionSystems.dense(name + ": passages at the set's boundaries (reference)", enc, pooling,
              embeddingCache, PositionSystems.boundaries()));
        }
        boolean first = true;
        for (String w : windows) {
          List<PositionSystems.Window> shapes = windows(w, modelSpec);
          String shape = String.join("+", shapes.stream().map(PositionSystems.Window::toString).toList());
          PositionSystem passages = PositionSystems.dense(name + ": passages " + shape, enc, pooling, embeddingCache,
              PositionSystems.windows(enc, shapes));
          if (systems.contains("dense-passages")) {
            specs.add(passages);
          }
          if (first && systems.contains("hybrid")) {
            PositionSystem hybrid = PositionSystems.hybrid(name + ": hybrid (bm25 + passages " + shape + ")", bm25,
                passages, new ReciprocalRankFusion(60), 100);
            specs.add(hybrid);
            hybrids.add(hybrid);
          }
          first = false;
        }
      }
      for (String s : systems) {
        if (!List.of("bm25", "dense-document", "dense-passages", "hybrid", "dense-boundaries").contains(s)) {
          throw new IllegalArgumentException("unknown system '" + s + "'; known: bm25, dense-document, "
              + "dense-passages, hybrid, dense-boundaries");
        }
      }
      Reranker reranker = rerank.create();
      if (reranker != null) {
        // Each system is followed by its reranked variant; a hybrid's legs cut documents differently, so its
        // candidates have no passages in one index to hand a reranker.
        List<PositionSystem> withReranked = new ArrayList<>();
        for (PositionSystem s : specs) {
          withReranked.add(s);
          if (!hybrids.contains(s)) {
            withReranked.add(PositionSystems.reranked(s.label() + " + rerank " + rerank.spec + " top "
                + rerank.depth, s, reranker, rerank.depth));
          }
        }
        specs = withReranked;
      }
      Files.createDirectories(output);
      Map<String, Object> groupInfo = new LinkedHashMap<>();
      for (var g : groups.entrySet()) {
        long t0 = System.nanoTime();
        out.printf(Locale.ROOT, "Group %s: %d set(s), %d systems%n", g.getKey(), g.getValue().size(), specs.size());
        out.flush();
        List<SystemResult> rs;
        try (Progress progress = new Progress("Encoding " + g.getKey(), 0, "passages")) {
          rs = PositionBiasRun.run(g.getKey(), g.getValue(), specs, bootstrap, seed, progress);
        }
        results.addAll(rs);
        groupInfo.put(g.getKey(), Map.of("sets", g.getValue().stream().map(Path::toString).toList(), "seconds",
            (System.nanoTime() - t0) / 1e9));
        for (SystemResult r : rs) {
          PositionBias.Summary s = r.summaries().get("all");
          out.printf(Locale.ROOT, "  %-58s nDCG@10 %.4f  gold-only %s  PSI %.4f [%.4f, %.4f]  no-effect PSI %.4f "
                  + "(p %.3g)  slope %+.3f  (%.0f s)%n", r.system(), s.ndcg10(),
              Double.isNaN(r.goldOnlyNdcg10()) ? "  -   " : String.format(Locale.ROOT, "%.4f", r.goldOnlyNdcg10()),
              s.psi(), s.psiLow(), s.psiHigh(), s.psiNull(), s.psiNullP(), s.slope(), r.seconds());
          s.warnings().forEach(w -> out.println("      warning: " + w));
        }
        out.flush();
      }
      context.put("sets", sets.toString());
      context.put("groups", groupInfo);
      context.put("models", models);
      context.put("windows", windows);
      context.put("bootstrap", bootstrap);
      context.put("machine", Map.of("cores", Runtime.getRuntime().availableProcessors(), "java",
          Runtime.version().toString()));
      Path summary = PositionBiasReport.write(output, results, context);
      out.println("Wrote " + summary + ", report.json, queries.tsv and PNG charts to " + output);
      out.flush();
    } finally {
      encoders.forEach(OnnxEncoder::close);
    }
    return 0;
  }

  /** One {@code --window} entry: LENGTH/STRIDE, or several joined by '+' (multi-granularity windows). */
  static List<PositionSystems.Window> windows(String entry, ModelSpec model) {
    List<PositionSystems.Window> out = new ArrayList<>();
    for (String w : entry.split("\\+", -1)) {
      int[] ls = window(w, entry, model);
      PositionSystems.Window shape = new PositionSystems.Window(ls[0], ls[1]);
      if (out.contains(shape)) {
        throw new IllegalArgumentException("--window " + entry + ": " + shape + " is listed twice");
      }
      out.add(shape);
    }
    return out;
  }

  private static int[] window(String w, String entry, ModelSpec model) {
    String[] p = w.split("/");
    if (p.length != 2) {
      throw new IllegalArgumentException("--window must be LENGTH/STRIDE (or several joined by '+'), got " + entry);
    }
    int length;
    int stride;
    try {
      length = Integer.parseInt(p[0].trim());
      stride = Integer.parseInt(p[1].trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--window " + entry + ": LENGTH and STRIDE must be whole numbers of tokens");
    }
    if (length < 1) {
      throw new IllegalArgumentException("--window " + entry + ": length must be at least 1 token");
    }
    int max = model.maxLength() - 2;
    if (length > max) {
      stride = Math.max(1, (int) Math.round(stride * (double) max / length));
      length = max;
    }
    if (stride < 1 || stride > length) {
      throw new IllegalArgumentException("--window " + entry + ": stride must be between 1 and the length");
    }
    return new int[] {length, stride};
  }

  /** Groups of set directories: a set, a directory of sets, or a directory of per-slot sets. */
  static Map<String, List<Path>> groups(Path root) throws IOException {
    Map<String, List<Path>> out = new LinkedHashMap<>();
    if (Files.exists(root.resolve("positions.jsonl"))) {
      out.put(root.getFileName().toString(), List.of(root));
      return out;
    }
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException(root + ": not a directory");
    }
    try (Stream<Path> s = Files.list(root)) {
      for (Path child : s.filter(Files::isDirectory).sorted().toList()) {
        if (Files.exists(child.resolve("positions.jsonl"))) {
          out.put(child.getFileName().toString(), List.of(child));
        } else {
          try (Stream<Path> slots = Files.list(child)) {
            List<Path> sub = slots.filter(p -> Files.exists(p.resolve("positions.jsonl"))).sorted().toList();
            if (!sub.isEmpty()) {
              out.put(child.getFileName().toString(), sub);
            }
          }
        }
      }
    }
    return out;
  }
}
