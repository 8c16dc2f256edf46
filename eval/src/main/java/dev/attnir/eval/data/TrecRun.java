package dev.attnir.eval.data;

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
 * A run: per query, retrieved documents with scores. Ranks are not stored: like trec_eval, the ranking is defined by
 * score descending with ties broken by document id descending ({@link #TREC_EVAL_ORDER}).
 */
public final class TrecRun {

  /** One retrieved document. */
  public record Entry(String docId, double score) {}

  /** trec_eval's order: score descending, then document id descending (strcmp). */
  public static final Comparator<Entry> TREC_EVAL_ORDER = (a, b) -> {
    int c = Double.compare(b.score(), a.score());
    return c != 0 ? c : b.docId().compareTo(a.docId());
  };

  private final Map<String, List<Entry>> results;

  public TrecRun(Map<String, List<Entry>> results) {
    Map<String, List<Entry>> copy = new LinkedHashMap<>();
    results.forEach((q, l) -> copy.put(q, List.copyOf(l)));
    this.results = Collections.unmodifiableMap(copy);
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
   * Writes the run in trec_eval's order with exact scores (shortest decimal that reads back to the same double), so
   * rescoring the file reproduces the metrics computed in memory.
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
    return new BigDecimal(Double.toString(score)).toPlainString();
  }
}
