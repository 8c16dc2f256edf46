package dev.attnir.experiments;

import dev.attnir.core.Candidate;
import dev.attnir.core.Ranking;
import dev.attnir.core.Reranker;
import dev.attnir.core.ScoredDoc;
import dev.attnir.eval.data.Qrels;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.math3.stat.correlation.KendallsCorrelation;

/**
 * How much a reranker's output depends on the order its candidates arrive in.
 *
 * <ul>
 *   <li>Shuffle agreement: Kendall's tau-b between the output for the first-stage order and the output for each of
 *       {@code shuffles} seeded shuffles of the same candidates (ranks renumbered to the shuffled order, as a
 *       different first stage would hand them over). 1 = order-independent.</li>
 *   <li>Slot test, as ListT5 measures it: one positive and the first-stage's top 4 judged negatives, with the positive
 *       placed at each of the 5 input slots in turn (negatives in first-stage order around it); the share of queries
 *       whose positive is ranked first, per slot. Equal across slots = no position preference.</li>
 * </ul>
 */
public final class OrderSensitivity {

  private OrderSensitivity() {}

  /**
   * @param tau per query, mean tau over its shuffles
   * @param firstBySlot per input slot of the positive, share of slot-test queries with the positive ranked first
   * @param slotQueries queries with a positive and 4 judged negatives
   */
  public record Result(String reranker, double[] tau, double[] firstBySlot, int slotQueries) {

    public double meanTau() {
      return AttnRankStudy.mean(tau);
    }

    public double minTau() {
      double m = Double.POSITIVE_INFINITY;
      for (double t : tau) {
        m = Math.min(m, t);
      }
      return m;
    }
  }

  /** Measures {@code reranker} on the queries' top {@code depth} candidates (first-stage order). */
  public static Result measure(Reranker reranker, Map<String, String> queries, Map<String, List<Candidate>> lists,
      Qrels qrels, int depth, int shuffles, int minGrade, long seed) {
    List<Double> taus = new ArrayList<>();
    int[] first = new int[5];
    int slotQueries = 0;
    for (Map.Entry<String, String> q : queries.entrySet()) {
      List<Candidate> all = lists.get(q.getKey());
      if (all == null || all.size() < 2) {
        continue;
      }
      List<Candidate> top = all.subList(0, Math.min(depth, all.size()));
      List<String> original = ids(reranker.rerank(q.getValue(), top));
      Random random = new Random(seed ^ q.getKey().hashCode());
      double sum = 0;
      for (int s = 0; s < shuffles; s++) {
        List<Candidate> shuffled = new ArrayList<>(top);
        Collections.shuffle(shuffled, random);
        sum += tau(original, ids(reranker.rerank(q.getValue(), renumbered(shuffled))));
      }
      taus.add(sum / shuffles);

      Map<String, Integer> judged = qrels.of(q.getKey());
      Candidate positive = null;
      List<Candidate> negatives = new ArrayList<>();
      for (Candidate c : all) {
        Integer grade = judged.get(c.docId());
        if (grade == null) {
          continue;
        }
        if (grade >= minGrade && positive == null) {
          positive = c;
        } else if (grade == 0 && negatives.size() < 4) {
          negatives.add(c);
        }
      }
      if (positive == null || negatives.size() < 4) {
        continue;
      }
      slotQueries++;
      for (int slot = 0; slot < 5; slot++) {
        List<Candidate> five = new ArrayList<>(negatives);
        five.add(slot, positive);
        List<String> out = ids(reranker.rerank(q.getValue(), renumbered(five)));
        if (out.get(0).equals(positive.docId())) {
          first[slot]++;
        }
      }
    }
    double[] tau = taus.stream().mapToDouble(Double::doubleValue).toArray();
    double[] firstBySlot = new double[5];
    for (int s = 0; s < 5; s++) {
      firstBySlot[s] = slotQueries == 0 ? Double.NaN : first[s] / (double) slotQueries;
    }
    return new Result(reranker.name(), tau, firstBySlot, slotQueries);
  }

  static List<Candidate> renumbered(List<Candidate> order) {
    List<Candidate> out = new ArrayList<>(order.size());
    for (int i = 0; i < order.size(); i++) {
      Candidate c = order.get(i);
      out.add(new Candidate(c.docId(), i + 1, c.score(), c.passage(), c.start(), c.end(), c.text()));
    }
    return out;
  }

  private static List<String> ids(Ranking r) {
    List<String> out = new ArrayList<>(r.size());
    for (ScoredDoc d : r) {
      out.add(d.docId());
    }
    return out;
  }

  /** Kendall's tau-b between two orders of the same documents. */
  static double tau(List<String> a, List<String> b) {
    Map<String, Integer> posB = new HashMap<>();
    for (int i = 0; i < b.size(); i++) {
      posB.put(b.get(i), i);
    }
    double[] x = new double[a.size()];
    double[] y = new double[a.size()];
    for (int i = 0; i < a.size(); i++) {
      x[i] = i;
      Integer p = posB.get(a.get(i));
      if (p == null) {
        throw new IllegalStateException("reranker returned different documents for a shuffled input: "
            + a.get(i) + " missing");
      }
      y[i] = p;
    }
    return new KendallsCorrelation().correlation(x, y);
  }
}
