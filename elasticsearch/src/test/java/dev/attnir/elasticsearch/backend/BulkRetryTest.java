package dev.attnir.elasticsearch.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import dev.attnir.indexer.PassageEncoder;
import dev.attnir.indexer.PassageIndexWriter;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.indexer.PassageSplitter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The writer's handling of an overloaded cluster, against a fake node (a real one cannot be made to answer 429 on
 * demand): a document rejected with 429 is retried with backoff until accepted, and one rejected on every attempt is
 * reported by id while the others are committed.
 */
class BulkRetryTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private HttpServer server;
  /** Bulk attempts per document id. */
  private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
  /** How many times each id is rejected with 429 before it is accepted (absent: accepted at once). */
  private final Map<String, Integer> rejections = new ConcurrentHashMap<>();
  private final List<String> accepted = new ArrayList<>();

  @BeforeEach
  void startFakeNode() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    String method = ex.getRequestMethod();
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    if (path.equals("/_analyze")) {
      reply(ex, 200, "{\"tokens\":[{\"token\":\"probe\"}]}");
    } else if (path.equals("/idx") && method.equals("GET")) {
      reply(ex, 404, "{\"error\":{\"type\":\"index_not_found_exception\",\"reason\":\"no such index [idx]\"},"
          + "\"status\":404}");
    } else if (path.equals("/idx") && method.equals("PUT") || path.equals("/idx/_mapping")) {
      reply(ex, 200, "{\"acknowledged\":true}");
    } else if (path.endsWith("/_bulk")) {
      reply(ex, 200, bulk(body));
    } else if (path.equals("/idx/_refresh")) {
      reply(ex, 200, "{\"_shards\":{\"total\":1,\"successful\":1,\"failed\":0}}");
    } else if (path.equals("/idx/_search")) {
      JsonNode request = JSON.readTree(body);
      if (request.has("aggs")) {
        synchronized (accepted) {
          reply(ex, 200, "{\"hits\":{\"total\":{\"value\":" + accepted.size() + ",\"relation\":\"eq\"},\"hits\":[]},"
              + "\"aggregations\":{\"passages\":{\"value\":" + accepted.size() + "}}}");
        }
      } else {
        reply(ex, 200, "{\"hits\":{\"hits\":[]}}"); // the fingerprint scan: nothing to sum here
      }
    } else {
      reply(ex, 400, "{\"error\":{\"type\":\"fake\",\"reason\":\"unexpected " + method + " " + path + "\"}}");
    }
  }

  private String bulk(String ndjson) throws IOException {
    StringBuilder items = new StringBuilder();
    String[] lines = ndjson.split("\n");
    for (int i = 0; i + 1 < lines.length; i += 2) {
      String id = JSON.readTree(lines[i]).path("index").path("_id").asText();
      int attempt = attempts.computeIfAbsent(id, x -> new AtomicInteger()).incrementAndGet();
      boolean reject = attempt <= rejections.getOrDefault(id, 0);
      if (items.length() > 0) {
        items.append(',');
      }
      if (reject) {
        items.append("{\"index\":{\"_index\":\"idx\",\"_id\":\"").append(id).append("\",\"status\":429,\"error\":{"
            + "\"type\":\"es_rejected_execution_exception\",\"reason\":\"rejected execution (queue full)\"}}}");
      } else {
        synchronized (accepted) {
          accepted.add(id);
        }
        items.append("{\"index\":{\"_index\":\"idx\",\"_id\":\"").append(id).append("\",\"_version\":1,"
            + "\"result\":\"created\",\"status\":201,\"_seq_no\":0,\"_primary_term\":1,"
            + "\"_shards\":{\"total\":1,\"successful\":1,\"failed\":0}}}");
      }
    }
    return "{\"took\":1,\"errors\":true,\"items\":[" + items + "]}";
  }

  private static void reply(HttpExchange ex, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.getResponseHeaders().add("X-elastic-product", "Elasticsearch");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private ElasticsearchIndexWriter writer(ElasticsearchConnection c, int retries) {
    PassageEncoder encoder = new PassageEncoder(
        PassageSplitter.whitespace(PassageSettings.wholeDocument("whitespace")), null);
    ElasticsearchIndexOptions options = new ElasticsearchIndexOptions(ElasticsearchIndexOptions.defaults().bm25(),
        VectorIndexOptions.defaults(), 1, 0, 10, retries);
    return ElasticsearchIndexWriter.open(c, "idx", "english-porter", encoder, options,
        PassageIndexWriter.Mode.CREATE_OR_APPEND);
  }

  private static List<Document> docs(int n) {
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      docs.add(new Document("d" + i, "", "text of document " + i));
    }
    return docs;
  }

  @Test
  void documentsRejectedAsOverloadedAreRetriedUntilAccepted() {
    rejections.put("d3", 2);
    rejections.put("d7", 1);
    try (ElasticsearchConnection c = ElasticsearchConnection.open("http://127.0.0.1:" + server.getAddress().getPort(),
        ElasticsearchConnection.Credentials.none());
        ElasticsearchIndexWriter w = writer(c, 5)) {
      w.add(docs(10), ProgressListener.none());
      assertEquals(10, w.commit().documents());
    }
    assertEquals(3, attempts.get("d3").get());
    assertEquals(2, attempts.get("d7").get());
    assertEquals(1, attempts.get("d0").get());
  }

  @Test
  void aDocumentStillRejectedAfterTheRetriesIsReportedAndTheOthersCommitted() {
    rejections.put("d4", 100);
    try (ElasticsearchConnection c = ElasticsearchConnection.open("http://127.0.0.1:" + server.getAddress().getPort(),
        ElasticsearchConnection.Credentials.none());
        ElasticsearchIndexWriter w = writer(c, 2)) {
      w.add(docs(10), ProgressListener.none());
      PartialWriteException e = assertThrows(PartialWriteException.class, w::commit);
      assertEquals(List.of("d4"), List.copyOf(e.failures().keySet()));
      assertTrue(e.failures().get("d4").contains("429") && e.failures().get("d4").contains("queue full"),
          e.failures().get("d4"));
      assertEquals(9, e.committed().documents());
    }
    assertEquals(3, attempts.get("d4").get(), "the first attempt and 2 retries");
  }
}
