package dev.attnir.training.rerank;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.attnir.core.Candidate;
import dev.attnir.core.Ranking;
import dev.attnir.core.Reranker;
import dev.attnir.core.ScoredDoc;
import dev.attnir.encoders.Batch;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.TokenizedText;
import dev.attnir.eval.data.Qrels;
import dev.attnir.eval.data.TrecRun;
import dev.attnir.eval.metrics.Evaluator;
import dev.attnir.eval.metrics.Ndcg;
import dev.attnir.rerankers.trained.RerankerArtifact;
import dev.attnir.rerankers.trained.TrainedRerankers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.TreeMap;

/**
 * Trains a {@link ListwiseModel} on lists of candidates: each step takes {@code groupsPerStep} groups of one positive
 * and {@code groupSize - 1} negatives of one query each (MVP's 1 + 4), all from one source so the padded lengths
 * match; the loss is the listwise cross-entropy to the target {@code softmax((1/rank)/temperature)} (MVP's, rank 1 for
 * the positive, the negatives tied at their mean rank) plus the model's auxiliary loss. AdamW with linear warmup and
 * linear decay; the encoder and the head have their own learning rates.
 *
 * <p>Every {@code devEvery} steps (and at the end) the dev lists are reranked (their first stage's top
 * {@code devDepth}) and scored by nDCG@10 per source; the mean over sources selects the best state, which is kept as an
 * artifact in the output directory, and a checkpoint (parameters, optimizer moments, position) is written so a
 * stopped run resumes where it was.
 *
 * <p>Negatives: a group's negatives are drawn from its query's hard negatives (the first stage's non-relevant
 * candidates) without replacement; a query with too few is topped up with other queries' candidates of the same
 * source. The plan of an epoch (which positive, which negatives, step order) depends only on the seed and the epoch.
 */
public final class RerankerTrainer {

  /**
   * Settings.
   *
   * @param epochs passes over the training groups
   * @param groupsPerStep queries per step
   * @param groupSize candidates per group (1 positive + the rest negatives)
   * @param positivesPerQuery at most this many of a query's positives make a group each per epoch
   * @param encoderLr peak learning rate of the encoder
   * @param headLr peak learning rate of the head / anchor block
   * @param weightDecay AdamW's decoupled weight decay
   * @param warmup fraction of all steps with a linearly rising learning rate
   * @param temperature of the target distribution
   * @param devDepth candidates of a dev list reranked
   * @param devEvery steps between dev evaluations
   * @param maxSteps stop after this many steps in total (0 = no limit): the CPU budget
   * @param seed everything random derives from it
   */
  public record Config(int epochs, int groupsPerStep, int groupSize, int positivesPerQuery, double encoderLr,
      double headLr, double weightDecay, double warmup, double temperature, int devDepth, int devEvery, int maxSteps,
      long seed) {}

  /** Receives progress. */
  public interface Listener {
    /** After a step: its total loss and the ranking part of it (the rest is the model's auxiliary loss). */
    void step(long step, long total, double loss, double rankLoss, double seconds);

    void dev(long step, Map<String, Double> ndcgBySource, double mean, boolean best);
  }

  /**
   * Outcome.
   *
   * @param best the best dev state (float32 tensors)
   * @param bestStep its step
   * @param devHistory per evaluated step, nDCG@10 per source and {@code mean}
   * @param steps steps run in total (including before a resume)
   * @param secondsPerStep median wall time of a training step in this run
   * @param lossHistory per evaluated step, the mean {@code rank} and {@code auxiliary} loss of the steps since the
   *     previous evaluation (this run's steps only: not restored on resume)
   */
  public record Result(RerankerArtifact best, long bestStep, Map<Long, Map<String, Double>> devHistory, long steps,
      double secondsPerStep, Map<Long, Map<String, Double>> lossHistory) {}

  record Group(String source, String query, List<TrainingList.Item> items) {}

  private RerankerTrainer() {}

  /**
   * Trains. {@code outputDir} receives {@code checkpoint.state} and {@code best.reranker}; an existing checkpoint there
   * is resumed when {@code resume} is set, and refused otherwise.
   */
  public static Result train(ListwiseModel model, List<TrainingList> train, List<TrainingList> dev, Config config,
      Path outputDir, boolean resume, Map<String, Object> trainingInfo, Listener listener) throws IOException {
    Files.createDirectories(outputDir);
    Path checkpoint = outputDir.resolve("checkpoint.state");
    Path bestFile = outputDir.resolve("best.reranker");
    Engine.getInstance().setRandomSeed((int) config.seed());
    List<List<Group>> plans = new ArrayList<>();
    long total = 0;
    for (int e = 0; e < config.epochs(); e++) {
      List<List<Group>> steps = plan(train, config, e);
      total += steps.size();
      plans.add(flatten(steps));
    }
    if (config.maxSteps() > 0) {
      total = Math.min(total, config.maxSteps());
    }
    Map<String, NDArray> params = model.trainable();
    long step = 0;
    double bestMean = Double.NEGATIVE_INFINITY;
    long bestStep = -1;
    Map<Long, Map<String, Double>> history = new TreeMap<>();
    try (AdamW adam = new AdamW(config.weightDecay())) {
      if (Files.exists(checkpoint)) {
        if (!resume) {
          throw new IllegalStateException(checkpoint + " exists: resume it (--resume) or choose another output");
        }
        RerankerArtifact state = RerankerArtifact.read(Files.readAllBytes(checkpoint), checkpoint.toString());
        Map<String, float[]> values = state.tensors();
        model.restore(values);
        adam.restore(values, params);
        step = ((Number) state.header().training().get("step")).longValue();
        bestMean = ((Number) state.header().training().get("bestMean")).doubleValue();
        bestStep = ((Number) state.header().training().get("bestStep")).longValue();
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Double>> h = (Map<String, Map<String, Double>>) state.header().training()
            .get("devHistory");
        h.forEach((k, v) -> history.put(Long.parseLong(k), v));
      } else {
        Map<String, Double> initial = evaluate(model, dev, config.devDepth());
        history.put(0L, initial);
        bestMean = initial.get("mean");
        bestStep = 0;
        writeBest(model, trainingInfo, 0, initial, bestFile);
        listener.dev(0, initial, bestMean, true);
      }
      List<Group> all = new ArrayList<>();
      plans.forEach(all::addAll);
      List<Double> stepSeconds = new ArrayList<>();
      Map<Long, Map<String, Double>> lossHistory = new TreeMap<>();
      double windowRank = 0;
      double windowAux = 0;
      int windowSteps = 0;
      int perStep = config.groupsPerStep();
      while (step < total) {
        List<Group> groups = all.subList((int) step * perStep, (int) Math.min(all.size(), (step + 1) * perStep));
        long t0 = System.nanoTime();
        double lr = schedule(step, total, config.warmup());
        double[] loss = step(model, adam, params, groups, config, lr * config.encoderLr(), lr * config.headLr(),
            step + 1);
        step++;
        double seconds = (System.nanoTime() - t0) / 1e9;
        stepSeconds.add(seconds);
        windowRank += loss[1];
        windowAux += loss[0] - loss[1];
        windowSteps++;
        listener.step(step, total, loss[0], loss[1], seconds);
        if (step % config.devEvery() == 0 || step == total) {
          lossHistory.put(step, Map.of("rank", windowRank / windowSteps, "auxiliary", windowAux / windowSteps));
          windowRank = 0;
          windowAux = 0;
          windowSteps = 0;
          Map<String, Double> d = evaluate(model, dev, config.devDepth());
          history.put(step, d);
          boolean best = d.get("mean") > bestMean;
          if (best) {
            bestMean = d.get("mean");
            bestStep = step;
            writeBest(model, trainingInfo, step, d, bestFile);
          }
          writeCheckpoint(model, adam, params, step, bestMean, bestStep, history, checkpoint);
          listener.dev(step, d, d.get("mean"), best);
        }
      }
      Collections.sort(stepSeconds);
      double median = stepSeconds.isEmpty() ? Double.NaN : stepSeconds.get(stepSeconds.size() / 2);
      RerankerArtifact best = RerankerArtifact.read(Files.readAllBytes(bestFile), bestFile.toString());
      return new Result(best, bestStep, history, step, median, lossHistory);
    }
  }

  private static double schedule(long step, long total, double warmup) {
    long warm = Math.max(1, Math.round(warmup * total));
    if (step < warm) {
      return (step + 1) / (double) warm;
    }
    return Math.max(0, (total - step) / (double) Math.max(1, total - warm));
  }

  /** One step; returns {total loss, ranking loss}. */
  private static double[] step(ListwiseModel model, AdamW adam, Map<String, NDArray> params, List<Group> groups,
      Config config, double encoderLr, double headLr, long stepNumber) {
    int n = config.groupSize();
    List<TokenizedText> tokens = new ArrayList<>();
    float[] target = new float[groups.size() * n];
    for (int g = 0; g < groups.size(); g++) {
      Group group = groups.get(g);
      tokens.addAll(model.tokenize(group.query(), group.items().stream().map(TrainingList.Item::text).toList()));
      float[] t = target(group.items(), config.temperature());
      System.arraycopy(t, 0, target, g * n, n);
    }
    int[] rows = new int[tokens.size()];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = i;
    }
    Batch batch = Batch.of(rows, tokens);
    NDManager base = params.values().iterator().next().getManager();
    try (NDManager scope = base.newSubManager()) {
      double value;
      double rankValue;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        ListwiseModel.Output out = model.forward(batch, groups.size(), n, scope);
        NDArray targets = scope.create(target, new Shape(groups.size(), n));
        NDArray rank = out.scores().logSoftmax(1).mul(targets).sum(new int[] {1}).neg().mean();
        NDArray loss = out.auxiliaryLoss() == null ? rank : rank.add(out.auxiliaryLoss());
        collector.backward(loss);
        value = loss.getFloat();
        rankValue = rank.getFloat();
      }
      if (!Double.isFinite(value)) {
        throw new IllegalStateException("training diverged at step " + stepNumber + ": loss is " + value);
      }
      for (var e : params.entrySet()) {
        NDArray grad = e.getValue().getGradient();
        grad.attach(scope);
        adam.update(e.getKey(), e.getValue(), grad, model.isEncoderParameter(e.getKey()) ? encoderLr : headLr,
            stepNumber);
        grad.subi(grad); // gradients accumulate across backward passes
      }
      return new double[] {value, rankValue};
    }
  }

  /** MVP's target: softmax of (1/rank)/T, rank by grade (ties share their mean rank). */
  static float[] target(List<TrainingList.Item> items, double temperature) {
    int n = items.size();
    double[] logits = new double[n];
    for (int i = 0; i < n; i++) {
      int better = 0;
      int same = 0;
      for (TrainingList.Item o : items) {
        if (o.grade() > items.get(i).grade()) {
          better++;
        } else if (o.grade() == items.get(i).grade()) {
          same++;
        }
      }
      double rank = better + (same + 1) / 2.0;
      logits[i] = (1 / rank) / temperature;
    }
    double max = java.util.Arrays.stream(logits).max().orElse(0);
    double sum = 0;
    for (double l : logits) {
      sum += Math.exp(l - max);
    }
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) (Math.exp(logits[i] - max) / sum);
    }
    return out;
  }

  /** One epoch's steps: groups per source, shuffled, cut into steps, steps of all sources shuffled. */
  static List<List<Group>> plan(List<TrainingList> train, Config config, int epoch) {
    Random random = new Random(config.seed() * 1_000_003L + epoch);
    Map<String, List<TrainingList>> bySource = new LinkedHashMap<>();
    for (TrainingList l : train) {
      bySource.computeIfAbsent(l.source(), k -> new ArrayList<>()).add(l);
    }
    List<List<Group>> steps = new ArrayList<>();
    for (var e : bySource.entrySet()) {
      List<TrainingList.Item> pool = new ArrayList<>();
      e.getValue().forEach(l -> pool.addAll(l.negatives()));
      List<Group> groups = new ArrayList<>();
      for (TrainingList l : e.getValue()) {
        List<TrainingList.Item> positives = new ArrayList<>(l.positives());
        Collections.shuffle(positives, random);
        for (TrainingList.Item pos : positives.subList(0, Math.min(config.positivesPerQuery(), positives.size()))) {
          List<TrainingList.Item> negatives = new ArrayList<>(l.negatives());
          Collections.shuffle(negatives, random);
          List<TrainingList.Item> items = new ArrayList<>();
          items.add(pos);
          for (TrainingList.Item neg : negatives) {
            if (items.size() == config.groupSize()) {
              break;
            }
            items.add(neg);
          }
          while (items.size() < config.groupSize()) {
            TrainingList.Item other = pool.get(random.nextInt(pool.size()));
            if (l.items().stream().noneMatch(i -> i.docId().equals(other.docId()))) {
              items.add(new TrainingList.Item(other.docId(), other.text(), 0, false));
            }
          }
          // the positive's slot is random: a model must not learn "first is relevant"
          Collections.shuffle(items, random);
          groups.add(new Group(e.getKey(), l.query(), items));
        }
      }
      Collections.shuffle(groups, random);
      for (int i = 0; i + config.groupsPerStep() <= groups.size(); i += config.groupsPerStep()) {
        steps.add(groups.subList(i, i + config.groupsPerStep()));
      }
    }
    Collections.shuffle(steps, random);
    return steps;
  }

  private static List<Group> flatten(List<List<Group>> steps) {
    List<Group> out = new ArrayList<>();
    steps.forEach(out::addAll);
    return out;
  }

  /**
   * nDCG@10 per source (and their {@code mean}) of reranking each dev list's top {@code depth} retrieved candidates,
   * judged by all its labelled items (positives the first stage missed count in the ideal ranking). The model is
   * exported and reassembled as it would ship, and scored by ONNX Runtime ({@link TrainedRerankers}): the dev metric
   * is that of the artifact, and ONNX Runtime runs the forward pass several times faster than the training engine.
   */
  public static Map<String, Double> evaluate(ListwiseModel model, List<TrainingList> dev, int depth) {
    return evaluate(model.export(false, Map.of()), dev, depth);
  }

  /** The dev metric of the first stage itself: each dev list's top {@code depth} in the order given. */
  public static Map<String, Double> firstStage(List<TrainingList> dev, int depth) {
    return score(dev, depth, (l, candidates) -> {
      List<ScoredDoc> docs = new ArrayList<>();
      for (Candidate c : candidates) {
        docs.add(new ScoredDoc(c.docId(), -c.rank(), 0));
      }
      return Ranking.byScore(docs, docs.size());
    });
  }

  /** {@link #evaluate(ListwiseModel, List, int)} of an exported state. */
  public static Map<String, Double> evaluate(RerankerArtifact artifact, List<TrainingList> dev, int depth) {
    Reranker reranker = TrainedRerankers.load(artifact, "dev state", "dev", OptionalInt.empty(),
        EncoderOptions.defaults());
    try {
      return score(dev, depth, (l, candidates) -> reranker.rerank(l.query(), candidates));
    } finally {
      if (reranker instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception e) {
          throw new IllegalStateException("cannot close the dev reranker", e);
        }
      }
    }
  }

  private static Map<String, Double> score(List<TrainingList> dev, int depth,
      java.util.function.BiFunction<TrainingList, List<Candidate>, Ranking> rank) {
    Map<String, Map<String, Ranking>> runs = new LinkedHashMap<>();
    Map<String, Map<String, Map<String, Integer>>> judged = new LinkedHashMap<>();
    for (TrainingList l : dev) {
      List<TrainingList.Item> items = l.retrieved(depth);
      if (items.isEmpty()) {
        continue;
      }
      List<Candidate> candidates = new ArrayList<>();
      for (int i = 0; i < items.size(); i++) {
        String text = items.get(i).text();
        candidates.add(new Candidate(items.get(i).docId(), i + 1, 0, 0, 0, text.length(), text));
      }
      String key = l.source() + "\u0000" + l.qid();
      runs.computeIfAbsent(l.source(), k -> new LinkedHashMap<>()).put(key, rank.apply(l, candidates));
      Map<String, Integer> j = new HashMap<>();
      l.items().forEach(i -> j.put(i.docId(), Math.max(0, i.grade())));
      judged.computeIfAbsent(l.source(), k -> new LinkedHashMap<>()).put(key, j);
    }
    Map<String, Double> out = new LinkedHashMap<>();
    double sum = 0;
    for (var e : runs.entrySet()) {
      double v = Evaluator.evaluate(TrecRun.fromRankings(e.getValue()), new Qrels(judged.get(e.getKey())),
          List.of(new Ndcg(10)), Evaluator.Averaging.ALL_JUDGED).mean("nDCG@10");
      out.put(e.getKey(), v);
      sum += v;
    }
    out.put("mean", runs.isEmpty() ? Double.NaN : sum / runs.size());
    return out;
  }

  private static void writeBest(ListwiseModel model, Map<String, Object> info, long step, Map<String, Double> dev,
      Path file) throws IOException {
    Map<String, Object> training = new LinkedHashMap<>(info);
    training.put("bestStep", step);
    training.put("dev", dev);
    atomicWrite(file, model.export(false, training).toBytes());
  }

  private static void writeCheckpoint(ListwiseModel model, AdamW adam, Map<String, NDArray> params, long step,
      double bestMean, long bestStep, Map<Long, Map<String, Double>> history, Path file) throws IOException {
    Map<String, Object> training = new LinkedHashMap<>();
    training.put("step", step);
    training.put("bestMean", bestMean);
    training.put("bestStep", bestStep);
    Map<String, Object> h = new LinkedHashMap<>();
    history.forEach((k, v) -> h.put(Long.toString(k), v));
    training.put("devHistory", h);
    RerankerArtifact state = model.export(false, training);
    Map<String, float[]> tensors = new LinkedHashMap<>(state.tensors());
    List<RerankerArtifact.TensorInfo> infos = new ArrayList<>(state.header().tensors());
    for (var e : adam.state().entrySet()) {
      String name = e.getKey().substring(2);
      tensors.put(e.getKey(), e.getValue());
      infos.add(new RerankerArtifact.TensorInfo(e.getKey(), params.get(name).getShape().getShape(), "f32"));
    }
    RerankerArtifact.Header h0 = state.header();
    RerankerArtifact withState = new RerankerArtifact(new RerankerArtifact.Header(h0.format(), h0.kind(),
        h0.baseModel(), h0.baseOnnxSha256(), h0.maxLength(), h0.views(), h0.viewTokenIds(), h0.settings(),
        h0.training(), infos), tensors);
    atomicWrite(file, withState.toBytes());
  }

  private static void atomicWrite(Path file, byte[] bytes) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.write(tmp, bytes);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

}
