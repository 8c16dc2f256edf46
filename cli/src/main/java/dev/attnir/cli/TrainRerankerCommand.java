package dev.attnir.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.attnir.encoders.Digests;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.eval.data.BeirDataset;
import dev.attnir.eval.data.Qrels;
import dev.attnir.indexer.Searcher;
import dev.attnir.rerankers.trained.RerankerArtifact;
import dev.attnir.training.rerank.CrossEncoderModel;
import dev.attnir.training.rerank.ListwiseModel;
import dev.attnir.training.rerank.MvpModel;
import dev.attnir.training.rerank.RerankerTrainer;
import dev.attnir.training.rerank.TrainingData;
import dev.attnir.training.rerank.TrainingList;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code attnir train-reranker}: fine-tune a cross-encoder or the multi-view reranker (MVP) on CPU. */
@Command(name = "train-reranker", mixinStandardHelpOptions = true,
    description = "Fine-tune a reranker from a built-in encoder: a monoBERT cross-encoder or the multi-view reranker "
        + "(MVP), listwise (1 positive + negatives per query), on BEIR training splits mined through an index and on "
        + "fixed candidate lists with qrels. Keeps the best state on a dev split of every source, checkpoints for "
        + "--resume, and writes the shippable artifact and a report.")
final class TrainRerankerCommand implements Callable<Integer> {

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--kind", defaultValue = "cross-encoder", description = "cross-encoder or mvp. "
      + "Default: ${DEFAULT-VALUE}.")
  String kind;

  @Option(names = "--model", defaultValue = "all-MiniLM-L6-v2", description = "Base encoder (a built-in BERT "
      + "export). Default: ${DEFAULT-VALUE}.")
  String model;

  @Option(names = "--max-length", defaultValue = "256", description = "Pair length in tokens (special and view "
      + "tokens included). Default: ${DEFAULT-VALUE}.")
  int maxLength;

  @Option(names = "--views", defaultValue = "4", description = "MVP: view tokens m. Default: ${DEFAULT-VALUE}.")
  int views;

  @Option(names = "--anchor", defaultValue = "learned", description = "MVP: learned (cross-attention step) or mean "
      + "(plain mean of the views). Default: ${DEFAULT-VALUE}.")
  String anchor;

  @Option(names = "--orthogonal", defaultValue = "0.1", description = "MVP: weight of the orthogonality loss "
      + "(0 = off). Default: ${DEFAULT-VALUE}.")
  double orthogonal;

  @Option(names = "--score-scale", paramLabel = "S", description = "MVP: factor on the mean anchor-view dot "
      + "product. Default: 1/sqrt(hidden size).")
  Double scoreScale;

  @Option(names = "--freeze-encoder", description = "MVP: train only the anchor block.")
  boolean freezeEncoder;

  @Option(names = "--beir", paramLabel = "NAME=DIR,index=IDX[,queries=FILE]",
      description = "A BEIR dataset trained on its train split, candidates mined by hybrid search of the index; the "
          + "test split's queries are refused if they appear (repeatable).")
  List<String> beir = new ArrayList<>();

  @Option(names = "--lists", paramLabel = "NAME=FILE,qrels=FILE[,min-grade=G]",
      description = "Fixed candidate lists with texts (TREC DL JSONL layout) and qrels; positives have grade >= G "
          + "(default 1) (repeatable).")
  List<String> lists = new ArrayList<>();

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Checkpoint, best state, artifact "
      + "and report.")
  Path output;

  @Option(names = "--resume", description = "Continue the checkpoint in --output.")
  boolean resume;

  @Option(names = "--epochs", defaultValue = "1", description = "Default: ${DEFAULT-VALUE}.")
  int epochs;

  @Option(names = "--max-steps", defaultValue = "0", description = "Stop after N steps (0 = all). "
      + "Default: ${DEFAULT-VALUE}.")
  int maxSteps;

  @Option(names = "--groups-per-step", defaultValue = "4", description = "Queries per step. Default: ${DEFAULT-VALUE}.")
  int groupsPerStep;

  @Option(names = "--group-size", defaultValue = "5", description = "Candidates per query (1 positive). "
      + "Default: ${DEFAULT-VALUE}.")
  int groupSize;

  @Option(names = "--positives-per-query", defaultValue = "2", description = "Groups per query per epoch at most. "
      + "Default: ${DEFAULT-VALUE}.")
  int positivesPerQuery;

  @Option(names = "--encoder-lr", defaultValue = "3e-5", description = "Default: ${DEFAULT-VALUE}.")
  double encoderLr;

  @Option(names = "--head-lr", defaultValue = "1e-3", description = "Default: ${DEFAULT-VALUE}.")
  double headLr;

  @Option(names = "--weight-decay", defaultValue = "0.01", description = "Default: ${DEFAULT-VALUE}.")
  double weightDecay;

  @Option(names = "--warmup", defaultValue = "0.1", description = "Warmup fraction. Default: ${DEFAULT-VALUE}.")
  double warmup;

  @Option(names = "--target-temperature", defaultValue = "0.8", description = "T of the listwise target "
      + "softmax((1/rank)/T); MVP's 0.8 leaves the positive about 0.38 of the mass with 4 tied negatives, a small T "
      + "makes it one-hot. Default: ${DEFAULT-VALUE}.")
  double targetTemperature;

  @Option(names = "--mine-depth", defaultValue = "30", description = "Hybrid candidates mined per BEIR query. "
      + "Default: ${DEFAULT-VALUE}.")
  int mineDepth;

  @Option(names = "--dev-fraction", defaultValue = "0.1", description = "Share of each source's queries held out "
      + "for dev. Default: ${DEFAULT-VALUE}.")
  double devFraction;

  @Option(names = "--dev-max", defaultValue = "40", description = "At most N dev queries per source. "
      + "Default: ${DEFAULT-VALUE}.")
  int devMax;

  @Option(names = "--dev-depth", defaultValue = "20", description = "Candidates reranked per dev query. "
      + "Default: ${DEFAULT-VALUE}.")
  int devDepth;

  @Option(names = "--dev-every", defaultValue = "100", description = "Steps between dev evaluations. "
      + "Default: ${DEFAULT-VALUE}.")
  int devEvery;

  @Option(names = "--seed", defaultValue = "42", description = "Default: ${DEFAULT-VALUE}.")
  long seed;

  @Override
  public Integer call() throws IOException {
    OptionChecks.atLeast("--max-length", maxLength, 1);
    OptionChecks.atLeast("--epochs", epochs, 1);
    OptionChecks.atLeast("--groups-per-step", groupsPerStep, 1);
    OptionChecks.atLeast("--dev-every", devEvery, 1);
    OptionChecks.atLeast("--dev-depth", devDepth, 1);
    if (!(targetTemperature > 0)) {
      throw new IllegalArgumentException("--target-temperature must be positive, got " + targetTemperature);
    }
    if (groupSize < 2) {
      throw new IllegalArgumentException("--group-size must be at least 2 (a positive and a negative), got "
          + groupSize);
    }
    if (!(devFraction > 0 && devFraction < 1)) {
      throw new IllegalArgumentException("--dev-fraction must be in (0, 1), got " + devFraction);
    }
    if (beir.isEmpty() && lists.isEmpty()) {
      throw new IllegalArgumentException("nothing to train on: give --beir and/or --lists");
    }
    PrintWriter out = spec.commandLine().getOut();
    List<TrainingList> train = new ArrayList<>();
    List<TrainingList> dev = new ArrayList<>();
    Map<String, Object> sources = new LinkedHashMap<>();
    for (String s : beir) {
      Map<String, String> kv = parse("--beir", s, Set.of("index", "queries"));
      String name = kv.get("name");
      Path dir = Path.of(kv.get("value"));
      String queries = kv.get("queries");
      BeirDataset data = BeirDataset.open(dir, "train", queries == null ? null : Path.of(queries));
      Path testQrels = dir.resolve("qrels/test.tsv");
      Set<String> test = Files.exists(testQrels) ? Qrels.read(testQrels).queries() : Set.of();
      if (!kv.containsKey("index")) {
        throw new IllegalArgumentException("--beir " + s + ": index=DIR is required (the index to mine)");
      }
      List<TrainingList> mined;
      try (Searcher index = Searcher.open(Path.of(kv.get("index")))) {
        mined = TrainingData.mined(name, data, index, mineDepth, test,
            index.manifest().passages().prependTitle());
      }
      split(name, mined, train, dev, sources, test.size());
    }
    for (String s : lists) {
      Map<String, String> kv = parse("--lists", s, Set.of("qrels", "min-grade"));
      if (!kv.containsKey("qrels")) {
        throw new IllegalArgumentException("--lists " + s + ": qrels=FILE is required");
      }
      int minGrade = Integer.parseInt(kv.getOrDefault("min-grade", "1"));
      List<TrainingList> l = TrainingData.fromCandidateLists(kv.get("name"), Path.of(kv.get("value")),
          Path.of(kv.get("qrels")), minGrade);
      split(kv.get("name"), l, train, dev, sources, 0);
    }
    ModelSpec base = ModelRegistry.resolve(model);
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("kind", kind);
    info.put("model", base.name());
    info.put("maxLength", maxLength);
    info.put("sources", sources);
    RerankerTrainer.Config config = new RerankerTrainer.Config(epochs, groupsPerStep, groupSize, positivesPerQuery,
        encoderLr, headLr, weightDecay, warmup, targetTemperature, devDepth, devEvery, maxSteps, seed);
    info.put("config", config.toString());
    if (kind.equals("mvp")) {
      info.put("views", views);
      info.put("anchor", anchor);
      info.put("orthogonal", orthogonal);
      info.put("freezeEncoder", freezeEncoder);
    } else if (!kind.equals("cross-encoder")) {
      throw new IllegalArgumentException("--kind must be cross-encoder or mvp, got '" + kind + "'");
    }
    long t0 = System.nanoTime();
    try (ListwiseModel m = kind.equals("mvp")
        ? new MvpModel(base, maxLength, views, anchor, orthogonal, freezeEncoder,
            scoreScale == null ? Double.NaN : scoreScale, seed)
        : new CrossEncoderModel(base, maxLength, seed)) {
      Map<String, Double> firstStage = RerankerTrainer.firstStage(dev, devDepth);
      info.put("devFirstStage", firstStage);
      out.printf("Training %s on %d lists (%d dev) from %s; dev nDCG@10 of the first stage: %s%n", kind,
          train.size(), dev.size(), sources.keySet(), format(firstStage));
      out.flush();
      RerankerTrainer.Result result;
      try (Progress bar = new Progress("Training " + kind, 1, "steps")) {
        result = RerankerTrainer.train(m, train, dev, config, output, resume, info,
            new RerankerTrainer.Listener() {
              double avg = Double.NaN;
              double avgRank = Double.NaN;

              @Override
              public void step(long step, long total, double loss, double rankLoss, double seconds) {
                bar.expect(total);
                bar.advance(1);
                avg = Double.isNaN(avg) ? loss : 0.98 * avg + 0.02 * loss;
                avgRank = Double.isNaN(avgRank) ? rankLoss : 0.98 * avgRank + 0.02 * rankLoss;
                bar.message(String.format(Locale.ROOT, "loss %.4f (ranking %.4f)", avg, avgRank));
              }

              @Override
              public void dev(long step, Map<String, Double> ndcg, double mean, boolean best) {
                System.err.printf(Locale.ROOT, "%nstep %d dev nDCG@10 %s%s%n", step, format(ndcg),
                    best ? " (best)" : "");
              }
            });
      }
      double trainSeconds = (System.nanoTime() - t0) / 1e9;
      // The shipped artifact: encoder tensors in float16, checked on dev against the float32 state it rounds.
      RerankerArtifact best = result.best();
      Map<String, Double> devF32 = RerankerTrainer.evaluate(best, dev, devDepth);
      m.restore(best.tensors());
      byte[] shipped = m.export(true, new LinkedHashMap<>(best.header().training())).toBytes();
      Path artifact = output.resolve("reranker.rrk");
      Files.write(artifact, shipped);
      Map<String, Double> devF16 = RerankerTrainer.evaluate(RerankerArtifact.read(shipped, artifact.toString()), dev,
          devDepth);
      Map<String, Object> report = new LinkedHashMap<>(info);
      report.put("trainLists", train.size());
      report.put("devLists", dev.size());
      report.put("steps", result.steps());
      report.put("bestStep", result.bestStep());
      report.put("secondsPerStepMedian", result.secondsPerStep());
      report.put("wallSeconds", trainSeconds);
      report.put("peakRssMiB", Machine.peakRssMiB());
      report.put("devHistory", result.devHistory());
      report.put("lossHistory", result.lossHistory());
      report.put("devFloat32", devF32);
      report.put("devFloat16", devF16);
      report.put("artifactBytes", shipped.length);
      report.put("artifactSha256", Digests.sha256(shipped));
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(output.resolve("report.json").toFile(),
          report);
      out.printf(Locale.ROOT, "Best dev at step %d: %s; float16 artifact %s (%.1f MB): %s%n", result.bestStep(),
          format(devF32), artifact, shipped.length / 1e6, format(devF16));
      out.flush();
    }
    return 0;
  }

  private void split(String name, List<TrainingList> all, List<TrainingList> train, List<TrainingList> dev,
      Map<String, Object> sources, int excluded) {
    List<TrainingList> shuffled = new ArrayList<>(all);
    Collections.shuffle(shuffled, new Random(seed));
    int devCount = (int) Math.min(devMax, Math.round(devFraction * shuffled.size()));
    dev.addAll(shuffled.subList(0, devCount));
    train.addAll(shuffled.subList(devCount, shuffled.size()));
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("lists", all.size());
    r.put("dev", devCount);
    r.put("devQueryIds", shuffled.subList(0, devCount).stream().map(TrainingList::qid).toList());
    r.put("positives", all.stream().mapToInt(l -> l.positives().size()).sum());
    r.put("testQueriesExcluded", excluded);
    sources.put(name, r);
  }

  /** {@code NAME=VALUE,key=value,...} with the allowed keys. */
  private static Map<String, String> parse(String option, String spec, Set<String> keys) {
    String[] parts = spec.split(",");
    Map<String, String> kv = new LinkedHashMap<>();
    int eq = parts[0].indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException(option + " " + spec + ": expected NAME=PATH first");
    }
    kv.put("name", parts[0].substring(0, eq));
    kv.put("value", parts[0].substring(eq + 1));
    for (int i = 1; i < parts.length; i++) {
      int e = parts[i].indexOf('=');
      String key = e < 0 ? parts[i] : parts[i].substring(0, e);
      if (e < 0 || !keys.contains(key)) {
        throw new IllegalArgumentException(option + " " + spec + ": unknown option '" + parts[i] + "' (known: "
            + keys + ")");
      }
      kv.put(key, parts[i].substring(e + 1));
    }
    return kv;
  }

  private static String format(Map<String, Double> m) {
    StringBuilder b = new StringBuilder();
    m.forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ").append(k).append(' ')
        .append(String.format(Locale.ROOT, "%.4f", v)));
    return b.toString();
  }
}
