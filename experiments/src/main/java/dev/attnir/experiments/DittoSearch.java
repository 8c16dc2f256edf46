package dev.attnir.experiments;

import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.cache.EmbeddingCache;
import dev.attnir.encoders.pooling.DittoPooling;
import dev.attnir.eval.data.Qrels;
import dev.attnir.eval.data.TrecRun;
import dev.attnir.eval.metrics.Evaluator;
import dev.attnir.eval.metrics.Metric;
import dev.attnir.indexer.Passage;
import dev.attnir.indexer.retrieve.ExactDense;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Ditto layer/head search: every (layer, head) pair's Ditto embeddings from one encoder pass exposing all
 * attention maps, each pair scored by exact retrieval on a split that is not the test split; the best pair is the one
 * to store with the model. The Ditto paper fixes the pair for BERT-base (layer 0, head 9); for other models none is
 * published, hence the search.
 */
public final class DittoSearch {

  /**
   * Scores of all pairs.
   *
   * @param scores {@code scores[layer][head]}: mean of the metric over the split's judged queries
   * @param bestLayer layer of the best pair
   * @param bestHead head of the best pair
   */
  public record Result(double[][] scores, int bestLayer, int bestHead) {
    public double best() {
      return scores[bestLayer][bestHead];
    }
  }

  private DittoSearch() {}

  /**
   * Runs the search over {@code layers x heads} pairs for each variant (the first variant's best pair is in the
   * result; every variant's scores are in {@code scoresOut}).
   *
   * @param alsoCache further poolings encoded (and cached) in the same pass, so later comparisons re-use it
   */
  public static Map<DittoPooling.Variant, Result> run(OnnxEncoder encoder, List<DittoPooling.Variant> variants,
      List<Passage> passages, Map<String, String> queries, Qrels qrels, Metric metric, int k, EmbeddingCache cache,
      List<Pooling> alsoCache, ProgressListener progress) {
    int layers = encoder.numLayers();
    int heads = headsOf(encoder);
    List<Pooling> pairs = new ArrayList<>();
    for (DittoPooling.Variant variant : variants) {
      for (int l = 0; l < layers; l++) {
        for (int h = 0; h < heads; h++) {
          pairs.add(new DittoPooling(l, h, variant));
        }
      }
    }
    List<Pooling> all = new ArrayList<>(pairs);
    all.addAll(alsoCache);
    List<String> contents = passages.stream().map(Passage::contents).toList();
    List<String> ids = new ArrayList<>(queries.keySet());
    List<String> texts = ids.stream().map(queries::get).toList();
    List<float[][]> docs = cache.embed(encoder, all, contents, encoder.spec().passagePrefix(), progress);
    List<float[][]> qs = cache.embed(encoder, all, texts, encoder.spec().queryPrefix(), ProgressListener.none());
    Map<DittoPooling.Variant, Result> results = new java.util.LinkedHashMap<>();
    for (int vi = 0; vi < variants.size(); vi++) {
      int from = vi * layers * heads;
      int to = from + layers * heads;
      results.put(variants.get(vi), score(encoder, pairs.subList(from, to), passages, ids, qrels, metric, k,
          docs.subList(from, to), qs.subList(from, to), layers, heads));
    }
    return results;
  }

  private static Result score(OnnxEncoder encoder, List<Pooling> pairs, List<Passage> passages, List<String> ids,
      Qrels qrels, Metric metric, int k, List<float[][]> docs, List<float[][]> qs, int layers, int heads) {
    double[][] scores = new double[layers][heads];
    int bestL = 0;
    int bestH = 0;
    for (int i = 0; i < docs.size(); i++) {
      TrecRun run = TrecRun.fromRankings(ExactDense.search(passages, Embedder.l2Normalized(docs.get(i)),
          Embedder.identity(encoder, pairs.get(i), true), ids, Embedder.l2Normalized(qs.get(i)), k));
      double s = Evaluator.evaluate(run, qrels, List.of(metric), Evaluator.Averaging.ALL_JUDGED).mean(metric.name());
      int l = i / heads;
      int h = i % heads;
      scores[l][h] = s;
      if (s > scores[bestL][bestH]) {
        bestL = l;
        bestH = h;
      }
    }
    return new Result(scores, bestL, bestH);
  }

  /** Attention heads of the model, learned from a session exposing one attention map. */
  static int headsOf(OnnxEncoder encoder) {
    int[] heads = new int[1];
    encoder.encode(List.of("heads"), dev.attnir.encoders.TensorRequest.none().withAttentions(0),
        (rows, out) -> heads[0] = out.numHeads(), ProgressListener.none());
    return heads[0];
  }
}
