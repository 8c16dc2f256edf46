package dev.attnir.eval.position;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.eval.data.InputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A position-controlled set on disk: a BEIR directory ({@code corpus.jsonl}, {@code queries.jsonl},
 * {@code qrels/test.tsv}, one relevant document per query) plus {@code positions.jsonl}, the relevant span of every
 * document ({@code doc_id, query_id, slot, passages, span_start, span_end, chars, tokens}).
 */
public final class PositionSets {

  /**
   * Where a query's relevant span sits.
   *
   * @param docId document
   * @param queryId query
   * @param slot slot of the relevant passage
   * @param passages passages in the document
   * @param spanStart span start, characters
   * @param spanEnd span end, characters (exclusive)
   * @param chars document length, characters
   * @param tokens document length, tokens
   */
  public record Position(String docId, String queryId, int slot, int passages, int spanStart, int spanEnd, int chars,
      int tokens) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private PositionSets() {}

  /** Writes a set. */
  public static void write(Path dir, List<PositionSetBuilder.Query> queries, List<PositionSetBuilder.Doc> docs) {
    try {
      Files.createDirectories(dir.resolve("qrels"));
      try (Writer c = Files.newBufferedWriter(dir.resolve("corpus.jsonl"), StandardCharsets.UTF_8);
          Writer p = Files.newBufferedWriter(dir.resolve("positions.jsonl"), StandardCharsets.UTF_8);
          Writer r = Files.newBufferedWriter(dir.resolve("qrels/test.tsv"), StandardCharsets.UTF_8)) {
        r.write("query-id\tcorpus-id\tscore\n");
        for (PositionSetBuilder.Doc d : docs) {
          Map<String, Object> doc = new LinkedHashMap<>();
          doc.put("_id", d.docId());
          doc.put("title", "");
          doc.put("text", d.text());
          c.write(JSON.writeValueAsString(doc) + "\n");
          p.write(JSON.writeValueAsString(new Position(d.docId(), d.queryId(), d.slot(), d.passages(), d.spanStart(),
              d.spanEnd(), d.text().length(), d.tokens())) + "\n");
          r.write(d.queryId() + "\t" + d.docId() + "\t1\n");
        }
      }
      try (Writer q = Files.newBufferedWriter(dir.resolve("queries.jsonl"), StandardCharsets.UTF_8)) {
        for (PositionSetBuilder.Query query : queries) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("_id", query.id());
          m.put("text", query.text());
          m.put("answers", query.answers());
          q.write(JSON.writeValueAsString(m) + "\n");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write position set to " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads {@code positions.jsonl}, checking every span lies inside its document.
   *
   * @throws InputException naming the line of a malformed record or a span outside its document
   */
  public static List<Position> read(Path dir) {
    Path file = dir.resolve("positions.jsonl");
    List<Position> out = new ArrayList<>();
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new InputException(file, 0, "file not found (not a position set: build one with position-sets)");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      Position p;
      try {
        JsonNode n = JSON.readTree(lines.get(i));
        p = new Position(n.get("docId").asText(), n.get("queryId").asText(), n.get("slot").asInt(),
            n.get("passages").asInt(), n.get("spanStart").asInt(), n.get("spanEnd").asInt(), n.get("chars").asInt(),
            n.get("tokens").asInt());
      } catch (IOException | NullPointerException e) {
        throw new InputException(file, i + 1, "malformed position record: " + e.getMessage(), e);
      }
      if (p.spanStart() < 0 || p.spanEnd() > p.chars() || p.spanEnd() <= p.spanStart()) {
        throw new InputException(file, i + 1, "gold span [" + p.spanStart() + ", " + p.spanEnd() + ") of "
            + p.docId() + " lies outside its " + p.chars() + " characters");
      }
      out.add(p);
    }
    return out;
  }
}
