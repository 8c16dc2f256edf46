package dev.attnir.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;

/**
 * Trains a {@link HeadModel} with InfoNCE (scale 20, i.e. temperature 0.05) over in-batch negatives plus mined hard
 * negatives, the encoder frozen: inputs are cached per-layer features. Candidates that are positives of the query
 * (a shared positive, a hard negative another query brought that is relevant here) are masked out of the softmax.
 * After every epoch a dev metric is computed and the best epoch's parameters are kept (early stopping with patience).
 */
public final class HeadTrainer {

  /**
   * Training settings.
   *
   * @param epochs maximum epochs
   * @param batchSize queries per step
   * @param hardNegatives mined negatives per query per step (sampled from its mined list)
   * @param learningRate AdamW learning rate
   * @param weightDecay AdamW weight decay
   * @param scale logit scale (20 = temperature 0.05)
   * @param patience epochs without dev improvement before stopping
   * @param seed seed of initialisation, shuffling and negative sampling
   */
  public record Config(int epochs, int batchSize, int hardNegatives, float learningRate, float weightDecay,
      float scale, int patience, long seed) {}

  /**
   * One training query.
   *
   * @param query row of the query in the query feature table
   * @param positive row of a relevant passage in the passage feature table
   * @param relevant all rows relevant to the query (masked when they appear as negatives)
   * @param hardNegatives mined non-relevant rows, best first
   */
  public record Example(int query, int positive, Set<Integer> relevant, int[] hardNegatives) {}

  /** Per-epoch record. */
  public record Epoch(int epoch, double meanLoss, double dev, double seconds) {}

  /**
   * Outcome.
   *
   * @param best parameter values of the best epoch
   * @param bestEpoch that epoch (1-based; 0 = the initial head was never beaten)
   * @param epochs per-epoch loss and dev metric, starting with epoch 0 (before training)
   * @param parameters trainable values
   */
  public record Result(Map<String, float[]> best, int bestEpoch, List<Epoch> epochs, long parameters) {}

  private HeadTrainer() {}

  /**
   * Trains.
   *
   * @param queries query feature rows
   * @param passages passage feature rows
   * @param dev dev metric of a head: given a function embedding feature rows, returns the metric (higher is better)
   * @param log receives each finished epoch
   */
  public static Result train(HeadShape shape, float[][] queries, float[][] passages, List<Example> examples,
      Function<Function<float[][], float[][]>, Double> dev, Config config, java.util.function.Consumer<Epoch> log) {
    if (examples.isEmpty()) {
      throw new IllegalArgumentException("no training examples");
    }
    Random random = new Random(config.seed());
    try (HeadModel model = HeadModel.initialize(shape, config.seed())) {
      Optimizer adam = Optimizer.adamW().optLearningRateTracker(Tracker.fixed(config.learningRate()))
          .optWeightDecays(config.weightDecay()).build();
      NDManager base = model.manager();
      NDArray scale = base.create(config.scale());
      NDArray masked = base.create(-1e4f);
      List<Epoch> epochs = new ArrayList<>();
      double devScore = dev.apply(rows -> embed(model, rows));
      epochs.add(new Epoch(0, Double.NaN, devScore, 0));
      log.accept(epochs.get(0));
      double bestDev = devScore;
      Map<String, float[]> best = model.values();
      int bestEpoch = 0;
      int sinceBest = 0;
      List<Example> order = new ArrayList<>(examples);
      for (int epoch = 1; epoch <= config.epochs(); epoch++) {
        long t0 = System.nanoTime();
        Collections.shuffle(order, random);
        double lossSum = 0;
        int steps = 0;
        for (int from = 0; from + 1 < order.size(); from += config.batchSize()) {
          List<Example> batch = order.subList(from, Math.min(order.size(), from + config.batchSize()));
          lossSum += step(model, adam, base, scale, masked, queries, passages, batch, config, random);
          steps++;
        }
        devScore = dev.apply(rows -> embed(model, rows));
        Epoch e = new Epoch(epoch, lossSum / Math.max(1, steps), devScore, (System.nanoTime() - t0) / 1e9);
        epochs.add(e);
        log.accept(e);
        if (devScore > bestDev) {
          bestDev = devScore;
          best = model.values();
          bestEpoch = epoch;
          sinceBest = 0;
        } else if (++sinceBest >= config.patience()) {
          break;
        }
      }
      return new Result(best, bestEpoch, epochs, model.size());
    }
  }

  private static double step(HeadModel model, Optimizer adam, NDManager base, NDArray scale, NDArray masked,
      float[][] queries, float[][] passages, List<Example> batch, Config config, Random random) {
    int b = batch.size();
    int h = config.hardNegatives();
    // candidate passages: the batch's positives, then each query's sampled hard negatives
    List<Integer> candidates = new ArrayList<>();
    for (Example e : batch) {
      candidates.add(e.positive());
    }
    for (Example e : batch) {
      for (int j = 0; j < h && e.hardNegatives().length > 0; j++) {
        candidates.add(e.hardNegatives()[random.nextInt(Math.min(e.hardNegatives().length, 4 * h))]);
      }
    }
    int c = candidates.size();
    float[] mask = new float[b * c];
    float[] target = new float[b * c];
    for (int i = 0; i < b; i++) {
      Example e = batch.get(i);
      target[i * c + i] = 1f;
      for (int j = 0; j < c; j++) {
        if (j != i && e.relevant().contains(candidates.get(j))) {
          mask[i * c + j] = 1f;
        }
      }
    }
    double loss;
    try (NDManager stepManager = base.newSubManager()) {
      NDArray q = rows(stepManager, queries, batch.stream().mapToInt(Example::query).toArray());
      NDArray p = rows(stepManager, passages, candidates.stream().mapToInt(Integer::intValue).toArray());
      NDArray maskArray = stepManager.create(mask, new Shape(b, c));
      NDArray targetArray = stepManager.create(target, new Shape(b, c));
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray qe = model.forward(q, stepManager);
        NDArray pe = model.forward(p, stepManager);
        NDArray logits = qe.matMul(pe.transpose()).mul(scale).add(maskArray.mul(masked));
        NDArray l = logits.logSoftmax(1).mul(targetArray).sum().div(stepManager.create((float) -b));
        gc.backward(l);
        loss = l.getFloat();
      }
      for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
        NDArray grad = e.getValue().getGradient();
        grad.attach(stepManager);
        adam.update(e.getKey(), e.getValue(), grad);
        grad.subi(grad);
      }
    }
    if (!Double.isFinite(loss)) {
      throw new IllegalStateException("training diverged: loss is " + loss);
    }
    return loss;
  }

  private static NDArray rows(NDManager m, float[][] table, int[] rows) {
    int width = table[0].length;
    float[] flat = new float[rows.length * width];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(table[rows[i]], 0, flat, i * width, width);
    }
    return m.create(flat, new Shape(rows.length, width));
  }

  /** Embeds feature rows with the current head, without gradients, in chunks. */
  public static float[][] embed(HeadModel model, float[][] features) {
    float[][] out = new float[features.length][];
    int d = model.shape().hidden();
    for (int from = 0; from < features.length; from += 512) {
      int to = Math.min(features.length, from + 512);
      int[] idx = new int[to - from];
      for (int i = 0; i < idx.length; i++) {
        idx[i] = from + i;
      }
      try (NDManager m = model.manager().newSubManager()) {
        float[] y = model.forward(rows(m, features, idx), m).toFloatArray();
        for (int i = 0; i < idx.length; i++) {
          out[from + i] = java.util.Arrays.copyOfRange(y, i * d, (i + 1) * d);
        }
      }
    }
    return out;
  }
}
