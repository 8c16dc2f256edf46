package dev.attnir.eval.metrics;

import dev.attnir.eval.data.TrecRun;
import java.util.List;
import java.util.Map;

/**
 * One query's ranking joined with its judgments, as trec_eval's {@code te_form_res_rels} builds it: results sorted
 * by score descending then document id descending; each rank holds the judged relevance, or {@link #UNJUDGED} for a
 * document absent from the qrels; {@code relLevelCounts[l]} counts judged documents of grade {@code l} whether
 * retrieved or not. A document is relevant when its grade is at least 1 (trec_eval's default relevance level).
 */
public final class JudgedRanking {

  /** Relevance of a retrieved document the qrels do not mention. */
  public static final int UNJUDGED = -1;

  private final int[] relevance;
  private final int[] relLevelCounts;
  private final int numRelevant;

  private JudgedRanking(int[] relevance, int[] relLevelCounts, int numRelevant) {
    this.relevance = relevance;
    this.relLevelCounts = relLevelCounts;
    this.numRelevant = numRelevant;
  }

  /**
   * Builds the ranking from a query's results (any order) and judgments.
   *
   * @throws IllegalArgumentException when a document is listed twice
   */
  public static JudgedRanking of(List<TrecRun.Entry> results, Map<String, Integer> judgments) {
    List<TrecRun.Entry> ranked = new java.util.ArrayList<>(results);
    ranked.sort(TrecRun.TREC_EVAL_ORDER);
    int[] rel = new int[ranked.size()];
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < ranked.size(); i++) {
      String doc = ranked.get(i).docId();
      if (!seen.add(doc)) {
        throw new IllegalArgumentException("document '" + doc + "' appears twice in one query's results");
      }
      Integer g = judgments.get(doc);
      rel[i] = g == null || g < 0 ? UNJUDGED : g;
    }
    int maxLevel = 0;
    for (int g : judgments.values()) {
      maxLevel = Math.max(maxLevel, g);
    }
    int[] levels = new int[maxLevel + 1];
    int numRel = 0;
    for (int g : judgments.values()) {
      if (g >= 0) {
        levels[g]++;
        if (g >= 1) {
          numRel++;
        }
      }
    }
    return new JudgedRanking(rel, levels, numRel);
  }

  /** Retrieved documents. */
  public int size() {
    return relevance.length;
  }

  /** Grade of the document at 0-based rank {@code i}, or {@link #UNJUDGED}. */
  public int relevance(int i) {
    return relevance[i];
  }

  /** Whether the document at 0-based rank {@code i} is relevant (grade >= 1). */
  public boolean isRelevant(int i) {
    return relevance[i] >= 1;
  }

  /** Judged relevant documents (grade >= 1), retrieved or not. */
  public int numRelevant() {
    return numRelevant;
  }

  /** Judged documents of grade {@code level}. */
  public int countAtLevel(int level) {
    return level < relLevelCounts.length ? relLevelCounts[level] : 0;
  }

  /** Highest judged grade (0 when nothing is relevant). */
  public int maxLevel() {
    return relLevelCounts.length - 1;
  }
}
