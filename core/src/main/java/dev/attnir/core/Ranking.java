package dev.attnir.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * One query's documents, best first. The order is authoritative: whoever consumes a ranking (a run file, the
 * evaluation, a reranker, a fusion) keeps this order and never re-sorts by score, so a reranker may reorder documents
 * without giving them new scores, and ties stay in the order their producer chose. Each document appears once.
 *
 * @param docs the documents, best first
 */
public record Ranking(List<ScoredDoc> docs) implements Iterable<ScoredDoc> {

  /** Best score first, then document id ascending: the order retrieval produces (Anserini's tie-break). */
  public static final Comparator<ScoredDoc> BY_SCORE = Comparator.comparingDouble(ScoredDoc::score).reversed()
      .thenComparing(ScoredDoc::docId);

  private static final Ranking EMPTY = new Ranking(List.of());

  public Ranking {
    docs = List.copyOf(docs);
    Set<String> seen = new HashSet<>();
    for (ScoredDoc d : docs) {
      if (!seen.add(d.docId())) {
        throw new IllegalArgumentException("document '" + d.docId() + "' appears twice in one ranking");
      }
    }
  }

  /** No documents. */
  public static Ranking empty() {
    return EMPTY;
  }

  /** The documents sorted by {@link #BY_SCORE}, cut to the best {@code k}. */
  public static Ranking byScore(Collection<ScoredDoc> docs, int k) {
    List<ScoredDoc> sorted = new ArrayList<>(docs);
    sorted.sort(BY_SCORE);
    return new Ranking(sorted.size() > k ? sorted.subList(0, Math.max(0, k)) : sorted);
  }

  /** Number of documents. */
  public int size() {
    return docs.size();
  }

  public boolean isEmpty() {
    return docs.isEmpty();
  }

  /** The document at 0-based position {@code i}. */
  public ScoredDoc get(int i) {
    return docs.get(i);
  }

  /** The first {@code k} documents (all when there are fewer). */
  public Ranking top(int k) {
    return k >= docs.size() ? this : new Ranking(docs.subList(0, Math.max(0, k)));
  }

  @Override
  public Iterator<ScoredDoc> iterator() {
    return docs.iterator();
  }
}
