package dev.attnir.experiments;

import dev.attnir.eval.data.Qrels;
import dev.attnir.indexer.SearchHit;
import dev.attnir.indexer.Searcher;
import dev.attnir.rerankers.attention.AttentionReader;
import dev.attnir.rerankers.attention.ContextAttention;
import dev.attnir.rerankers.attention.ContextOrders;
import dev.attnir.rerankers.attention.SlotProfile;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * AttnRank on position-controlled lists: for each question with one judged gold passage, the retriever's top
 * {@code k} passages (the gold put in place of the k-th when the retriever missed it), placed in retrieval order, in
 * the U-shape order and in AttnRank's order, and read by a reader; the measure is the gold passage's share of the
 * attention the passages receive. Calibration questions (for the profile) and evaluation questions come from
 * different splits.
 */
public final class AttnRankStudy {

  private AttnRankStudy() {}

  /** A question's list: passages best first by the retriever, and where the gold passage is in it. */
  public record Item(String queryId, String query, List<String> bestFirst, int goldIndex, boolean goldRetrieved) {}

  /** Mean gold share of one order with its 95% percentile bootstrap interval. */
  public record OrderResult(String order, double mean, double low, double high) {}

  /** Paired difference of two orders' gold shares with its 95% bootstrap interval. */
  public record Difference(String order, String baseline, double mean, double low, double high) {}

  /** Everything measured. */
  public record Result(List<OrderResult> orders, List<Difference> differences, Map<String, double[]> perQuery,
      int items, int goldRetrieved) {}

  /**
   * Lists for the queries (in map order) that have exactly one judged relevant document, at most {@code limit}.
   */
  public static List<Item> items(Searcher searcher, Map<String, String> queries, Qrels qrels, int k, int limit) {
    List<Item> out = new ArrayList<>();
    for (Map.Entry<String, String> q : queries.entrySet()) {
      if (out.size() >= limit) {
        break;
      }
      Map<String, Integer> judged = qrels.of(q.getKey());
      List<String> gold = judged.entrySet().stream().filter(e -> e.getValue() > 0).map(Map.Entry::getKey).toList();
      if (gold.size() != 1) {
        continue;
      }
      List<SearchHit> hits = searcher.dense(q.getValue(), k);
      List<String> texts = new ArrayList<>();
      int goldIndex = -1;
      for (int i = 0; i < hits.size(); i++) {
        texts.add(hits.get(i).text());
        if (hits.get(i).docId().equals(gold.get(0))) {
          goldIndex = i;
        }
      }
      boolean retrieved = goldIndex >= 0;
      if (!retrieved) {
        String text = searcher.backend().passage(gold.get(0), 0).contents();
        texts.set(texts.size() - 1, text);
        goldIndex = texts.size() - 1;
      }
      out.add(new Item(q.getKey(), q.getValue(), texts, goldIndex, retrieved));
    }
    return out;
  }

  /** Gold shares under retrieval order, U-shape and AttnRank, with bootstrap intervals and paired differences. */
  public static Result evaluate(AttentionReader reader, AttentionReader.Focus focus, SlotProfile profile,
      List<Item> items, int bootstrap, long seed, int batch) {
    int k = profile.k();
    profile.requireFor(reader, k, focus, "given");
    Map<String, double[]> shares = new LinkedHashMap<>();
    for (String order : List.of("retrieval", "u-shape", "attnrank")) {
      List<AttentionReader.Context> contexts = new ArrayList<>();
      int[] goldSlot = new int[items.size()];
      for (int i = 0; i < items.size(); i++) {
        Item item = items.get(i);
        if (item.bestFirst().size() != k) {
          throw new IllegalArgumentException("query " + item.queryId() + " has " + item.bestFirst().size()
              + " passages, the profile is for k=" + k);
        }
        List<Integer> ranks = new ArrayList<>();
        for (int r = 0; r < k; r++) {
          ranks.add(r);
        }
        List<Integer> placed = switch (order) {
          case "retrieval" -> ContextOrders.retrieval(ranks);
          case "u-shape" -> ContextOrders.uShape(ranks);
          default -> ContextOrders.attnRank(ranks, profile);
        };
        List<String> passages = new ArrayList<>(k);
        for (int slot = 0; slot < k; slot++) {
          passages.add(item.bestFirst().get(placed.get(slot)));
          if (placed.get(slot) == item.goldIndex()) {
            goldSlot[i] = slot;
          }
        }
        contexts.add(new AttentionReader.Context(item.query(), passages));
      }
      double[] share = new double[items.size()];
      for (int from = 0; from < contexts.size(); from += batch) {
        List<ContextAttention> read = reader.read(contexts.subList(from, Math.min(from + batch, contexts.size())),
            focus);
        for (int j = 0; j < read.size(); j++) {
          ContextAttention a = read.get(j);
          double total = 0;
          for (int s = 0; s < k; s++) {
            total += a.mass(s);
          }
          share[from + j] = a.mass(goldSlot[from + j]) / total;
        }
      }
      shares.put(order, share);
    }
    List<OrderResult> orders = new ArrayList<>();
    for (var e : shares.entrySet()) {
      double[] ci = bootstrapMean(e.getValue(), bootstrap, seed);
      orders.add(new OrderResult(e.getKey(), mean(e.getValue()), ci[0], ci[1]));
    }
    List<Difference> differences = new ArrayList<>();
    for (String baseline : List.of("retrieval", "u-shape")) {
      double[] a = shares.get("attnrank");
      double[] b = shares.get(baseline);
      double[] d = new double[a.length];
      for (int i = 0; i < d.length; i++) {
        d[i] = a[i] - b[i];
      }
      double[] ci = bootstrapMean(d, bootstrap, seed + 1);
      differences.add(new Difference("attnrank", baseline, mean(d), ci[0], ci[1]));
    }
    int retrieved = (int) items.stream().filter(Item::goldRetrieved).count();
    return new Result(orders, differences, shares, items.size(), retrieved);
  }

  /**
   * Attention sorting from retrieval order: the share of items whose gold passage sits in the last slot after each of
   * {@code rounds} rounds (element 0: before sorting, i.e. retrieval order).
   */
  public static double[] goldLastAfterSorting(AttentionReader reader, AttentionReader.Focus focus, List<Item> items,
      int rounds) {
    var sorting = new dev.attnir.rerankers.attention.AttentionSorting(reader, focus, rounds, false);
    double[] last = new double[rounds + 1];
    for (Item item : items) {
      int k = item.bestFirst().size();
      if (item.goldIndex() == k - 1) {
        last[0]++;
      }
      List<int[]> orders = sorting.rounds(item.query(), item.bestFirst());
      for (int r = 0; r < rounds; r++) {
        if (orders.get(r)[k - 1] == item.goldIndex()) {
          last[r + 1]++;
        }
      }
    }
    for (int r = 0; r <= rounds; r++) {
      last[r] /= items.size();
    }
    return last;
  }

  static double mean(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s / v.length;
  }

  /** 95% percentile bootstrap interval of the mean. */
  static double[] bootstrapMean(double[] v, int resamples, long seed) {
    Random random = new Random(seed);
    double[] means = new double[resamples];
    for (int r = 0; r < resamples; r++) {
      double s = 0;
      for (int i = 0; i < v.length; i++) {
        s += v[random.nextInt(v.length)];
      }
      means[r] = s / v.length;
    }
    java.util.Arrays.sort(means);
    return new double[] {means[(int) Math.floor(0.025 * (resamples - 1))],
        means[(int) Math.ceil(0.975 * (resamples - 1))]};
  }
}
