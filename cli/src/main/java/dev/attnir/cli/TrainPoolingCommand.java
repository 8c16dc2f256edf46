package dev.attnir.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.eval.data.BeirDataset;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.training.HeadTrainer;
import dev.attnir.training.HeadTraining;
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

/** {@code attnir train-pooling}: train a multi-layer trainable pooling head for a model. */
@Command(name = "train-pooling", mixinStandardHelpOptions = true,
    description = "Train a multi-layer trainable pooling head (Tang and Yang 2024) on the train split of BEIR "
        + "datasets with the encoder frozen; writes the head (use it with --pooling trained --pooling-head FILE) and "
        + "a training report with the loss and dev metric per epoch.")
final class TrainPoolingCommand implements Callable<Integer> {

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--train", required = true, paramLabel = "DIR[:QUERIES]",
      description = "A BEIR dataset whose qrels/train.tsv to train on, optionally with a queries file holding the "
          + "train queries (repeatable).")
  List<String> train;

  @Option(names = "--output", required = true, paramLabel = "FILE", description = "Head file; the report goes to "
      + "FILE.report.json and FILE.report.md.")
  Path output;

  @Option(names = "--layer-input", defaultValue = "mean", description = "Per-layer vector: mean (reference) or cls. "
      + "Default: ${DEFAULT-VALUE}.")
  String layerInput;

  @Option(names = "--first-layer", defaultValue = "1", description = "First hidden state read (1 as the reference; "
      + "0 adds the embedding output). Default: ${DEFAULT-VALUE}.")
  int firstLayer;

  @Option(names = "--latents", defaultValue = "16", description = "Latent queries. Default: ${DEFAULT-VALUE}.")
  int latents;

  @Option(names = "--heads", defaultValue = "8", description = "Cross-attention heads. Default: ${DEFAULT-VALUE}.")
  int heads;

  @Option(names = "--head-dim", defaultValue = "48", description = "Width per head. Default: ${DEFAULT-VALUE}.")
  int headDim;

  @Option(names = "--ff-mult", defaultValue = "4", description = "GEGLU expansion. Default: ${DEFAULT-VALUE}.")
  int ffMult;

  @Option(names = "--epochs", defaultValue = "30", description = "Maximum epochs. Default: ${DEFAULT-VALUE}.")
  int epochs;

  @Option(names = "--batch", defaultValue = "64", description = "Queries per step. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(names = "--hard-negatives", defaultValue = "3",
      description = "Mined negatives per query per step (0: in-batch only). Default: ${DEFAULT-VALUE}.")
  int hardNegatives;

  @Option(names = "--lr", defaultValue = "1e-3", description = "AdamW learning rate. Default: ${DEFAULT-VALUE}.")
  float lr;

  @Option(names = "--weight-decay", defaultValue = "0.01", description = "AdamW weight decay. Default: ${DEFAULT-VALUE}.")
  float weightDecay;

  @Option(names = "--scale", defaultValue = "20", description = "InfoNCE logit scale (20 = temperature 0.05). "
      + "Default: ${DEFAULT-VALUE}.")
  float scale;

  @Option(names = "--patience", defaultValue = "5", description = "Epochs without dev improvement before stopping. "
      + "Default: ${DEFAULT-VALUE}.")
  int patience;

  @Option(names = "--dev-fraction", defaultValue = "0.1", description = "Training queries held out for the dev "
      + "metric. Default: ${DEFAULT-VALUE}.")
  double devFraction;

  @Option(names = "--select-by", defaultValue = "mean", paramLabel = "mean|worst-gain",
      description = "Best epoch: mean dev nDCG@10 over the datasets, or worst-gain: the largest smallest gain over "
          + "the native pooling on any dataset's dev queries (so a gain on one dataset cannot hide a loss on "
          + "another). Default: ${DEFAULT-VALUE}.")
  String selectBy;

  @Option(names = "--mine-depth", defaultValue = "30", description = "Passages retrieved per query with the native "
      + "pooling to mine hard negatives from. Default: ${DEFAULT-VALUE}.")
  int mineDepth;

  @Option(names = "--seed", defaultValue = "1", description = "Seed. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Mixin
  CommonOptions.Cache cache;

  @Mixin
  ModelOptions model;

  @Mixin
  PassageOptions passages;

  /** The data report without the dev query ids, which belong in the JSON report only. */
  private static Map<String, Object> withoutIds(Map<String, Object> report) {
    Map<String, Object> out = new LinkedHashMap<>();
    report.forEach((k, v) -> {
      if (v instanceof Map<?, ?> m) {
        Map<Object, Object> copy = new LinkedHashMap<>(m);
        copy.remove("devQueryIds");
        out.put(k, copy);
      } else {
        out.put(k, v);
      }
    });
    return out;
  }

  @Override
  public Integer call() throws IOException {
    if (model.none()) {
      throw new IllegalArgumentException("train-pooling needs a model");
    }
    if (!layerInput.equals("mean") && !layerInput.equals("cls")) {
      throw new IllegalArgumentException("--layer-input must be mean or cls, got " + layerInput);
    }
    PrintWriter out = spec.commandLine().getOut();
    ModelSpec modelSpec = model.spec();
    List<HeadTraining.Source> sources = new ArrayList<>();
    for (String t : train) {
      String[] parts = t.split(":", 2);
      Path dir = Path.of(parts[0]);
      BeirDataset ds = BeirDataset.open(dir, "train", parts.length > 1 ? Path.of(parts[1]) : null);
      sources.add(new HeadTraining.Source(dir.toAbsolutePath().normalize().getFileName().toString(), ds));
    }
    PassageSettings settings = passages.settings(modelSpec.name(), modelSpec.maxLength());
    HeadTraining.Settings s = new HeadTraining.Settings(layerInput, firstLayer, latents, heads, headDim, ffMult,
        devFraction, mineDepth, HeadTraining.Selection.parse(selectBy), new HeadTrainer.Config(epochs, batch,
            hardNegatives, lr, weightDecay, scale, patience, seed));
    long t0 = System.nanoTime();
    HeadTraining.Outcome outcome;
    try (OnnxEncoder encoder = OnnxEncoder.load(modelSpec, model.encoderOptions());
        Progress progress = new Progress("Encoding", 0, "texts")) {
      outcome = HeadTraining.run(encoder, sources, settings, s, cache.open(), progress,
          (e, byDataset) -> {
            StringBuilder perDataset = new StringBuilder();
            byDataset.forEach((name, v) -> perDataset.append(String.format(Locale.ROOT, "  %s %.4f", name, v)));
            out.printf(Locale.ROOT, "epoch %2d  loss %s  dev nDCG@10%s  %s %.4f  (%.1f s)%n", e.epoch(),
                Double.isNaN(e.meanLoss()) ? "   -  " : String.format(Locale.ROOT, "%.4f", e.meanLoss()), perDataset,
                selectBy, e.dev(), e.seconds());
            out.flush();
          });
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (output.toAbsolutePath().getParent() != null) {
      Files.createDirectories(output.toAbsolutePath().getParent());
    }
    Files.write(output, outcome.state().serialize());
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("model", modelSpec.name());
    report.put("head", output.toString());
    report.put("config", outcome.state().config());
    report.put("settings", s);
    report.put("data", outcome.report());
    report.put("bestEpoch", outcome.result().bestEpoch());
    report.put("selectBy", selectBy);
    report.put("nativeDev", outcome.nativeDev());
    report.put("devByEpoch", outcome.devByEpoch());
    report.put("epochs", outcome.result().epochs());
    report.put("seconds", seconds);
    report.put("peakRssMiB", Machine.peakRssMiB());
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(
        Path.of(output + ".report.json").toFile(), report);
    StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "# Pooling head for %s%n%n%s parameters, "
            + "layers %d..%d (%s), %d latents, %d heads x %d, GEGLU x%d; best epoch %d; %.0f s, peak RSS %.0f MiB%n%n"
            + "Data: %s%n%nBest epoch chosen by: %s. Dev nDCG@10 per dataset, with the native pooling's in the "
            + "first row.%n%n", modelSpec.name(),
        outcome.result().parameters(), firstLayer, outcome.state().config().lastLayer(), layerInput, latents, heads,
        headDim, ffMult, outcome.result().bestEpoch(), seconds, Machine.peakRssMiB(), withoutIds(outcome.report()),
        selectBy));
    List<String> names = new ArrayList<>(outcome.nativeDev().keySet());
    md.append("| epoch | mean loss |");
    names.forEach(n -> md.append(" ").append(n).append(" |"));
    md.append(" ").append(selectBy).append(" | seconds |\n|---|---|");
    names.forEach(n -> md.append("---|"));
    md.append("---|---|\n| native | - |");
    names.forEach(n -> md.append(String.format(Locale.ROOT, " %.4f |", outcome.nativeDev().get(n))));
    md.append(" | |\n");
    List<HeadTrainer.Epoch> epochs = outcome.result().epochs();
    for (int i = 0; i < epochs.size(); i++) {
      HeadTrainer.Epoch e = epochs.get(i);
      md.append(String.format(Locale.ROOT, "| %d%s | %s |", e.epoch(),
          e.epoch() == outcome.result().bestEpoch() ? " (best)" : "",
          Double.isNaN(e.meanLoss()) ? "-" : String.format(Locale.ROOT, "%.4f", e.meanLoss())));
      Map<String, Double> byDataset = outcome.devByEpoch().get(i);
      names.forEach(n -> md.append(String.format(Locale.ROOT, " %.4f |", byDataset.get(n))));
      md.append(String.format(Locale.ROOT, " %.4f | %.1f |%n", e.dev(), e.seconds()));
    }
    Files.writeString(Path.of(output + ".report.md"), md.toString());
    out.printf(Locale.ROOT, "Wrote %s (best epoch %d) and its report in %.0f s%n", output,
        outcome.result().bestEpoch(), seconds);
    out.flush();
    return 0;
  }
}
