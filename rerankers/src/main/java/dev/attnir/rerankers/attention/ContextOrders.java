package dev.attnir.rerankers.attention;

import java.util.ArrayList;
import java.util.List;

/**
 * Context orders for a reader (RAG): which candidate goes in which slot. Not relevance rankings: the output is the
 * order passages are placed in the reader's context, and is kept out of nDCG tables.
 *
 * <ul>
 *   <li>{@link #retrieval}: as retrieved, best first.</li>
 *   <li>{@link #uShape}: "lost in the middle" reordering: the best at both ends, the worst in the middle.</li>
 *   <li>{@link #attnRank}: AttnRank ("Attention Basin: Why Contextual Position Matters in LLMs"): the best candidate in
 *       the reader's most attended slot (by its {@link SlotProfile}), the second in the second most attended, and so
 *       on.</li>
 * </ul>
 */
public final class ContextOrders {

  private ContextOrders() {}

  /** Retrieval order: slot i holds candidate i. */
  public static <T> List<T> retrieval(List<T> bestFirst) {
    return List.copyOf(bestFirst);
  }

  /** Best first, second last, third second, fourth second to last, ... */
  public static <T> List<T> uShape(List<T> bestFirst) {
    int n = bestFirst.size();
    List<T> slots = new ArrayList<>(java.util.Collections.nCopies(n, null));
    int front = 0;
    int back = n - 1;
    for (int i = 0; i < n; i++) {
      if (i % 2 == 0) {
        slots.set(front++, bestFirst.get(i));
      } else {
        slots.set(back--, bestFirst.get(i));
      }
    }
    return slots;
  }

  /**
   * AttnRank's order: candidate r (0 = best) goes to the r-th most attended slot of {@code profile}.
   *
   * @throws IllegalArgumentException when the list size differs from the profile's
   */
  public static <T> List<T> attnRank(List<T> bestFirst, SlotProfile profile) {
    int n = bestFirst.size();
    if (n != profile.k()) {
      throw new IllegalArgumentException("AttnRank: " + n + " candidates, but the profile is for k=" + profile.k());
    }
    int[] slots = profile.slotsByAttention();
    List<T> out = new ArrayList<>(java.util.Collections.nCopies(n, null));
    for (int r = 0; r < n; r++) {
      out.set(slots[r], bestFirst.get(r));
    }
    return out;
  }
}
