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

  /** Reads BEIR TSV or TREC qrels, detected per line by the number of columns. */
  public static Qrels read(Path file) {
    Map<String, Map<String, Integer>> out = new LinkedHashMap<>();
    try (LineReader r = new LineReader(file)) {
      for (String line = r.next(); line != null; line = r.next()) {
        if (line.isBlank()) {
          continue;
        }
        String[] f = line.trim().split("\\s+");
        if (r.lineNumber() == 1 && f.length == 3 && f[0].equals("query-id")) {
          continue; // BEIR header
        }
        String q;
        String d;
        String rel;
        if (f.length == 3) {
          q = f[0];
          d = f[1];
          rel = f[2];
        } else if (f.length == 4) {
          q = f[0];
          d = f[2];
          rel = f[3];
        } else {
          throw new InputException(file, r.lineNumber(), "expected 3 columns (query-id corpus-id score) or 4 "
              + "(qid iter docno rel), got " + f.length);
        }
        int grade;
        try {
          grade = Integer.parseInt(rel);
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

  /** Writes TREC qrels ({@code qid 0 docno rel}). */
  public void writeTrec(Path file) {
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
