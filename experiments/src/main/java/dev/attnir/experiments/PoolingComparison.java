package dev.attnir.experiments;

import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EmbeddingIdentity;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.cache.EmbeddingCache;
import dev.attnir.encoders.pooling.TrainedHeadPooling;
import dev.attnir.encoders.pooling.WhiteningAccumulator;
import dev.attnir.encoders.pooling.WhiteningTransform;
import dev.attnir.eval.data.Qrels;
import dev.attnir.eval.data.TrecRun;
import dev.attnir.eval.metrics.EvaluationResult;
import dev.attnir.eval.metrics.Evaluator;
import dev.attnir.eval.metrics.Metric;
import dev.attnir.eval.metrics.PairedTests;
import dev.attnir.indexer.Passage;
import dev.attnir.indexer.embedding.Reservoir;
import dev.attnir.indexer.retrieve.ExactDense;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compares poolings of one model on one dataset: every pooling's passage and query vectors come from one (cached)
 * encoder pass, whitening is fitted on a seeded sample of the passages' base vectors exactly as an index build samples
 * them, every variant is searched exhaustively with max-passage aggregation (the dense retriever over an in-memory index, as
 * dense retrieval over an index on disk with {@code --exact}), scored with trec_eval's metrics and tested against the
 * model's native pooling.
 */
public final class PoolingComparison {

  /** A pooling to compare: a plain pooling, whitening on top of a base pooling, or a trained head. */
  public sealed interface Variant permits Plain, Whitened, Headed {
    /** Label in reports. */
    String label();

    /** The stateless pooling whose raw vectors this variant starts from. */
    Pooling base();
  }

  /** A pooling used as is. */
  public record Plain(String label, Pooling base) implements Variant {}

  /** A trained head applied to its layer features (cached like any pooling). */
  public record Headed(String label, TrainedHeadPooling head) implements Variant {
    @Override
    public Pooling base() {
      return head.features();
    }
  }

  /** Whitening fitted on the passages' base vectors. */
  public record Whitened(String label, Pooling base, Integer dims, int sample, double epsilon, long seed)
      implements Variant {}

  /**
   * One variant's outcome.
   *
   * @param label variant label
   * @param result per-query metrics
   * @param vsNative comparison with the native pooling per metric (null for the native pooling itself)
   * @param run the run
   */
  public record Row(String label, EvaluationResult result, Map<String, PairedTests.Comparison> vsNative, TrecRun run) {}

  private PoolingComparison() {}

  /**
   * Runs the comparison.
   *
   * @param passages the corpus's passages (their contents are embedded with the passage prefix)
   * @param queries judged queries by id
   * @param nativeLabel label of the variant the others are tested against
   * @param k documents retrieved per query
   */
  public static List<Row> run(OnnxEncoder encoder, List<Passage> passages, Map<String, String> queries, Qrels qrels,
      List<Variant> variants, String nativeLabel, EmbeddingCache cache, List<Metric> metrics, int k,
      int permutations, long seed, ProgressListener progress) {
    List<Pooling> bases = new ArrayList<>();
    for (Variant v : variants) {
      if (bases.stream().noneMatch(b -> sameIdentity(b, v.base()))) {
        bases.add(v.base());
      }
    }
    List<String> contents = passages.stream().map(Passage::contents).toList();
    List<String> queryIds = new ArrayList<>(queries.keySet());
    List<String> queryTexts = queryIds.stream().map(queries::get).toList();
    List<float[][]> passageRaw = cache.embed(encoder, bases, contents, encoder.spec().passagePrefix(), progress);
    List<float[][]> queryRaw = cache.embed(encoder, bases, queryTexts, encoder.spec().queryPrefix(),
        ProgressListener.none());
    boolean normalize = encoder.spec().normalize();

    Map<String, EvaluationResult> results = new LinkedHashMap<>();
    Map<String, TrecRun> runs = new LinkedHashMap<>();
    for (Variant v : variants) {
      int b = indexOf(bases, v.base());
      float[][] docs = passageRaw.get(b);
      float[][] qs = queryRaw.get(b);
      if (v instanceof Headed h) {
        docs = forward(h.head(), docs);
        qs = forward(h.head(), qs);
      } else if (v instanceof Whitened w) {
        Reservoir<Integer> sample = new Reservoir<>(w.sample(), w.seed());
        for (int i = 0; i < docs.length; i++) {
          sample.offer(i);
        }
        WhiteningAccumulator acc = new WhiteningAccumulator(docs[0].length);
        for (int i : sample.sample()) {
          acc.add(docs[i]);
        }
        int dims = w.dims() == null ? docs[0].length : w.dims();
        WhiteningTransform t = WhiteningTransform.fit(acc, dims, w.epsilon(), encoder.spec().name(),
            encoder.fingerprint());
        docs = apply(t, docs);
        qs = apply(t, qs);
      }
      if (normalize) {
        docs = Embedder.l2Normalized(docs);
        qs = Embedder.l2Normalized(qs);
      }
      TrecRun run = TrecRun.fromRankings(ExactDense.search(passages, docs, identity(encoder, v, docs[0].length),
          queryIds, qs, k));
      runs.put(v.label(), run);
      results.put(v.label(), Evaluator.evaluate(run, qrels, metrics, Evaluator.Averaging.ALL_JUDGED));
    }
    EvaluationResult nat = results.get(nativeLabel);
    if (nat == null) {
      throw new IllegalArgumentException("native pooling '" + nativeLabel + "' is not among the variants");
    }
    List<Row> rows = new ArrayList<>();
    for (var e : results.entrySet()) {
      Map<String, PairedTests.Comparison> cmp = null;
      if (!e.getKey().equals(nativeLabel)) {
        cmp = new LinkedHashMap<>();
        for (Metric m : metrics) {
          cmp.put(m.name(), PairedTests.compare(nat.perQuery().get(m.name()), e.getValue().perQuery().get(m.name()),
              permutations, seed));
        }
      }
      rows.add(new Row(e.getKey(), e.getValue(), cmp, runs.get(e.getKey())));
    }
    return rows;
  }

  private static boolean sameIdentity(Pooling a, Pooling b) {
    return a.name().equals(b.name()) && a.parameters().equals(b.parameters());
  }

  private static int indexOf(List<Pooling> list, Pooling p) {
    for (int i = 0; i < list.size(); i++) {
      if (sameIdentity(list.get(i), p)) {
        return i;
      }
    }
    throw new IllegalStateException();
  }

  private static float[][] forward(TrainedHeadPooling head, float[][] features) {
    float[][] out = new float[features.length][];
    for (int from = 0; from < features.length; from += 256) {
      int to = Math.min(features.length, from + 256);
      float[][] chunk = head.forward(to - from, java.util.Arrays.copyOfRange(features, from, to));
      System.arraycopy(chunk, 0, out, from, to - from);
    }
    return out;
  }

  private static float[][] apply(WhiteningTransform t, float[][] m) {
    float[][] out = new float[m.length][];
    for (int i = 0; i < m.length; i++) {
      out[i] = t.apply(m[i]);
    }
    return out;
  }

  /**
   * What the variant's final vectors are, for the in-memory index they are searched in. Whitened and headed variants
   * are named by their base pooling plus a marker: their fitted state is not in this identity, which only has to be
   * the same on both sides of one search.
   */
  private static EmbeddingIdentity identity(OnnxEncoder encoder, Variant v, int dims) {
    EmbeddingIdentity base = Embedder.identity(encoder, v.base(), encoder.spec().normalize());
    return new EmbeddingIdentity(base.model(), base.modelSha256(), v.label(), base.poolingParameters(),
        base.normalize(), base.maxLength(), base.queryPrefix(), base.passagePrefix(), base.similarity(), dims);
  }
}
