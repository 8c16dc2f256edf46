package dev.attnir.rerankers.attention;

import dev.attnir.core.Candidate;
import dev.attnir.core.Ranking;
import dev.attnir.core.Reranker;
import dev.attnir.core.ScoredDoc;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Attention sorting (Peysakhovich and Lerer, "Attention Sorting Combats Recency Bias in Long Context Language
 * Models", 2023): read the context, sort the passages by the attention they received so the most attended is last
 * (nearest the question), and repeat for {@code rounds} rounds; every round's order is recorded.
 *
 * <p>As a {@link Reranker} the final context order is read backwards: the passage placed last (most attended) is
 * ranked first. Deviations: the paper reads a decoder's attention during one decoding step of the answer; an
 * {@link EncoderReader} has no decoding step, so the attention of the query tokens (or the last query token,
 * {@link AttentionReader.Focus#LAST_QUERY_TOKEN}, the closest analogue) is used. Ties keep the current order.
 */
public final class AttentionSorting implements Reranker, AutoCloseable {

  private final AttentionReader reader;
  private final AttentionReader.Focus focus;
  private final int rounds;
  private final boolean ownsReader;

  /** Sorting with {@code reader} for {@code rounds} rounds. */
  public AttentionSorting(AttentionReader reader, AttentionReader.Focus focus, int rounds, boolean ownsReader) {
    if (rounds < 1) {
      throw new IllegalArgumentException("attention sorting needs at least 1 round, got " + rounds);
    }
    this.reader = reader;
    this.focus = focus;
    this.rounds = rounds;
    this.ownsReader = ownsReader;
  }

  /** True: passages are read together. */
  @Override
  public boolean scoresDependOnTheList() {
    return true;
  }

  @Override
  public String name() {
    return "attention-sorting-" + reader.name() + "-r" + rounds;
  }

  /**
   * The context order after each round: element r holds, for each slot, the index (into {@code passages}) of the
   * passage placed there after round r + 1.
   */
  public List<int[]> rounds(String query, List<String> passages) {
    int n = passages.size();
    int[] order = new int[n];
    Arrays.setAll(order, i -> i);
    List<int[]> out = new ArrayList<>(rounds);
    for (int r = 0; r < rounds; r++) {
      List<String> placed = new ArrayList<>(n);
      for (int i : order) {
        placed.add(passages.get(i));
      }
      ContextAttention a = reader.read(List.of(new AttentionReader.Context(query, placed)), focus).get(0);
      Integer[] slots = new Integer[n];
      for (int s = 0; s < n; s++) {
        slots[s] = s;
      }
      Arrays.sort(slots, (x, y) -> Double.compare(a.mass(x), a.mass(y))); // ascending: most attended last; stable
      int[] next = new int[n];
      for (int s = 0; s < n; s++) {
        next[s] = order[slots[s]];
      }
      order = next;
      out.add(order.clone());
    }
    return out;
  }

  @Override
  public Ranking rerank(String query, List<Candidate> candidates) {
    if (candidates.isEmpty()) {
      return Ranking.empty();
    }
    List<String> texts = candidates.stream().map(Candidate::text).toList();
    List<int[]> all = rounds(query, texts);
    int[] last = all.get(all.size() - 1);
    int n = last.length;
    List<ScoredDoc> docs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      docs.add(candidates.get(last[n - 1 - i]).scored(n - i));
    }
    return new Ranking(docs);
  }

  @Override
  public void close() {
    if (ownsReader) {
      reader.close();
    }
  }
}
