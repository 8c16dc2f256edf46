package dev.attnir.eval.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Relevance judgments: query id to document id to relevance grade (0 = judged non-relevant). Reads BEIR's
 * {@code query-id<TAB>corpus-id<TAB>score} TSV (with or without its header) and TREC's {@code qid iter docno rel}.
 */
public final class Qrels {

  private final Map<String, Map<String, Integer>> judgments;

  public Qrels(Map<String, Map<String, Integer>> judgments) {
    Map<String, Map<String, Integer>> copy = new LinkedHashMap<>();
    judgments.forEach((q, m) -> copy.put(q, Collections.unmodifiableMap(new LinkedHashMap<>(m))));
    this.judgments = Collections.unmodifiableMap(copy);
  }

  /** Judged queries. */
  public Set<String> queries() {
    return judgments.keySet();
  }

  /** Judgments of one query (empty if unjudged). */
  public Map<String, Integer> of(String queryId) {
    return judgments.getOrDefault(queryId, Map.of());
  }

  /** Number of judgment lines. */
  public int size() {
    return judgments.values().stream().mapToInt(Map::size).sum();
  }

  /**
   * Reads BEIR TSV or TREC qrels. The format is decided once per file, by its first non-blank line: a line of three
   * tab-separated columns (BEIR's {@code query-id<TAB>corpus-id<TAB>score}, with or without that header) makes the
   * file BEIR TSV, split on tabs only; otherwise the file is split on whitespace and every line must have the first
   * line's number of columns: 4 (TREC {@code qid iter docno rel}) or 3. Deciding per file, not per line, is what keeps
   * an id with a space in a BEIR file from being read as a 4-column TREC line with another document id; such ids are
   * then refused (see {@link TrecIds}), with the file and line.
   *
   * @throws InputException for a malformed line, an id that a TREC file cannot carry, a non-integer grade or a
   *     duplicate judgment
   */
  public static Qrels read(Path file) {
    Map<String, Map<String, Integer>> out = new LinkedHashMap<>();
    try (LineReader r = new LineReader(file)) {
      Boolean tabs = null; // decided by the first non-blank line
      int columns = 0;
      for (String line = r.next(); line != null; line = r.next()) {
        if (line.isBlank()) {
          continue;
        }
        // only trailing whitespace goes before a tab split, so that an empty first column is seen as empty
        String stripped = line.stripTrailing();
        if (tabs == null) {
          String[] first = stripped.split("\t", -1);
          tabs = first.length == 3;
          columns = tabs ? 3 : stripped.strip().split("\\s+").length;
          String[] header = tabs ? first : stripped.strip().split("\\s+");
          if (header.length == 3 && header[0].equals("query-id") && header[1].equals("corpus-id")) {
            continue; // BEIR header
          }
          if (!tabs && columns != 3 && columns != 4) {
            throw new InputException(file, r.lineNumber(), "expected 3 tab-separated columns (query-id corpus-id "
                + "score) or 4 whitespace-separated ones (qid iter docno rel), got " + columns);
          }
        }
        String[] f = tabs ? stripped.split("\t", -1) : stripped.strip().split("\\s+");
        if (f.length != columns) {
          throw new InputException(file, r.lineNumber(), tabs
              ? "expected 3 tab-separated columns (query-id corpus-id score) as in the rest of this BEIR file, got "
                  + f.length + (f.length == 1 ? " (columns must be separated by tabs)" : "")
              : "expected " + columns + " whitespace-separated columns as on the file's first line, got "
                  + f.length);
        }
        String q = f[0];
        String d = columns == 3 ? f[1] : f[2];
        String rel = columns == 3 ? f[2] : f[3];
        String bad = TrecIds.problem("query id", q);
        if (bad == null) {
          bad = TrecIds.problem("document id", d);
        }
        if (bad != null) {
          throw new InputException(file, r.lineNumber(), bad);
        }
        int grade;
        try {
          grade = Integer.parseInt(rel.strip());
        } catch (NumberFormatException e) {
          throw new InputException(file, r.lineNumber(), "relevance '" + rel + "' is not an integer");
        }
        Integer previous = out.computeIfAbsent(q, k -> new LinkedHashMap<>()).put(d, grade);
        if (previous != null) {
          throw new InputException(file, r.lineNumber(), "duplicate judgment for query '" + q + "', document '"
              + d + "'");
        }
      }
    }
    return new Qrels(out);
  }

  /**
   * Writes TREC qrels ({@code qid 0 docno rel}).
   *
   * @throws IllegalArgumentException naming the query and document when an id cannot be carried by a TREC file
   *     (refused, not encoded: see {@link TrecIds}), before the file is touched
   */
  public void writeTrec(Path file) {
    for (var q : judgments.entrySet()) {
      String bad = TrecIds.problem("query id", q.getKey());
      for (var d = q.getValue().keySet().iterator(); bad == null && d.hasNext(); ) {
        String docId = d.next();
        bad = TrecIds.problem("document id", docId);
        if (bad != null) {
          bad = "query '" + q.getKey() + "': " + bad;
        }
      }
      if (bad != null) {
        throw new IllegalArgumentException("cannot write qrels " + file + ": " + bad);
      }
    }
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (var q : judgments.entrySet()) {
        for (var d : q.getValue().entrySet()) {
          w.write(q.getKey() + " 0 " + d.getKey() + " " + d.getValue() + "\n");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
