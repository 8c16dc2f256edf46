package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.core.Candidate;
import dev.attnir.core.Ranking;
import dev.attnir.core.Reranker;
import dev.attnir.core.Rerankers;
import dev.attnir.elasticsearch.backend.ElasticsearchConnection;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.indexer.Searcher;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code attnir serve}: embeddings and rerankings served over loopback HTTP equal the library's own, computed here
 * directly (to the bit: the same model run on the same texts); an index's embedding identity (model, pooling, query
 * prefix) is applied; bad requests are answered with the status and a reason naming the field.
 */
class ModelServerTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newHttpClient();

  private record Answer(int status, JsonNode body) {}

  private Answer call(ModelServer server, String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
    b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
        : b.method(method, HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
    HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), JSON.readTree(r.body()));
  }

  /** The embedding identity the server reports. */
  private static dev.attnir.encoders.EmbeddingIdentity identity(JsonNode response) {
    return JSON.convertValue(response.get("identity"), dev.attnir.encoders.EmbeddingIdentity.class);
  }

  private static float[][] vectors(JsonNode body) {
    JsonNode rows = body.get("vectors");
    float[][] out = new float[rows.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = new float[rows.get(i).size()];
      for (int j = 0; j < out[i].length; j++) {
        out[i][j] = (float) rows.get(i).get(j).asDouble();
      }
    }
    return out;
  }

  @Test
  void servesEmbeddingsAndRerankingsEqualToTheLibrarys(@TempDir Path dir) throws Exception {
    Path corpus = dir.resolve("corpus.jsonl");
    Files.writeString(corpus, """
        {"_id": "d1", "title": "Vitamin D", "text": "Vitamin D and calcium reduced hip fractures in older women."}
        {"_id": "d2", "title": "Graphene", "text": "Graphene is a single layer of carbon atoms."}
        {"_id": "d3", "title": "p53", "text": "The transcription factor p53 regulates the cell cycle."}
        """);
    Path index = dir.resolve("index");
    Cli built = Cli.run("index", "--corpus", corpus.toString(), "--index", index.toString(), "--model", "e5-small-v2",
        "--pooling", "mean");
    assertEquals(0, built.code(), built.out() + built.err());
    List<String> texts = List.of("does vitamin D prevent fractures", "what is graphene");
    try (ModelServer server = new ModelServer("127.0.0.1", 0, 2, 3, ElasticsearchConnection.Credentials.none())) {
      assertEquals("ok", call(server, "GET", "/health", null).body().get("status").asText());

      // by model, the model's own pooling
      Answer byModel = call(server, "POST", "/embed", JSON.writeValueAsString(java.util.Map.of("model",
          "all-MiniLM-L6-v2", "input", "query", "texts", texts)));
      assertEquals(200, byModel.status(), String.valueOf(byModel.body().get("error")));
      try (Embedder direct = Embedder.load(ModelRegistry.resolve("all-MiniLM-L6-v2"), EncoderOptions.forQueries())) {
        assertArrayEquals(direct.embedQueries(texts), vectors(byModel.body()));
        assertEquals(direct.identity(), identity(byModel.body()));
      }

      // as the index embeds: e5's "query: " prefix, mean pooling
      Answer byIndex = call(server, "POST", "/embed", JSON.writeValueAsString(java.util.Map.of("index",
          index.toString(), "input", "query", "texts", texts)));
      assertEquals(200, byIndex.status(), String.valueOf(byIndex.body().get("error")));
      try (Searcher searcher = Searcher.open(index)) {
        assertArrayEquals(searcher.embedder().embedQueries(texts), vectors(byIndex.body()));
        assertEquals(searcher.manifest().embedding(), identity(byIndex.body()));
        assertEquals("query: ", identity(byIndex.body()).queryPrefix());
        assertEquals("mean", identity(byIndex.body()).pooling());
      }
      Answer passages = call(server, "POST", "/embed", JSON.writeValueAsString(java.util.Map.of("index",
          index.toString(), "input", "passage", "texts", List.of("x ".repeat(2000)))));
      assertEquals(1, passages.body().get("truncated").asInt(), passages.body().toString());

      // reranking
      List<Candidate> candidates = new ArrayList<>();
      String body = "{\"reranker\": \"cross-encoder-minilm\", \"query\": \"does vitamin D prevent fractures\", "
          + "\"candidates\": [{\"id\": \"g\", \"text\": \"Graphene is a single layer of carbon atoms.\"}, "
          + "{\"id\": \"v\", \"text\": \"Vitamin D and calcium reduced hip fractures in older women.\"}]}";
      candidates.add(new Candidate("g", 1, 0, 0, 0, 10, "Graphene is a single layer of carbon atoms."));
      candidates.add(new Candidate("v", 2, 0, 0, 0, 10, "Vitamin D and calcium reduced hip fractures in older women."));
      Answer reranked = call(server, "POST", "/rerank", body);
      assertEquals(200, reranked.status(), reranked.body().toString());
      Reranker direct = Rerankers.create("cross-encoder-minilm");
      try {
        Ranking want = direct.rerank("does vitamin D prevent fractures", candidates);
        JsonNode results = reranked.body().get("results");
        assertEquals(want.size(), results.size());
        for (int i = 0; i < want.size(); i++) {
          assertEquals(want.get(i).docId(), results.get(i).get("id").asText());
          assertEquals(want.get(i).score(), results.get(i).get("score").asDouble(), 0.0);
        }
        assertEquals("v", results.get(0).get("id").asText());
      } finally {
        ((AutoCloseable) direct).close();
      }
      assertEquals(3, call(server, "GET", "/health", null).body().get("embedders").size()
          + call(server, "GET", "/health", null).body().get("rerankers").size());

      // the index rebuilt at the same path with another model: served as it is now, not as it was
      try (var files = Files.walk(index)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
      Cli rebuilt = Cli.run("index", "--corpus", corpus.toString(), "--index", index.toString(), "--model",
          "all-MiniLM-L6-v2", "--pooling", "mean");
      assertEquals(0, rebuilt.code(), rebuilt.out() + rebuilt.err());
      Answer again = call(server, "POST", "/embed", JSON.writeValueAsString(java.util.Map.of("index",
          index.toString(), "input", "query", "texts", texts)));
      assertEquals("all-MiniLM-L6-v2", identity(again.body()).model(),
          String.valueOf(again.body().get("identity")));
      try (Searcher searcher = Searcher.open(index)) {
        assertArrayEquals(searcher.embedder().embedQueries(texts), vectors(again.body()));
      }

      // the model limit (3) is reached: a fourth model is refused, the loaded ones still serve
      Answer full = call(server, "POST", "/embed", "{\"model\": \"bge-small-en-v1.5\", \"input\": \"query\", "
          + "\"texts\": [\"a\"]}");
      assertEquals(503, full.status(), full.body().toString());
      assertTrue(full.body().at("/error/reason").asText().contains("--max-models"), full.body().toString());
      assertEquals(200, byModelAgain(server).status());
    }
  }

  private Answer byModelAgain(ModelServer server) throws Exception {
    return call(server, "POST", "/embed", "{\"model\": \"all-MiniLM-L6-v2\", \"input\": \"passage\", "
        + "\"texts\": [\"still here\"]}");
  }

  @Test
  void badRequestsGetTheirStatusAndAReason() throws Exception {
    try (ModelServer server = new ModelServer("127.0.0.1", 0, 1, 2, ElasticsearchConnection.Credentials.none())) {
      String[][] cases = {
          {"GET", "/embed", null, "405", "/embed takes POST"},
          {"POST", "/nowhere", "{}", "404", "no route /nowhere"},
          {"POST", "/embed", "not json", "400", "not JSON"},
          {"POST", "/embed", "[1]", "400", "must be a JSON object"},
          {"POST", "/embed", "{\"model\": \"all-MiniLM-L6-v2\", \"input\": \"query\"}", "400",
              "'texts' must be a non-empty array"},
          {"POST", "/embed", "{\"model\": \"all-MiniLM-L6-v2\", \"input\": \"query\", \"texts\": [\"a\", 3]}", "400",
              "texts[1] must be a string"},
          {"POST", "/embed", "{\"model\": \"all-MiniLM-L6-v2\", \"input\": \"doc\", \"texts\": [\"a\"]}", "400",
              "'input' must be \"query\" or \"passage\""},
          {"POST", "/embed", "{\"model\": \"m\", \"index\": \"i\", \"input\": \"query\", \"texts\": [\"a\"]}", "400",
              "exactly one of 'index'"},
          {"POST", "/embed", "{\"model\": \"bert-huge\", \"input\": \"query\", \"texts\": [\"a\"]}", "400",
              "unknown model 'bert-huge'"},
          {"POST", "/embed", "{\"model\": \"all-MiniLM-L6-v2\", \"pooling\": \"whiten\", \"input\": \"query\", "
              + "\"texts\": [\"a\"]}", "400", "needs fitted or trained state"},
          {"POST", "/embed", "{\"index\": \"/no/such/index\", \"input\": \"query\", \"texts\": [\"a\"]}", "400",
              "/no/such/index"},
          {"POST", "/embed", "{\"model\": \"all-MiniLM-L6-v2\", \"input\": \"query\", \"texts\": [\"a\"], "
              + "\"normalize\": false}", "400", "unknown field 'normalize'"},
          {"POST", "/rerank", "{\"reranker\": \"no-such\", \"query\": \"q\", \"candidates\": [{\"id\": \"a\", "
              + "\"text\": \"t\"}]}", "400", "no-such"},
          {"POST", "/rerank", "{\"reranker\": \"cross-encoder-minilm\", \"query\": \"q\", \"candidates\": "
              + "[{\"id\": 1, \"text\": \"t\"}]}", "400", "candidates[0] must be"},
      };
      for (String[] c : cases) {
        Answer a = call(server, c[0], c[1], c[2]);
        assertEquals(Integer.parseInt(c[3]), a.status(), c[1] + " " + c[2] + ": " + a.body());
        assertTrue(a.body().at("/error/reason").asText().contains(c[4]), c[2] + ": " + a.body());
      }
      assertEquals("ok", call(server, "GET", "/health", null).body().get("status").asText());
    }
  }
}
