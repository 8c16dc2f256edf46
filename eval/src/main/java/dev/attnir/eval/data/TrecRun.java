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
   * trec_eval's order ({@code comp_sim_docno} in {@code form_res_rels.c}): score descending, then document id
   * descending by {@code strcmp}.
   *
   * <ul>
   *   <li>Scores are compared as the 32-bit {@code float} trec_eval 9.0.4 to 9.0.8 store them in ({@code
   *       TEXT_RESULTS.sim} and {@code DOCNO_INFO.sim}, filled by {@code atof}; jtreceval 0.0.5 bundles 9.0.4), so two
   *       scores that differ only beyond float precision tie. trec_eval's master (10.0, commit dc0c991 "Convert float
   *       to double") stores a {@code double}: there such scores no longer tie, and a run meant for both versions
   *       should have scores that are distinct as floats (as {@link #fromRankings} makes them).
   *   <li>Equal scores tie with C's {@code >}/{@code <}: {@code +0.0} and {@code -0.0} tie (unlike {@link
   *       Float#compare}, which puts {@code +0.0} first).
   *   <li>{@code strcmp} compares the UTF-8 bytes as unsigned, which is Unicode code point order; {@link
   *       String#compareTo} compares UTF-16 units and so puts a supplementary character (a surrogate pair, units
   *       {@code D800}-{@code DFFF}) below a BMP character from {@code E000} up, where code point order puts it above.
   *   <li>NaN compares neither above nor below anything in C, so trec_eval's order of a run with NaN scores depends on
   *       its {@code qsort}; here NaN goes after every number (a total order, as sorting needs).
   * </ul>
   */
  public static final Comparator<Entry> TREC_EVAL_ORDER = (a, b) -> {
    float sa = (float) a.score();
    float sb = (float) b.score();
    if (sa > sb) {
      return -1;
    }
    if (sa < sb) {
      return 1;
    }
    boolean nanA = Float.isNaN(sa);
    boolean nanB = Float.isNaN(sb);
    if (nanA != nanB) {
      return nanA ? 1 : -1;
    }
    return compareCodePoints(b.docId(), a.docId());
  };

  /**
   * Compares strings in Unicode code point order, which is the byte order of their UTF-8 encodings ({@code strcmp}'s
   * order on a UTF-8 file) and, unlike {@link String#compareTo}, puts supplementary characters above {@code U+FFFF}.
   */
  public static int compareCodePoints(String a, String b) {
    return Ranking.compareCodePoints(a, b);
  }

  private final Map<String, List<Entry>> results;

  public TrecRun(Map<String, List<Entry>> results) {
    Map<String, List<Entry>> copy = new LinkedHashMap<>();
    results.forEach((q, l) -> copy.put(q, List.copyOf(l)));
    this.results = Collections.unmodifiableMap(copy);
  }

  /**
   * A run whose trec_eval order is each ranking's order, whatever its scores: every score becomes a float (what
   * trec_eval reads) and, where it is not below its predecessor's by the float {@code <} of {@link #TREC_EVAL_ORDER}
   * (a tie, a {@code -0.0} after a {@code +0.0}, or a reranker that reorders without rescoring), it is lowered to the
   * next float below its predecessor's. Scores that already decrease are kept (to float precision), so a run written
   * from retrieval scores still carries them. Only a ranking whose floats reach {@code -Infinity} (scores below
   * {@code -Float.MAX_VALUE}) can still tie: there is no float below it. This is the job of Anserini's {@code
   * ScoreTiesAdjusterReranker}; that one rounds to 1e-4 and subtracts 1e-6 per tie, which handles ties but not
   * reordered lists.
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
   *
   * @throws IllegalArgumentException naming the query and document when an id has whitespace or control characters
   *     or is empty: such ids are refused, not encoded (see {@link TrecIds}), before the file is touched, so an
   *     earlier run at that path is kept
   */
  public void write(Path file, String tag) {
    checkIds(file);
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

  private void checkIds(Path file) {
    for (var q : results.entrySet()) {
      String bad = TrecIds.problem("query id", q.getKey());
      if (bad != null) {
        throw new IllegalArgumentException("cannot write run " + file + ": " + bad);
      }
      for (Entry e : q.getValue()) {
        bad = TrecIds.problem("document id", e.docId());
        if (bad != null) {
          throw new IllegalArgumentException("cannot write run " + file + ": query '" + q.getKey() + "': " + bad);
        }
      }
    }
  }

  static String format(double score) {
    if (!Double.isFinite(score)) {
      return Double.toString(score); // "NaN", "Infinity", "-Infinity": Java's parseDouble and C's atof read them
    }
    // a float score (from fromRankings) prints as the float's shortest decimal, which trec_eval reads back exactly
    String shortest = (double) (float) score == score ? Float.toString((float) score) : Double.toString(score);
    return new BigDecimal(shortest).toPlainString();
  }
}
