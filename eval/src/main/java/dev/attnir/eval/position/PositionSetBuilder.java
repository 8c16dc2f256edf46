package dev.attnir.eval.position;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.ToIntFunction;

/**
 * Builds position-controlled long documents (after PosIR): each query's relevant passage is placed at a chosen slot
 * among {@code N - 1} distractor passages, and the document records where it went. Distractors are drawn reproducibly
 * (seeded per query) from a pool of passages of other queries; when the query's answers are known, passages containing
 * any of them (case- and space-insensitive) are excluded, so a distractor cannot be relevant by accident.
 *
 * <p>With {@link DistractorChoice#LENGTH_MATCHED}, each query's distractors are drawn from the {@code 2(N - 1)}
 * admissible passages closest to its relevant passage in length (characters). The passages of a document then have
 * nearly equal lengths, so the relevant passage's relative midpoint at slot {@code k} is close to {@code (k + 0.5) / N}
 * and, with {@code N} equal to PosIR's 20 bins, lands in bin {@code k}. In a paired design (every query at every slot)
 * every bin then holds the same queries, and PSI measures the system rather than which queries happened to fall into
 * which bin. This is a control of the set, not of the retrieval system: windows are still cut blindly.
 */
public final class PositionSetBuilder {

  /** Between passages in a document. */
  public static final String SEPARATOR = "\n\n";

  /**
   * A passage: a title and its text, written as {@code title + "\n" + text} ({@code text} alone without a title).
   *
   * @param id identifier (e.g. the question whose gold passage it is)
   * @param title title, possibly empty
   * @param text text
   */
  public record Passage(String id, String title, String text) {
    String block() {
      return title.isBlank() ? text : title + "\n" + text;
    }
  }

  /**
   * A query with its relevant passage and its answers (may be empty when unknown).
   *
   * @param id query id
   * @param text query text
   * @param gold relevant passage
   * @param answers answer strings used to filter distractors
   */
  public record Query(String id, String text, Passage gold, List<String> answers) {}

  /**
   * A built document.
   *
   * @param docId document id
   * @param queryId the query it is relevant to
   * @param slot slot of the relevant passage, 0..passages-1
   * @param passages passages in the document
   * @param text document text
   * @param spanStart relevant passage start (characters)
   * @param spanEnd relevant passage end (characters, exclusive)
   * @param tokens document length in tokens
   * @param distractors ids of the distractor passages, in document order
   */
  public record Doc(String docId, String queryId, int slot, int passages, String text, int spanStart, int spanEnd,
      int tokens, List<String> distractors) {}

  /** Where the relevant passage goes. */
  public sealed interface Slots permits Fixed, Random1, Stratified {
    /** Slots of {@code count} queries in documents of {@code n} passages. */
    int[] assign(int count, int n, long seed);
  }

  /** Always slot {@code k}. */
  public record Fixed(int k) implements Slots {
    @Override
    public int[] assign(int count, int n, long seed) {
      if (k < 0 || k >= n) {
        throw new IllegalArgumentException("slot " + k + " does not exist in documents of " + n + " passages");
      }
      int[] s = new int[count];
      java.util.Arrays.fill(s, k);
      return s;
    }
  }

  /** An independent seeded random slot per query. */
  public record Random1() implements Slots {
    @Override
    public int[] assign(int count, int n, long seed) {
      Random r = new Random(seed);
      int[] s = new int[count];
      for (int i = 0; i < count; i++) {
        s[i] = r.nextInt(n);
      }
      return s;
    }
  }

  /** Every slot used equally often (counts differ by at most one), assigned by a seeded permutation. */
  public record Stratified() implements Slots {
    @Override
    public int[] assign(int count, int n, long seed) {
      List<Integer> order = new ArrayList<>(count);
      for (int j = 0; j < count; j++) {
        order.add(j);
      }
      java.util.Collections.shuffle(order, new Random(seed));
      int[] s = new int[count];
      for (int rank = 0; rank < count; rank++) {
        s[order.get(rank)] = rank % n;
      }
      return s;
    }
  }

  /** How distractors are drawn from a query's admissible passages. */
  public enum DistractorChoice {
    /** A seeded random sample. */
    RANDOM,
    /** A seeded random sample of the {@code 2(N - 1)} passages closest in length to the relevant one. */
    LENGTH_MATCHED
  }

  private PositionSetBuilder() {}

  /** {@link #build(List, List, int, Slots, long, ToIntFunction, DistractorChoice)} with random distractors. */
  public static List<Doc> build(List<Query> queries, List<Passage> pool, int n, Slots slots, long seed,
      ToIntFunction<String> tokens) {
    return build(queries, pool, n, slots, seed, tokens, DistractorChoice.RANDOM);
  }

  /**
   * Builds one document per query.
   *
   * @param n passages per document
   * @param pool distractor pool (other queries' passages)
   * @param tokens document length in tokens (the indexer's tokenizer)
   * @param choice how distractors are drawn
   * @throws IllegalArgumentException when a query has fewer than {@code n - 1} admissible distractors, or when two
   *     queries share a relevant passage
   */
  public static List<Doc> build(List<Query> queries, List<Passage> pool, int n, Slots slots, long seed,
      ToIntFunction<String> tokens, DistractorChoice choice) {
    if (n < 1) {
      throw new IllegalArgumentException("documents need at least 1 passage, got " + n);
    }
    List<Doc> docs = new ArrayList<>(queries.size());
    int[] slotOf = slots.assign(queries.size(), n, seed);
    java.util.Map<String, String> queryGolds = new java.util.HashMap<>();
    for (Query q : queries) {
      String other = queryGolds.putIfAbsent(q.gold().block(), q.id());
      if (other != null) {
        // each document must be relevant to exactly one query: the other's document would hold this gold verbatim
        throw new IllegalArgumentException("queries " + other + " and " + q.id() + " share a relevant passage; "
            + "keep one of them");
      }
    }
    List<Passage> candidates = new ArrayList<>();
    List<String> normalized = new ArrayList<>();
    for (Passage p : pool) {
      if (!queryGolds.containsKey(p.block())) { // never another evaluated query's relevant passage
        candidates.add(p);
        normalized.add(normalize(p.block()));
      }
    }
    for (int i = 0; i < queries.size(); i++) {
      Query q = queries.get(i);
      List<Passage> admissible = new ArrayList<>();
      List<String> answers = q.answers().stream().map(PositionSetBuilder::normalize).filter(a -> !a.isBlank())
          .toList();
      for (int c = 0; c < candidates.size(); c++) {
        String norm = normalized.get(c);
        if (answers.stream().noneMatch(norm::contains)) {
          admissible.add(candidates.get(c));
        }
      }
      if (admissible.size() < n - 1) {
        throw new IllegalArgumentException("query " + q.id() + ": only " + admissible.size()
            + " distractors contain none of its answers " + q.answers() + "; " + (n - 1) + " are needed");
      }
      Random random = new Random(seed * 31 + q.id().hashCode());
      java.util.Collections.shuffle(admissible, random);
      if (choice == DistractorChoice.LENGTH_MATCHED) {
        int goldLength = q.gold().block().length();
        // stable sort: among passages of equal distance the seeded order decides
        admissible.sort(java.util.Comparator.comparingInt(p -> Math.abs(p.block().length() - goldLength)));
        admissible = new ArrayList<>(admissible.subList(0, Math.min(admissible.size(), 2 * (n - 1))));
        java.util.Collections.shuffle(admissible, random);
      }
      List<Passage> chosen = admissible.subList(0, n - 1);
      StringBuilder text = new StringBuilder();
      List<String> distractors = new ArrayList<>();
      int start = -1;
      int end = -1;
      int d = 0;
      for (int s = 0; s < n; s++) {
        if (s > 0) {
          text.append(SEPARATOR);
        }
        if (s == slotOf[i]) {
          start = text.length();
          text.append(q.gold().block());
          end = text.length();
        } else {
          Passage p = chosen.get(d++);
          text.append(p.block());
          distractors.add(p.id());
        }
      }
      String t = text.toString();
      docs.add(new Doc(q.id() + "-n" + n + "-s" + slotOf[i], q.id(), slotOf[i], n, t, start, end,
          tokens.applyAsInt(t), distractors));
    }
    return docs;
  }

  /**
   * Answer matching on whole tokens, as DPR's {@code has_answer}: NFKC, lower-cased, split at every character that is
   * not a letter or digit, tokens joined by single spaces and the whole wrapped in spaces. An answer is contained
   * when its normalised form is a substring, that is a run of whole tokens (so the answer "S" does not exclude every
   * passage with an s in it, but "U.S." matches "u.s." and "U. S.").
   */
  static String normalize(String s) {
    String tokens = java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFKC).toLowerCase(Locale.ROOT)
        .replaceAll("[^\\p{L}\\p{N}]+", " ").trim();
    return " " + tokens + " ";
  }
}
