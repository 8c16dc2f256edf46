package dev.attnir.eval.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads queries: BEIR {@code queries.jsonl} ({@code {"_id", "text"}}) or a TSV of {@code id<TAB>text}. Ids that a
 * TREC run file cannot carry (empty, or with whitespace or control characters) are refused with the file and line:
 * see {@link TrecIds}.
 */
public final class Queries {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Queries() {}

  /** Queries by id, in file order. */
  public static Map<String, String> read(Path file) {
    String name = file.getFileName().toString();
    return name.endsWith(".tsv") || name.endsWith(".tsv.gz") ? readTsv(file) : readJsonl(file);
  }

  private static Map<String, String> readJsonl(Path file) {
    Map<String, String> out = new LinkedHashMap<>();
    try (LineReader r = new LineReader(file)) {
      for (String line = r.next(); line != null; line = r.next()) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
          throw new InputException(file, r.lineNumber(), "malformed JSON: " + e.getOriginalMessage(), e);
        }
        JsonNode id = node.get("_id");
        JsonNode text = node.get("text");
        if (id == null || id.isNull() || id.asText().isBlank()) {
          throw new InputException(file, r.lineNumber(), "missing required field '_id'");
        }
        String bad = TrecIds.problem("field '_id'", id.asText());
        if (bad != null) {
          throw new InputException(file, r.lineNumber(), bad);
        }
        if (text == null || !text.isTextual()) {
          throw new InputException(file, r.lineNumber(), "query '" + id.asText() + "' has no string field 'text'");
        }
        if (out.put(id.asText(), text.asText()) != null) {
          throw new InputException(file, r.lineNumber(), "duplicate query _id '" + id.asText() + "'");
        }
      }
    }
    return out;
  }

  private static Map<String, String> readTsv(Path file) {
    Map<String, String> out = new LinkedHashMap<>();
    try (LineReader r = new LineReader(file)) {
      for (String line = r.next(); line != null; line = r.next()) {
        if (line.isBlank()) {
          continue;
        }
        int tab = line.indexOf('\t');
        if (tab <= 0) {
          throw new InputException(file, r.lineNumber(), "expected 'id<TAB>text'");
        }
        String bad = TrecIds.problem("query id", line.substring(0, tab));
        if (bad != null) {
          throw new InputException(file, r.lineNumber(), bad);
        }
        if (out.put(line.substring(0, tab), line.substring(tab + 1)) != null) {
          throw new InputException(file, r.lineNumber(), "duplicate query id '" + line.substring(0, tab) + "'");
        }
      }
    }
    return out;
  }
}
