package dev.attnir.training;

import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EmbeddingIdentity;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.cache.EmbeddingCache;
import dev.attnir.encoders.pooling.HeadState;
import dev.attnir.encoders.pooling.LayerFeaturesPooling;
import dev.attnir.encoders.pooling.Poolings;
import dev.attnir.eval.data.BeirDataset;
import dev.attnir.eval.data.CorpusReader;
import dev.attnir.eval.data.Qrels;
import dev.attnir.eval.data.TrecRun;
import dev.attnir.eval.metrics.Evaluator;
import dev.attnir.eval.metrics.Ndcg;
import dev.attnir.indexer.Passage;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.indexer.PassageSplitter;
import dev.attnir.indexer.retrieve.ExactDense;
import dev.attnir.training.HeadOnnxExporter;
import dev.attnir.training.HeadShape;
import dev.attnir.training.HeadTrainer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Trains a multi-layer pooling head for an encoder on the training splits of BEIR datasets: per-layer features of
 * every query and passage come from the (cached) frozen encoder, hard negatives are the best-ranked non-relevant
 * passages under the model's native pooling, a seeded part of each dataset's training queries is held out as a dev
 * set (nDCG@10 by exact retrieval over that dataset's whole corpus), and the best epoch on dev is exported to ONNX and
 * checked against the training forward pass.
 *
 * <p>Which epoch is best depends on {@link Selection}: the mean dev nDCG@10 over the datasets (the paper trains on one
 * mixture and has no such choice), or the worst gain over the native pooling on any dataset. The mean lets a large gain
 * on one dataset hide a loss on another; the worst gain picks the epoch that helps (or hurts least) everywhere.
 */
public final class HeadTraining {

  /**
   * A training dataset.
   *
   * @param name label in reports
   * @param data the BEIR dataset opened on its training split
   */
  public record Source(String name, BeirDataset data) {}

  /**
   * Settings beyond the trainer's.
   *
   * @param layerInput {@code mean} (reference) or {@code cls}
   * @param firstLayer first hidden state read (1 = the reference's choice; 0 adds the embedding output)
   * @param shape head sizes (layers and hidden are filled from the model)
   * @param devFraction training queries held out for the dev metric
   * @param mineDepth passages retrieved per query for hard-negative mining
   * @param trainer trainer settings
   */
  public record Settings(String layerInput, int firstLayer, int latents, int heads, int headDim, int ffMult,
      double devFraction, int mineDepth, Selection selection, HeadTrainer.Config trainer) {}

  /** How the best epoch is chosen from the per-dataset dev nDCG@10. */
  public enum Selection {
    /** The mean over datasets of the head's dev nDCG@10. */
    MEAN,
    /** The smallest, over datasets, of the head's dev nDCG@10 minus the native pooling's. */
    WORST_GAIN;

    /** Parses {@code mean} or {@code worst-gain}. */
    public static Selection parse(String name) {
      return switch (name) {
        case "mean" -> MEAN;
        case "worst-gain" -> WORST_GAIN;
        default -> throw new IllegalArgumentException("--select-by must be mean or worst-gain, got '" + name + "'");
      };
    }
  }

  /**
   * Outcome.
   *
   * @param state the head, ready to write
   * @param result training result
   * @param report sizes and settings for the record
   * @param nativeDev each dataset's dev nDCG@10 with the model's native pooling
   * @param devByEpoch each dataset's dev nDCG@10 with the head, per evaluated epoch (0 = the initial head)
   */
  public record Outcome(HeadState state, HeadTrainer.Result result, Map<String, Object> report,
      Map<String, Double> nativeDev, List<Map<String, Double>> devByEpoch) {}

  private HeadTraining() {}

  /**
   * Trains a head. {@code log} receives every evaluated epoch (0 = the initial head) with each dataset's dev
   * nDCG@10; the native pooling's dev nDCG@10 per dataset is in the outcome.
   */
  public static Outcome run(OnnxEncoder encoder, List<Source> sources, PassageSettings passageSettings,
      Settings settings, EmbeddingCache cache, ProgressListener encoding,
      BiConsumer<HeadTrainer.Epoch, Map<String, Double>> log) {
    int layers = encoder.numLayers();
    LayerFeaturesPooling features = new LayerFeaturesPooling(settings.layerInput(), settings.firstLayer(), layers);
    Pooling nativePooling = Poolings.parse(encoder.spec().pooling(), encoder.spec());
    EmbeddingIdentity nativeIdentity = Embedder.identity(encoder, nativePooling, true);
    List<float[]> queryRows = new ArrayList<>();
    List<float[]> passageRows = new ArrayList<>();
    List<HeadTrainer.Example> examples = new ArrayList<>();
    List<DevSet> devSets = new ArrayList<>();
    Map<String, Double> nativeDev = new LinkedHashMap<>();
    List<Map<String, Double>> devByEpoch = new ArrayList<>();
    Map<String, Object> report = new LinkedHashMap<>();
    Random random = new Random(settings.trainer().seed());
    for (Source source : sources) {
      BeirDataset ds = source.data();
      PassageSplitter splitter = PassageSplitter.forEncoder(passageSettings, encoder);
      List<Passage> passages = splitter.splitAll(CorpusReader.stream(ds.corpus(), CorpusReader.InvalidPolicy.FAIL));
      List<String> contents = passages.stream().map(Passage::contents).toList();
      List<String> qids = new ArrayList<>(ds.queries().keySet());
      List<String> qtexts = qids.stream().map(ds.queries()::get).toList();
      List<float[][]> p = cache.embed(encoder, List.of(features, nativePooling), contents,
          encoder.spec().passagePrefix(), encoding);
      List<float[][]> q = cache.embed(encoder, List.of(features, nativePooling), qtexts,
          encoder.spec().queryPrefix(), ProgressListener.none());
      int passageOffset = passageRows.size();
      int queryOffset = queryRows.size();
      Collections.addAll(passageRows, p.get(0));
      Collections.addAll(queryRows, q.get(0));

      // dev split: a seeded part of the training queries
      List<String> shuffled = new ArrayList<>(qids);
      Collections.shuffle(shuffled, random);
      int devCount = (int) Math.round(settings.devFraction() * shuffled.size());
      Set<String> dev = new HashSet<>(shuffled.subList(0, devCount));

      // passages of each document, for relevance and hard negatives
      Map<String, List<Integer>> byDoc = new HashMap<>();
      for (int i = 0; i < passages.size(); i++) {
        byDoc.computeIfAbsent(passages.get(i).docId(), k -> new ArrayList<>()).add(passageOffset + i);
      }
      float[][] nativeP = Embedder.l2Normalized(p.get(1));
      float[][] nativeQ = Embedder.l2Normalized(q.get(1));
      TrecRun mined = TrecRun.fromRankings(ExactDense.search(passages, nativeP, nativeIdentity, qids, nativeQ,
          settings.mineDepth()));
      int trainQueries = 0;
      for (int i = 0; i < qids.size(); i++) {
        String qid = qids.get(i);
        if (dev.contains(qid)) {
          continue;
        }
        Map<String, Integer> judged = ds.qrels().of(qid);
        Set<Integer> relevant = new HashSet<>();
        List<Integer> positives = new ArrayList<>();
        judged.forEach((doc, grade) -> {
          if (grade > 0 && byDoc.containsKey(doc)) {
            relevant.addAll(byDoc.get(doc));
            positives.add(byDoc.get(doc).get(0));
          }
        });
        if (positives.isEmpty()) {
          continue;
        }
        List<Integer> negatives = new ArrayList<>();
        for (TrecRun.Entry e : mined.ranked(qid)) {
          if (judged.getOrDefault(e.docId(), 0) <= 0) {
            negatives.add(byDoc.get(e.docId()).get(0));
          }
        }
        int[] neg = negatives.stream().mapToInt(Integer::intValue).toArray();
        for (int pos : positives) {
          examples.add(new HeadTrainer.Example(queryOffset + i, pos, relevant, neg));
        }
        trainQueries++;
      }
      DevSet devSet = new DevSet(source.name(), passages, passageOffset, qids, queryOffset, dev, ds.qrels());
      devSets.add(devSet);
      nativeDev.put(source.name(), devSet.ndcg10(x -> x, nativeIdentity, nativeQ, nativeP, 0, 0));
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("passages", passages.size());
      r.put("queries", qids.size());
      r.put("trainQueries", trainQueries);
      r.put("devQueries", dev.size());
      r.put("devQueryIds", qids.stream().filter(dev::contains).toList());
      report.put(source.name(), r);
    }
    float[][] queries = queryRows.toArray(new float[0][]);
    float[][] passages = passageRows.toArray(new float[0][]);
    HeadShape shape = new HeadShape(features.count(), encoder.hiddenSize(), settings.latents(), settings.heads(),
        settings.headDim(), settings.ffMult());
    // the head's vectors (unit length, hidden-sized) are searched as vectors of their own kind
    EmbeddingIdentity headIdentity = new EmbeddingIdentity(nativeIdentity.model(), nativeIdentity.modelSha256(),
        "trained (in training)", Map.of(), true, nativeIdentity.maxLength(), nativeIdentity.queryPrefix(),
        nativeIdentity.passagePrefix(), nativeIdentity.similarity(), encoder.hiddenSize());
    Function<Function<float[][], float[][]>, Double> devMetric = embed -> {
      Map<String, Double> byDataset = new LinkedHashMap<>();
      double sum = 0;
      double worstGain = Double.POSITIVE_INFINITY;
      for (DevSet d : devSets) {
        double v = d.ndcg10(embed, headIdentity, queries, passages, d.queryOffset(), d.passageOffset());
        byDataset.put(d.name(), v);
        sum += v;
        worstGain = Math.min(worstGain, v - nativeDev.get(d.name()));
      }
      devByEpoch.add(byDataset);
      return settings.selection() == Selection.MEAN ? sum / devSets.size() : worstGain;
    };
    report.put("examples", examples.size());
    HeadTrainer.Result result = HeadTrainer.train(shape, queries, passages, examples, devMetric, settings.trainer(),
        epoch -> log.accept(epoch, devByEpoch.get(devByEpoch.size() - 1)));
    byte[] onnx = HeadOnnxExporter.export(shape, result.best(), settings.trainer().seed());
    Map<String, String> training = new LinkedHashMap<>();
    training.put("datasets", String.join(",", sources.stream().map(Source::name).toList()));
    training.put("examples", Integer.toString(examples.size()));
    training.put("best_epoch", Integer.toString(result.bestEpoch()));
    training.put("selection", settings.selection().name().toLowerCase(java.util.Locale.ROOT));
    training.put("seed", Long.toString(settings.trainer().seed()));
    training.put("loss", "InfoNCE scale " + settings.trainer().scale() + ", in-batch + "
        + settings.trainer().hardNegatives() + " hard negatives");
    HeadState state = new HeadState(new HeadState.HeadConfig(encoder.spec().name(), encoder.fingerprint(),
        encoder.hiddenSize(), settings.layerInput(), settings.firstLayer(), layers, settings.latents(),
        settings.heads(), settings.headDim(), settings.ffMult(), training), onnx);
    report.put("parameters", result.parameters());
    return new Outcome(state, result, report, nativeDev, devByEpoch);
  }

  /** Held-out training queries of one dataset, scored by exact retrieval over its whole corpus. */
  private record DevSet(String name, List<Passage> passages, int passageOffset, List<String> qids, int queryOffset,
      Set<String> dev, Qrels qrels) {

    /**
     * nDCG@10 of the dev queries, their rows at {@code queryRowOffset} in {@code queries}, over this dataset's
     * passages, at {@code passageRowOffset} in {@code allPassages}, after {@code embed} (which gives vectors of
     * {@code identity}).
     */
    double ndcg10(Function<float[][], float[][]> embed, EmbeddingIdentity identity, float[][] queries,
        float[][] allPassages, int queryRowOffset, int passageRowOffset) {
      float[][] p = embed.apply(java.util.Arrays.copyOfRange(allPassages, passageRowOffset,
          passageRowOffset + passages.size()));
      List<String> ids = new ArrayList<>();
      List<float[]> rows = new ArrayList<>();
      for (int i = 0; i < qids.size(); i++) {
        if (dev.contains(qids.get(i))) {
          ids.add(qids.get(i));
          rows.add(queries[queryRowOffset + i]);
        }
      }
      float[][] q = embed.apply(rows.toArray(new float[0][]));
      TrecRun run = TrecRun.fromRankings(ExactDense.search(passages, p, identity, ids, q, 100));
      Map<String, Map<String, Integer>> judged = new LinkedHashMap<>();
      for (String id : ids) {
        judged.put(id, qrels.of(id));
      }
      return Evaluator.evaluate(run, new Qrels(judged), List.of(new Ndcg(10)), Evaluator.Averaging.ALL_JUDGED)
          .mean("nDCG@10");
    }
  }
}
