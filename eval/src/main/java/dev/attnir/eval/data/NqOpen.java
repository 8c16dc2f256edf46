package dev.attnir.eval.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads NQ-open's oracle file from the lost-in-the-middle release: one question per line with its answers and exactly
 * one gold Wikipedia passage ({@code ctxs[0]}, {@code isgold} true).
 */
public final class NqOpen {

  /**
   * One question.
   *
   * @param index 0-based line index in the file (a stable id)
   * @param question question text
   * @param answers answer strings
   * @param title gold passage's Wikipedia title
   * @param passage gold passage text
   */
  public record Question(int index, String question, List<String> answers, String title, String passage) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private NqOpen() {}

  /** Reads every question. */
  public static List<Question> read(Path file) {
    List<Question> out = new ArrayList<>();
    try (LineReader r = new LineReader(file)) {
      for (String line = r.next(); line != null; line = r.next()) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode n;
        try {
          n = JSON.readTree(line);
        } catch (JsonProcessingException e) {
          throw new InputException(file, r.lineNumber(), "malformed JSON: " + e.getOriginalMessage(), e);
        }
        JsonNode q = n.get("question");
        JsonNode answers = n.get("answers");
        JsonNode ctxs = n.get("ctxs");
        if (q == null || !q.isTextual()) {
          throw new InputException(file, r.lineNumber(), "missing string field 'question'");
        }
        if (answers == null || !answers.isArray()) {
          throw new InputException(file, r.lineNumber(), "missing array field 'answers'");
        }
        JsonNode gold = null;
        if (ctxs != null && ctxs.isArray()) {
          for (JsonNode c : ctxs) {
            if (c.path("isgold").asText().equalsIgnoreCase("true")) {
              gold = c;
              break;
            }
          }
        }
        if (gold == null || !gold.path("text").isTextual()) {
          throw new InputException(file, r.lineNumber(), "no gold passage (ctxs[*].isgold) with a 'text' field");
        }
        List<String> a = new ArrayList<>();
        answers.forEach(x -> a.add(x.asText()));
        out.add(new Question(out.size(), q.asText(), a, gold.path("title").asText(""), gold.get("text").asText()));
      }
    }
    return out;
  }
}
