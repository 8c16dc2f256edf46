package dev.attnir.eval.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.core.Candidate;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A fixed first stage read from a file: per query its text and its candidates with their text, one JSON object per
 * line, {@code {"qid", "query", "candidates": [{"docid", "rank", "score", "text"}, ...]}} (the layout of the TREC DL
 * reranking lists in ../shared/data/trec-dl, which RankGPT and rank_llm distribute). Candidates are kept in file order,
 * which must be their ranks 1, 2, 3, ...: the list as given is the first stage. {@code score} may be absent (the MS
 * MARCO dev sample has only ranks); the candidate's score is then {@code -rank}, which keeps the given order.
 *
 * @param file where the lists were read from
 * @param queries query text by query id, in file order
 * @param candidates each query's candidates, best first
 */
public record CandidateLists(Path file, Map<String, String> queries, Map<String, List<Candidate>> candidates) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Reads a candidate-list file.
   *
   * @throws InputException naming the file and line for invalid JSON, a missing field, ranks out of order, a document
   *     listed twice for a query or a query listed twice
   */
  public static CandidateLists read(Path file) {
    Map<String, String> queries = new LinkedHashMap<>();
    Map<String, List<Candidate>> candidates = new LinkedHashMap<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      long lineNo = 0;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          throw new InputException(file, lineNo, "not valid JSON: " + e.getOriginalMessage(), e);
        }
        String qid = text(node, "qid", file, lineNo);
        String query = text(node, "query", file, lineNo);
        JsonNode list = node.get("candidates");
        if (list == null || !list.isArray()) {
          throw new InputException(file, lineNo, "query " + qid + ": no \"candidates\" array");
        }
        if (list.isEmpty()) {
          throw new InputException(file, lineNo, "query " + qid + ": the candidate list is empty (a query with "
              + "nothing to rerank; leave it out of the file)");
        }
        List<Candidate> cs = new ArrayList<>(list.size());
        Set<String> seen = new HashSet<>();
        for (JsonNode c : list) {
          String docId = text(c, "docid", file, lineNo);
          String passage = text(c, "text", file, lineNo);
          JsonNode rank = c.get("rank");
          JsonNode score = c.get("score");
          if (rank == null || !rank.canConvertToInt() || (score != null && !score.isNumber())) {
            throw new InputException(file, lineNo, "query " + qid + ", document " + docId
                + ": \"rank\" must be an integer and \"score\", when given, a number");
          }
          if (rank.asInt() != cs.size() + 1) {
            throw new InputException(file, lineNo, "query " + qid + ", document " + docId + " has rank "
                + rank.asInt() + " at position " + (cs.size() + 1)
                + "; candidates must be listed by rank 1, 2, 3, ...");
          }
          if (!seen.add(docId)) {
            throw new InputException(file, lineNo, "query " + qid + ": document " + docId + " is listed twice");
          }
          cs.add(new Candidate(docId, rank.asInt(), score == null ? -rank.asInt() : score.asDouble(), 0, 0,
              passage.length(), passage));
        }
        if (queries.put(qid, query) != null) {
          throw new InputException(file, lineNo, "query " + qid + " is listed twice");
        }
        candidates.put(qid, List.copyOf(cs));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read candidate lists " + file + ": " + e.getMessage(), e);
    }
    if (queries.isEmpty()) {
      throw new InputException(file, 0, "no candidate lists in the file");
    }
    return new CandidateLists(file, queries, candidates);
  }

  private static String text(JsonNode node, String field, Path file, long line) {
    JsonNode v = node.get(field);
    if (v == null || !v.isValueNode() || v.isNull()) {
      throw new InputException(file, line, "missing field \"" + field + "\"");
    }
    return v.asText();
  }
}
