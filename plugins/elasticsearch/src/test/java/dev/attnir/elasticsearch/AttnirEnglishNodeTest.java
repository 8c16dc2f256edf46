package dev.attnir.elasticsearch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.analysis.Analyzers;
import java.io.BufferedReader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.OffsetAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The installed plugin's {@code attnir_english}, run by a real Elasticsearch node ({@code _analyze}), yields exactly
 * the tokens of the Lucene backend's analyzer ({@link Analyzers#DEFAULT}): term, position and offsets, token by token,
 * on hand-picked hard cases and on SciFact documents. Needs a node with the plugin ({@code bin/es-node start}; env
 * {@code ATTNIR_ES_URL}); skips without one, except under CI, where a missing node is a failure.
 */
class AttnirEnglishNodeTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> HARD_CASES = List.of(
      "The patients' COVID-19 vaccines weren't running at 3.5mg/kg in John's studies.",
      "John’s and JOHN'S and johns' — possessives with curly and straight apostrophes",
      "e-mail someone@example.org or see https://example.org/a_b?c=1 (v2.0.1, 10,000 cells; p<0.05)",
      "Ünïcödé naïve café résumé Straße ΑΒΓ αβγ 日本語のテキスト 한국어 emoji 🧬🔬 done",
      "IL-6/IL-10 ratio; TNF-α; β-catenin; CD4+ T cells; mRNA; 5'-UTR; x86_64 & C++",
      "the and a an of to in is are was were be been being have has had do does did",
      "");

  @Test
  void nodeTokenizesHardCasesLikeTheLuceneBackend() throws Exception {
    String url = nodeUrl();
    try (Analyzer lucene = Analyzers.create(Analyzers.DEFAULT)) {
      for (String text : HARD_CASES) {
        assertEquals(luceneTokens(lucene, text), nodeTokens(url, text), "text: " + text);
      }
    }
  }

  @Test
  void nodeTokenizesSciFactDocumentsLikeTheLuceneBackend() throws Exception {
    String url = nodeUrl();
    Path corpus = repositoryRoot().resolveSibling("shared").resolve("data/scifact/corpus.jsonl");
    Assumptions.assumeTrue(Files.exists(corpus), "skipped: " + corpus + " not found (../shared beside the project "
        + "root holds the evaluation data; CI has it, a fresh clone does not)");
    int documents = 0;
    long tokens = 0;
    try (Analyzer lucene = Analyzers.create(Analyzers.DEFAULT);
        BufferedReader reader = Files.newBufferedReader(corpus)) {
      String line;
      while ((line = reader.readLine()) != null && documents < 300) {
        JsonNode doc = JSON.readTree(line);
        String text = doc.path("title").asText() + "\n" + doc.path("text").asText();
        List<Token> expected = luceneTokens(lucene, text);
        assertEquals(expected, nodeTokens(url, text), "SciFact document " + doc.path("_id").asText());
        documents++;
        tokens += expected.size();
      }
    }
    assertEquals(300, documents);
    assertTrue(tokens > 30_000, "compared only " + tokens + " tokens");
  }

  @Test
  void analyzerIsUsableByNameInAMapping() throws Exception {
    String url = nodeUrl();
    String index = "attnir-analyzer-mapping-test";
    send(url, "DELETE", "/" + index + "?ignore_unavailable=true", null);
    try {
      JsonNode created = send(url, "PUT", "/" + index,
          Map.of("mappings", Map.of("properties", Map.of("body", Map.of("type", "text", "analyzer", "attnir_english")))));
      assertTrue(created.path("acknowledged").asBoolean(), created.toString());
      send(url, "PUT", "/" + index + "/_doc/1?refresh=true", Map.of("body", "Running studies of patients' vaccines"));
      JsonNode hits = send(url, "POST", "/" + index + "/_search",
          Map.of("query", Map.of("term", Map.of("body", "vaccin"))));
      assertEquals(1, hits.path("hits").path("total").path("value").asInt(), hits.toString());
    } finally {
      send(url, "DELETE", "/" + index + "?ignore_unavailable=true", null);
    }
  }

  record Token(String term, int position, int start, int end) {}

  private static List<Token> luceneTokens(Analyzer analyzer, String text) throws IOException {
    List<Token> out = new ArrayList<>();
    try (TokenStream stream = analyzer.tokenStream("body", text)) {
      CharTermAttribute term = stream.addAttribute(CharTermAttribute.class);
      PositionIncrementAttribute increment = stream.addAttribute(PositionIncrementAttribute.class);
      OffsetAttribute offset = stream.addAttribute(OffsetAttribute.class);
      stream.reset();
      int position = -1;
      while (stream.incrementToken()) {
        position += increment.getPositionIncrement();
        out.add(new Token(term.toString(), position, offset.startOffset(), offset.endOffset()));
      }
      stream.end();
    }
    return out;
  }

  private static List<Token> nodeTokens(String url, String text) throws Exception {
    JsonNode response = send(url, "POST", "/_analyze", Map.of("analyzer", "attnir_english", "text", text));
    assertFalse(response.has("error"), response.toString());
    List<Token> out = new ArrayList<>();
    for (JsonNode t : response.path("tokens")) {
      out.add(new Token(t.path("token").asText(), t.path("position").asInt(), t.path("start_offset").asInt(),
          t.path("end_offset").asInt()));
    }
    return out;
  }

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static JsonNode send(String url, String method, String path, Object body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30));
    if (body == null) {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      request.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    }
    HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(response.body());
  }

  /** The node under test ({@code ATTNIR_ES_URL}); skips without one, fails under CI. */
  static String nodeUrl() {
    String url = System.getenv("ATTNIR_ES_URL");
    if (url == null || url.isBlank()) {
      if ("true".equals(System.getenv("CI"))) {
        throw new IllegalStateException("ATTNIR_ES_URL is not set: CI must start a node (bin/es-node start) first");
      }
      Assumptions.abort("skipped: no Elasticsearch node (start one with bin/es-node start and set ATTNIR_ES_URL)");
    }
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  static Path repositoryRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve("bin/es-node"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("not inside the attnir repository: " + Path.of("").toAbsolutePath());
    }
    return dir;
  }
}
