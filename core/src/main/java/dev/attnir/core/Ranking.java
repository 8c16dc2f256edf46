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

  /**
   * Best score first, equal scores by document id descending in code point order: trec_eval's own order, so a ranking
   * sorted by score is scored by trec_eval in exactly this order and its run file needs no score adjustment.
   * (Anserini breaks ties the other way, ids ascending, and then adjusts the written scores; on SciFact's RRF hybrid
   * the choice moves nDCG@10 by 0.003, which is why there is one tie-break and it is trec_eval's.)
   */
  public static final Comparator<ScoredDoc> BY_SCORE = (a, b) -> {
    int c = Double.compare(b.score(), a.score());
    return c != 0 ? c : compareCodePoints(b.docId(), a.docId());
  };

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

  /**
   * Compares strings in Unicode code point order, which is the byte order of their UTF-8 encodings ({@code strcmp}'s
   * order on a UTF-8 file) and, unlike {@link String#compareTo}, puts supplementary characters above {@code U+FFFF}.
   */
  public static int compareCodePoints(String a, String b) {
    int n = Math.min(a.length(), b.length());
    for (int i = 0; i < n; i++) {
      char ca = a.charAt(i);
      char cb = b.charAt(i);
      if (ca != cb) {
        // Units below D800 are code points of their own and already in order. From D800 up, move the surrogates
        // (D800-DFFF) above E000-FFFF: a surrogate pair encodes a code point above FFFF.
        if (ca >= 0xD800 && cb >= 0xD800) {
          return codePointRank(ca) - codePointRank(cb);
        }
        return ca - cb;
      }
    }
    return a.length() - b.length();
  }

  private static int codePointRank(char c) {
    return c >= 0xE000 ? c - 0x800 : c + 0x2000;
  }
}
