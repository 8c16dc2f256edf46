package dev.attnir.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.pooling.DittoPooling;
import dev.attnir.encoders.pooling.LayerFeaturesPooling;
import dev.attnir.encoders.pooling.Poolings;
import dev.attnir.eval.data.BeirDataset;
import dev.attnir.eval.data.CorpusReader;
import dev.attnir.eval.metrics.Metric;
import dev.attnir.eval.metrics.Metrics;
import dev.attnir.experiments.DittoSearch;
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

/** {@code attnir ditto-search}: choose Ditto's layer and head for a model on non-test data. */
@Command(name = "ditto-search", mixinStandardHelpOptions = true,
    description = "Evaluate Ditto pooling for every (layer, head) of a model on a split that is not the test split "
        + "and report the best pair, to store with the model (model.json \"ditto\": {\"layer\": L, \"head\": H}).")
final class DittoSearchCommand implements Callable<Integer>, OptionChecks.Checked {

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--beir", required = true, paramLabel = "DIR", description = "BEIR dataset directory.")
  Path beir;

  @Option(names = "--split", defaultValue = "train",
      description = "Qrels split to choose on; never the test split you report. Default: ${DEFAULT-VALUE}.")
  String split;

  @Option(names = "--queries", paramLabel = "FILE", description = "Queries file holding that split's queries.")
  Path queriesFile;

  @Option(names = "--also-cache", paramLabel = "POOLING",
      description = "Further poolings to encode and cache in the same pass (repeatable), e.g. cls, mean, "
          + "layer-features (the trained head's input), so later comparisons and training re-use the pass.")
  List<String> alsoCache;

  @Option(names = "--metric", defaultValue = "nDCG@10", description = "Metric to maximise. Default: ${DEFAULT-VALUE}.")
  String metric;

  @Option(names = {"-k", "--hits"}, defaultValue = "100", description = "Documents per query. Default: ${DEFAULT-VALUE}.")
  int k;

  @Mixin
  CommonOptions.Cache cache;

  @Option(names = "--output", paramLabel = "PREFIX", description = "Write <PREFIX>.md and <PREFIX>.json.")
  Path output;

  @Mixin
  ModelOptions model;

  @Mixin
  PassageOptions passages;

  @Override
  public void checkOptions() {
    OptionChecks.atLeast("-k", k, 1);
  }

  @Override
  public Integer call() throws IOException {
    if (split.equalsIgnoreCase("test")) {
      throw new IllegalArgumentException("ditto-search chooses on the split it is given; choosing on 'test' would "
          + "leak the test set into the reported numbers. Use a train or dev split.");
    }
    Metric m = Metrics.parse(metric);
    ModelSpec modelSpec = model.spec();
    BeirDataset ds = BeirDataset.open(beir, split, queriesFile);
    PassageSettings settings = passages.settings(modelSpec.name(), modelSpec.maxLength());
    PrintWriter out = spec.commandLine().getOut();
    try (OnnxEncoder encoder = OnnxEncoder.load(modelSpec, model.encoderOptions())) {
      PassageSplitter splitter = PassageSplitter.forEncoder(settings, encoder);
      List<Passage> ps = splitter.splitAll(CorpusReader.stream(ds.corpus(), CorpusReader.InvalidPolicy.FAIL));
      out.printf(Locale.ROOT, "%s: %d layers; %s on %s (%s, %d queries, %,d passages)%n", modelSpec.name(),
          encoder.numLayers(), m.name(), ds.dir(), split, ds.queries().size(), ps.size());
      out.flush();
      List<Pooling> extra = new ArrayList<>();
      for (String name : alsoCache == null ? List.<String>of() : alsoCache) {
        extra.add(name.equals("layer-features")
            ? new LayerFeaturesPooling("mean", 1, encoder.numLayers())
            : Poolings.parse(name, modelSpec));
      }
      long t0 = System.nanoTime();
      Map<DittoPooling.Variant, DittoSearch.Result> results;
      try (Progress progress = new Progress("Encoding", ps.size(), "passages")) {
        results = DittoSearch.run(encoder, List.of(DittoPooling.Variant.FIRST_LAST, DittoPooling.Variant.LAST), ps,
            ds.queries(), ds.qrels(), m, k, cache.open(), extra, progress);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      StringBuilder all = new StringBuilder();
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("model", modelSpec.name());
      json.put("dataset", ds.dir().toString());
      json.put("split", split);
      json.put("queries", ds.queries().size());
      json.put("metric", m.name());
      json.put("seconds", seconds);
      for (var e : results.entrySet()) {
        DittoSearch.Result r = e.getValue();
        String name = e.getKey() == DittoPooling.Variant.FIRST_LAST ? "ditto" : "ditto-last";
        all.append(table(modelSpec, ds, split, m, e.getKey(), r, seconds)).append('\n');
        out.printf(Locale.ROOT, "%s: best layer %d, head %d (%s %.4f)%n", name, r.bestLayer(), r.bestHead(),
            m.name(), r.best());
        json.put(name, Map.of("layer", r.bestLayer(), "head", r.bestHead(), "best", r.best(), "scores", r.scores()));
      }
      DittoSearch.Result best = results.get(DittoPooling.Variant.FIRST_LAST);
      out.println(all);
      out.printf(Locale.ROOT, "For a local model, add to model.json: \"ditto\": {\"layer\": %d, \"head\": %d}%n",
          best.bestLayer(), best.bestHead());
      if (output != null) {
        if (output.toAbsolutePath().getParent() != null) {
          Files.createDirectories(output.toAbsolutePath().getParent());
        }
        Files.writeString(Path.of(output + ".md"), all.toString());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(Path.of(output + ".json").toFile(),
            json);
      }
      out.flush();
    }
    return 0;
  }

  private static String table(ModelSpec spec, BeirDataset ds, String split, Metric m, DittoPooling.Variant v,
      DittoSearch.Result r, double seconds) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "Ditto (%s) layer/head search, %s, %s %s "
        + "(%d queries), %s; best layer %d head %d = %.4f (%.0f s)%n%n| layer |", v.name(), spec.name(),
        ds.dir().getFileName(), split, ds.queries().size(), m.name(), r.bestLayer(), r.bestHead(), r.best(), seconds));
    int heads = r.scores()[0].length;
    for (int h = 0; h < heads; h++) {
      sb.append(" h").append(h).append(" |");
    }
    sb.append("\n|---|").append("---|".repeat(heads)).append('\n');
    for (int l = 0; l < r.scores().length; l++) {
      sb.append("| ").append(l).append(" |");
      for (int h = 0; h < heads; h++) {
        sb.append(String.format(Locale.ROOT, " %.4f%s |", r.scores()[l][h],
            l == r.bestLayer() && h == r.bestHead() ? "*" : ""));
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
