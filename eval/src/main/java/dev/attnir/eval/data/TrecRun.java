package dev.attnir.eval.data;

import dev.attnir.core.Ranking;
import dev.attnir.core.ScoredDoc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A run: per query, retrieved documents with scores. Ranks are not stored: as in trec_eval, the ranking is defined by
 * score descending with ties broken by document id descending ({@link #TREC_EVAL_ORDER}), the score compared as the
 * 32-bit float trec_eval stores it in. A run made from {@link Ranking}s ({@link #fromRankings}) has its scores
 * adjusted so that this order is the rankings' own order.
 */
public final class TrecRun {

  /** One retrieved document. */
  public record Entry(String docId, double score) {}

  /**
   * trec_eval's order: score descending, then document id descending (strcmp). trec_eval reads scores into a
   * {@code float} ({@code TEXT_TR.sim}), so two scores that differ only beyond float precision tie there; they tie here.
   */
  public static final Comparator<Entry> TREC_EVAL_ORDER = (a, b) -> {
    int c = Float.compare((float) b.score(), (float) a.score());
    return c != 0 ? c : b.docId().compareTo(a.docId());
  };

  private final Map<String, List<Entry>> results;

  public TrecRun(Map<String, List<Entry>> results) {
    Map<String, List<Entry>> copy = new LinkedHashMap<>();
    results.forEach((q, l) -> copy.put(q, List.copyOf(l)));
    this.results = Collections.unmodifiableMap(copy);
  }

  /**
   * A run whose trec_eval order is each ranking's order, whatever its scores: every score becomes a float (what
   * trec_eval reads) and, where the ranking's order would not follow from the scores (a tie, or a reranker that
   * reorders without rescoring), it is lowered to the next float below its predecessor's. Scores that already decrease
   * are kept (to float precision), so a run written from retrieval scores still carries them. This is the job of
   * Anserini's {@code ScoreTiesAdjusterReranker}; that one rounds to 1e-4 and subtracts 1e-6 per tie, which handles
   * ties but not reordered lists.
   */
  public static TrecRun fromRankings(Map<String, Ranking> rankings) {
    Map<String, List<Entry>> out = new LinkedHashMap<>();
    rankings.forEach((q, ranking) -> {
      List<Entry> entries = new ArrayList<>(ranking.size());
      float previous = Float.POSITIVE_INFINITY;
      for (ScoredDoc d : ranking) {
        float score = (float) d.score();
        if (!(score < previous)) {
          score = Math.nextDown(previous);
        }
        entries.add(new Entry(d.docId(), score));
        previous = score;
      }
      out.put(q, entries);
    });
    return new TrecRun(out);
  }

  /** Queries with results. */
  public Set<String> queries() {
    return results.keySet();
  }

  /** Results of one query as given (empty if none). */
  public List<Entry> of(String queryId) {
    return results.getOrDefault(queryId, List.of());
  }

  /** Results of one query in trec_eval's order. */
  public List<Entry> ranked(String queryId) {
    List<Entry> l = new ArrayList<>(of(queryId));
    l.sort(TREC_EVAL_ORDER);
    return l;
  }

  /**
   * Reads a TREC run ({@code qid Q0 docno rank score tag}); the rank column is ignored, as trec_eval ignores it.
   *
   * @throws InputException for a malformed line, a non-numeric score or a document listed twice for a query
   */
  public static TrecRun read(Path file) {
    Map<String, List<Entry>> out = new LinkedHashMap<>();
    Map<String, Set<String>> seen = new LinkedHashMap<>();
    try (LineReader r = new LineReader(file)) {
      for (String line = r.next(); line != null; line = r.next()) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] f = line.trim().split("\\s+");
        if (f.length < 6) {
          throw new InputException(file, r.lineNumber(), "expected 6 columns (qid Q0 docno rank score tag), got "
              + f.length);
        }
        double score;
        try {
          score = Double.parseDouble(f[4]);
        } catch (NumberFormatException e) {
          throw new InputException(file, r.lineNumber(), "score '" + f[4] + "' is not a number");
        }
        if (!seen.computeIfAbsent(f[0], k -> new HashSet<>()).add(f[2])) {
          throw new InputException(file, r.lineNumber(), "document '" + f[2] + "' listed twice for query '" + f[0]
              + "'");
        }
        out.computeIfAbsent(f[0], k -> new ArrayList<>()).add(new Entry(f[2], score));
      }
    }
    return new TrecRun(out);
  }

  /**
   * Writes the run in trec_eval's order with exact scores (the shortest decimal that reads back to the same value),
   * so rescoring the file, here or with trec_eval, reproduces the metrics computed in memory.
   */
  public void write(Path file, String tag) {
    try {
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        for (String q : results.keySet()) {
          List<Entry> ranked = ranked(q);
          for (int i = 0; i < ranked.size(); i++) {
            Entry e = ranked.get(i);
            w.write(q + " Q0 " + e.docId() + " " + (i + 1) + " " + format(e.score()) + " " + tag + "\n");
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write run " + file + ": " + e.getMessage(), e);
    }
  }

  static String format(double score) {
    // a float score (from fromRankings) prints as the float's shortest decimal, which trec_eval reads back exactly
    String shortest = (double) (float) score == score ? Float.toString((float) score) : Double.toString(score);
    return new BigDecimal(shortest).toPlainString();
  }
}
