package dev.attnir.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.pooling.Poolings;
import dev.attnir.encoders.pooling.TrainedHeadPooling;
import dev.attnir.eval.data.BeirDataset;
import dev.attnir.eval.data.CorpusReader;
import dev.attnir.eval.metrics.Metric;
import dev.attnir.eval.metrics.Metrics;
import dev.attnir.eval.metrics.PairedTests;
import dev.attnir.experiments.PoolingComparison;
import dev.attnir.indexer.Passage;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.indexer.PassageSplitter;
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
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code attnir compare-poolings}: every pooling of one model on one dataset, tested against the native pooling. */
@Command(name = "compare-poolings", mixinStandardHelpOptions = true,
    description = "Compare poolings of one model on a BEIR dataset from one cached encoder pass: exact dense "
        + "retrieval per pooling, trec_eval metrics, paired tests against the model's native pooling.")
final class ComparePoolingsCommand implements Callable<Integer>, OptionChecks.Checked {

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--beir", required = true, paramLabel = "DIR", description = "BEIR dataset directory.")
  Path beir;

  @Option(names = "--split", defaultValue = "test", description = "Qrels split. Default: ${DEFAULT-VALUE}.")
  String split;

  @Option(names = "--queries", paramLabel = "FILE",
      description = "Queries file instead of <beir>/queries.jsonl (e.g. queries_all_splits.jsonl for train).")
  Path queriesFile;

  @Option(names = "--compare", paramLabel = "POOLING",
      description = "A pooling to compare (repeatable): cls, mean, max, embeddings-last-mean, layer1-last-mean, "
          + "layers-mean:i,j, ditto[:l,h], ditto-last[:l,h], whiten:<base>, trained. Default: all of them that "
          + "apply to the model (ditto when a pair is stored; trained with --pooling-head).")
  List<String> compare;

  @Option(names = "--output", paramLabel = "DIR", description = "Where the table, JSON and runs go.")
  Path output;

  @Mixin
  CommonOptions.Cache cache;

  @Option(names = {"-k", "--hits"}, defaultValue = "1000", description = "Documents per query. Default: ${DEFAULT-VALUE}.")
  int k;

  @Option(names = "--metrics", defaultValue = "nDCG@10,R@100,MRR@10",
      description = "Metrics. Default: ${DEFAULT-VALUE}.")
  String metrics;

  @Mixin
  CommonOptions.Significance significance;

  @Mixin
  ModelOptions model;

  @Mixin
  PassageOptions passages;

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Override
  public void checkOptions() {
    OptionChecks.atLeast("-k", k, 1);
  }

  @Override
  public Integer call() throws IOException {
    if (model.none()) {
      throw new IllegalArgumentException("compare-poolings needs a model");
    }
    PrintWriter out = spec.commandLine().getOut();
    ModelSpec modelSpec = model.spec();
    BeirDataset ds = BeirDataset.open(beir, split, queriesFile);
    List<Metric> ms = Metrics.parseList(metrics);
    PassageSettings settings = passages.settings(modelSpec.name(), modelSpec.maxLength());
    try (OnnxEncoder encoder = OnnxEncoder.load(modelSpec, model.encoderOptions())) {
      PassageSplitter splitter = PassageSplitter.forEncoder(settings, encoder);
      List<Passage> ps = splitter.splitAll(CorpusReader.stream(ds.corpus(), CorpusReader.InvalidPolicy.FAIL));
      String nativeName = model.pooling != null && !model.pooling.startsWith("whiten") ? model.pooling
          : modelSpec.pooling();
      List<PoolingComparison.Variant> variants = variants(modelSpec, nativeName);
      out.printf(Locale.ROOT, "%s on %s (%s): %,d passages, %d queries; %d poolings against %s%n", modelSpec.name(),
          ds.dir(), split, ps.size(), ds.queries().size(), variants.size(), nativeName);
      out.flush();
      List<PoolingComparison.Row> rows;
      try (Progress progress = new Progress("Encoding", ps.size(), "passages")) {
        rows = PoolingComparison.run(encoder, ps, ds.queries(), ds.qrels(), variants, nativeName,
            cache.open(), ms, k, significance.permutations, significance.seed, progress);
      }
      String table = table(modelSpec, ds, split, settings, ms, rows, nativeName);
      out.println(table);
      if (output != null) {
        Files.createDirectories(output);
        Files.writeString(output.resolve("poolings.md"), table);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", modelSpec.name());
        json.put("dataset", ds.dir().toString());
        json.put("split", split);
        json.put("passages", settings);
        json.put("native", nativeName);
        Map<String, Object> rj = new LinkedHashMap<>();
        for (PoolingComparison.Row row : rows) {
          Map<String, Object> one = new LinkedHashMap<>();
          one.put("means", row.result().means());
          one.put("vsNative", row.vsNative());
          rj.put(row.label(), one);
          row.run().write(output.resolve("run." + row.label().replaceAll("[^A-Za-z0-9_.-]", "_") + ".trec"),
              row.label());
        }
        json.put("poolings", rj);
        JSON.writeValue(output.resolve("poolings.json").toFile(), json);
      }
      out.flush();
    } finally {
      closeHeads();
    }
    return 0;
  }

  private final List<AutoCloseable> heads = new ArrayList<>();

  private void closeHeads() {
    for (AutoCloseable c : heads) {
      try {
        c.close();
      } catch (Exception ignored) {
        // best effort at exit
      }
    }
  }

  private List<PoolingComparison.Variant> variants(ModelSpec spec, String nativeName) throws IOException {
    List<String> names = compare;
    if (names == null || names.isEmpty()) {
      names = new ArrayList<>(List.of(nativeName, "cls", "mean", "max", "embeddings-last-mean", "layer1-last-mean"));
      if (spec.poolingOptions().containsKey(Poolings.DITTO_LAYER)) {
        names.add("ditto");
        names.add("ditto-last");
      }
      names.add("whiten:" + nativeName);
      names.add("whiten:layer1-last-mean");
      if (model.poolingHead != null) {
        names.add("trained");
      }
    } else if (!names.contains(nativeName)) {
      names = new ArrayList<>(names);
      names.add(0, nativeName);
    }
    Map<String, Pooling> bases = new LinkedHashMap<>();
    List<PoolingComparison.Variant> out = new ArrayList<>();
    for (String raw : names) {
      String n = raw.trim().toLowerCase(Locale.ROOT);
      if (out.stream().anyMatch(v -> v.label().equals(label(n)))) {
        continue;
      }
      if (n.startsWith("whiten:")) {
        String baseName = n.substring("whiten:".length());
        Pooling base = bases.computeIfAbsent(baseName, b -> Poolings.parse(b, spec));
        out.add(new PoolingComparison.Whitened(label(n), base, model.whitenDims, model.whitenSample,
            model.whitenEpsilon, model.poolingSeed));
      } else if (n.equals("trained")) {
        if (model.poolingHead == null) {
          throw new IllegalArgumentException("comparing 'trained' needs --pooling-head <file>");
        }
        TrainedHeadPooling head = TrainedHeadPooling.fromState(Files.readAllBytes(model.poolingHead));
        heads.add(head);
        if (!head.modelSha256().equals(dev.attnir.encoders.Digests.sha256(spec.source().readOnnx()))) {
          throw new IllegalArgumentException("pooling head " + model.poolingHead + " was trained on "
              + head.modelName() + ", not on " + spec.name());
        }
        out.add(new PoolingComparison.Headed("trained", head));
      } else {
        Pooling p = bases.computeIfAbsent(n, b -> Poolings.parse(b, spec));
        out.add(new PoolingComparison.Plain(label(n), p));
      }
    }
    return out;
  }

  private String label(String n) {
    if (n.startsWith("whiten:")) {
      return "whiten(" + n.substring(7) + ")" + (model.whitenDims == null ? "" : "/" + model.whitenDims);
    }
    return n;
  }

  private static String table(ModelSpec spec, BeirDataset ds, String split, PassageSettings settings, List<Metric> ms,
      List<PoolingComparison.Row> rows, String nativeName) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%s, %s %s (%d queries), passages %s; paired randomization test p against "
        + "%s (native)%n%n| pooling |", spec.name(), ds.dir().getFileName(), split, ds.queries().size(),
        settings.mode() == PassageSettings.Mode.DOCUMENT ? "whole document"
            : "window " + settings.length() + "/" + settings.stride(), nativeName));
    for (Metric m : ms) {
      sb.append(' ').append(m.name()).append(" | p |");
    }
    sb.append('\n').append("|---|").append("---|---|".repeat(ms.size())).append('\n');
    for (PoolingComparison.Row row : rows) {
      sb.append("| ").append(row.label()).append(row.label().equals(nativeName) ? " (native)" : "").append(" |");
      for (Metric m : ms) {
        sb.append(String.format(Locale.ROOT, " %.4f |", row.result().mean(m.name())));
        PairedTests.Comparison c = row.vsNative() == null ? null : row.vsNative().get(m.name());
        sb.append(c == null ? " |" : String.format(Locale.ROOT, " %.3g |", c.randomizationP()));
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
