package dev.attnir.eval.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A passage-disjoint split of NQ-open questions: questions are shuffled with a seed, grouped by gold passage (two
 * questions with the same passage stay together) and whole groups fill the held-out part up to its share, so no
 * held-out gold passage is a training target.
 *
 * @param heldOut held-out questions
 * @param train the other questions
 */
public record NqSplit(List<NqOpen.Question> heldOut, List<NqOpen.Question> train) {

  /**
   * Splits {@code questions}.
   *
   * @param heldOutFraction share of questions held out, in (0, 1)
   */
  public static NqSplit of(List<NqOpen.Question> questions, double heldOutFraction, long seed) {
    if (!(heldOutFraction > 0 && heldOutFraction < 1)) {
      throw new IllegalArgumentException("held-out fraction must be between 0 and 1, got " + heldOutFraction);
    }
    List<NqOpen.Question> shuffled = new ArrayList<>(questions);
    Collections.shuffle(shuffled, new Random(seed));
    Map<String, List<NqOpen.Question>> groups = new LinkedHashMap<>();
    for (NqOpen.Question q : shuffled) {
      groups.computeIfAbsent(passageKey(q), x -> new ArrayList<>()).add(q);
    }
    long target = Math.round(heldOutFraction * shuffled.size());
    List<NqOpen.Question> held = new ArrayList<>();
    List<NqOpen.Question> train = new ArrayList<>();
    for (List<NqOpen.Question> g : groups.values()) {
      (held.size() < target ? held : train).addAll(g);
    }
    return new NqSplit(held, train);
  }

  /** Identity of a question's gold passage. */
  public static String passageKey(NqOpen.Question q) {
    return q.title() + "\u0000" + q.passage();
  }
}
