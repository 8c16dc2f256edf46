package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.attnir.core.Candidate;
import dev.attnir.core.Ranking;
import dev.attnir.core.Reranker;
import dev.attnir.core.Rerankers;
import dev.attnir.core.ScoredDoc;
import dev.attnir.elasticsearch.backend.ElasticsearchConnection;
import dev.attnir.elasticsearch.backend.ElasticsearchSearchBackend;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.indexer.embedding.EmbedderFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin's inference parts on a real node, against attnir's own code: {@code attnir_embed} writes exactly the
 * documents the client-side writer writes (whitened vectors, whose state the server reads from the cluster), per
 * document errors; {@code attnir_text} embeds as the library does; {@code attnir_hybrid} fuses as the Java hybrid
 * retriever does; {@code attnir_rerank} scores as the reranker run in-process; bad parameters are 400s naming the
 * problem; a model server that goes away degrades search with a warning, fails ingest per document with a 502, and is
 * picked up again when it returns, with no node restart and the cluster green throughout.
 *
 * <p>Needs a node with the plugin ({@code bin/es-node start}; env {@code ATTNIR_ES_URL}); skips without one, except
 * under CI. The model server runs in this JVM; the node reaches it over loopback (settings
 * {@code attnir.model_server.*}, dynamic).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PluginInferenceNodeTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String QUERY = "who plays anna in once upon a time";

  private static String node;
  private static ModelServer server;
  private static int port;
  private static String suffix;
  private static String client;
  private static String ingest;
  private static String pipeline;
  @TempDir
  static Path dir;

  @BeforeAll
  static void startServerAndBuildTheClientSideIndex() throws Exception {
    node = System.getenv("ATTNIR_ES_URL");
    if (node == null || node.isBlank()) {
      String why = "ATTNIR_ES_URL is not set (bin/es-node start --port 9250; ATTNIR_ES_URL=http://127.0.0.1:9250)";
      if ("true".equals(System.getenv("CI"))) {
        fail(why + "; CI=true: a missing node is a failure");
      }
      Assumptions.abort(why);
    }
    server = new ModelServer("127.0.0.1", 0, 2, 4, ElasticsearchConnection.Credentials.none());
    port = server.port();
    putSettings(port, node);
    suffix = UUID.randomUUID().toString().substring(0, 8);
    client = "attnir-plugin-client-" + suffix;
    ingest = "attnir-plugin-ingest-" + suffix;
    pipeline = "attnir-plugin-" + suffix;
    // 200 documents cut into 64-token windows: 445 passages, enough to fit a 32-dimension whitening
    Path corpus = dir.resolve("corpus.jsonl");
    Files.write(corpus, Files.readAllLines(Path.of("..", "samples", "nq-sample", "corpus.jsonl")).subList(0, 200));
    Cli built = Cli.run("index", "--corpus", corpus.toString(), "--index", client, "--backend", node,
        "--passages", "window", "--passage-length", "64", "--pooling", "whiten", "--whiten-dims", "32");
    assertEquals(0, built.code(), built.out() + built.err());
    // the ingest index: the client index's mapping (manifest included), settings and pooling state, no documents
    JsonNode meta = es("GET", "/" + client, null).body().path(client);
    JsonNode settings = meta.path("settings").path("index");
    ObjectNode create = JSON.createObjectNode();
    ObjectNode index = create.putObject("settings").putObject("index");
    index.put("number_of_shards", settings.path("number_of_shards").asText());
    index.put("number_of_replicas", settings.path("number_of_replicas").asText());
    index.set("similarity", settings.path("similarity"));
    create.set("mappings", meta.path("mappings"));
    assertEquals(200, es("PUT", "/" + ingest, create).status());
    // the state side index, copied document by document (the integ-test distribution has no _reindex)
    String state = client + "-attnir-state";
    JsonNode stateIndex = es("GET", "/" + state, null).body().path(state);
    ObjectNode stateCreate = JSON.createObjectNode();
    stateCreate.putObject("settings").putObject("index").put("number_of_replicas", 0);
    stateCreate.set("mappings", stateIndex.path("mappings"));
    assertEquals(200, es("PUT", "/" + ingest + "-attnir-state", stateCreate).status());
    JsonNode stateDocs = es("GET", "/" + state + "/_search?size=10", null).body().path("hits").path("hits");
    assertEquals(1, stateDocs.size(), "one whitening state");
    for (JsonNode d : stateDocs) {
      Response put = es("PUT", "/" + ingest + "-attnir-state/_doc/" + d.path("_id").asText() + "?refresh=true",
          d.path("_source"));
      assertEquals(201, put.status(), put.body().toString());
    }
    Response p = es("PUT", "/_ingest/pipeline/" + pipeline, JSON.readTree(
        "{\"processors\": [{\"attnir_embed\": {\"field\": \"text\", \"title_field\": \"title\"}}]}"));
    assertEquals(200, p.status(), p.body().toString());
  }

  @AfterAll
  static void cleanUp() throws Exception {
    // ATTNIR_KEEP=1 leaves the indices behind for a look after a failure
    if (node == null || node.isBlank() || System.getenv("ATTNIR_KEEP") != null) {
      return;
    }
    for (String i : List.of(client, ingest, client + "-attnir-state", ingest + "-attnir-state")) {
      es("DELETE", "/" + i, null);
    }
    es("DELETE", "/_ingest/pipeline/" + pipeline, null);
    putSettings(-1, null);
    if (server != null) {
      server.close();
    }
  }

  @Test
  @Order(1)
  void ingestProcessorWritesWhatTheClientSideWriterWrites() throws Exception {
    List<String> lines = Files.readAllLines(Path.of("..", "samples", "nq-sample", "corpus.jsonl")).subList(0, 200);
    StringBuilder bulk = new StringBuilder();
    for (String line : lines) {
      JsonNode d = JSON.readTree(line);
      bulk.append("{\"index\": {\"_index\": \"").append(ingest).append("\", \"_id\": \"").append(d.path("_id").asText())
          .append("\"}}\n");
      ObjectNode doc = JSON.createObjectNode().put("title", d.path("title").asText()).put("text", d.path("text").asText());
      bulk.append(JSON.writeValueAsString(doc)).append('\n');
    }
    // documents the processor must reject, each with its own reason, while the others are indexed
    bulk.append("{\"index\": {\"_index\": \"").append(ingest).append("\", \"_id\": \"no-text\"}}\n{\"title\": \"t\"}\n");
    bulk.append("{\"index\": {\"_index\": \"").append(ingest).append("\", \"_id\": \"number\"}}\n{\"text\": 5}\n");
    bulk.append("{\"index\": {\"_index\": \"").append(ingest).append("\"}}\n{\"text\": \"no id given\"}\n");
    Response r = esNdjson("/_bulk?refresh=true&pipeline=" + pipeline, bulk.toString());
    assertEquals(200, r.status(), r.body().toString());
    Map<String, String> failures = new HashMap<>();
    int ok = 0;
    for (JsonNode item : r.body().path("items")) {
      JsonNode i = item.path("index");
      if (i.path("status").asInt() >= 300) {
        assertEquals(400, i.path("status").asInt(), i.toString());
        failures.put(i.path("_id").asText("auto"), i.path("error").path("reason").asText());
      } else {
        ok++;
      }
    }
    assertEquals(200, ok, "every good document indexed: " + failures);
    assertEquals(3, failures.size(), failures.toString());
    assertTrue(failures.get("no-text").contains("field [text] not present"), failures.get("no-text"));
    assertTrue(failures.get("number").contains("cannot be cast to [java.lang.String]"), failures.get("number"));
    assertTrue(failures.values().stream().anyMatch(m -> m.contains("needs the document's _id")), failures.toString());

    double worst = 0;
    for (String line : lines) {
      String id = JSON.readTree(line).path("_id").asText();
      JsonNode a = es("GET", "/" + client + "/_doc/" + id + "?_source_exclude_vectors=false", null).body()
          .path("_source");
      JsonNode b = es("GET", "/" + ingest + "/_doc/" + id + "?_source_exclude_vectors=false", null).body()
          .path("_source");
      for (String field : List.of("doc_id", "passage_count", "doc_digest")) {
        assertEquals(a.path(field), b.path(field), id + " " + field);
      }
      assertEquals(a.path("passages").size(), b.path("passages").size(), id);
      for (int p = 0; p < a.path("passages").size(); p++) {
        JsonNode pa = a.path("passages").get(p);
        JsonNode pb = b.path("passages").get(p);
        for (String field : List.of("ordinal", "start", "end", "contents")) {
          assertEquals(pa.path(field), pb.path(field), id + " passage " + p + " " + field);
        }
        assertEquals(32, pb.path("vector").size(), "whitened to 32 dimensions");
        for (int k = 0; k < 32; k++) {
          worst = Math.max(worst, Math.abs(pa.path("vector").get(k).asDouble() - pb.path("vector").get(k).asDouble()));
        }
      }
    }
    assertTrue(worst <= 1e-5, "largest vector difference " + worst);

    // configuration errors are refused when the pipeline is created, naming the option
    Response bad = es("PUT", "/_ingest/pipeline/" + pipeline + "-bad", JSON.readTree(
        "{\"processors\": [{\"attnir_embed\": {\"field\": \"text\", \"model\": \"bge-small-en-v1.5\"}}]}"));
    assertEquals(400, bad.status());
    assertTrue(bad.body().toString().contains("'model' and 'pooling' go with 'target_field'"), bad.body().toString());
    // an unknown model fails each document with the server's reason
    Response simulated = es("POST", "/_ingest/pipeline/_simulate", JSON.readTree("{\"pipeline\": {\"processors\": [{"
        + "\"attnir_embed\": {\"field\": \"text\", \"model\": \"no-such-model\", \"target_field\": \"v\"}}]}, "
        + "\"docs\": [{\"_source\": {\"text\": \"hello\"}}]}"));
    assertEquals(200, simulated.status(), simulated.body().toString());
    String reason = simulated.body().path("docs").get(0).path("error").path("reason").asText();
    assertTrue(reason.contains("no-such-model"), simulated.body().toString());
    Response badPooling = es("POST", "/_ingest/pipeline/_simulate", JSON.readTree("{\"pipeline\": {\"processors\": [{"
        + "\"attnir_embed\": {\"field\": \"text\", \"model\": \"all-MiniLM-L6-v2\", \"pooling\": \"no-such-pooling\", "
        + "\"target_field\": \"v\"}}]}, \"docs\": [{\"_source\": {\"text\": \"hello\"}}]}"));
    assertEquals(200, badPooling.status(), badPooling.body().toString());
    assertTrue(badPooling.body().path("docs").get(0).path("error").path("reason").asText().contains("no-such-pooling"),
        badPooling.body().toString());
    assertEquals("green", es("GET", "/_cluster/health", null).body().path("status").asText());
    // one vector for any mapping; a text longer than the model reads is embedded truncated, and the response says so
    Response truncated = es("POST", "/_ingest/pipeline/_simulate", JSON.readTree("{\"pipeline\": {\"processors\": "
        + "[{\"attnir_embed\": {\"field\": \"text\", \"model\": \"all-MiniLM-L6-v2\", \"target_field\": \"v\"}}]},"
        + " \"docs\": [{\"_source\": {\"text\": \"" + "lung cancer ".repeat(600) + "\"}}]}"));
    assertEquals(200, truncated.status(), truncated.body().toString());
    assertEquals(384, truncated.body().path("docs").get(0).path("doc").path("_source").path("v").size(),
        truncated.body().toString());
    assertNotNull(truncated.warning(), "a Warning header counts the truncated text");
    assertTrue(truncated.warning().contains("1 of 1 texts") && truncated.warning().contains("truncated"),
        truncated.warning());
  }

  @Test
  @Order(2)
  void textQueriesHybridAndRerankMatchTheLibrary() throws Exception {
    // attnir_text embeds as the library embeds for this index (whitening state read from the cluster)
    float[] vector;
    try (ElasticsearchSearchBackend backend = ElasticsearchSearchBackend.connect(node,
        ElasticsearchConnection.Credentials.none(), ingest);
        Embedder embedder = EmbedderFactory.forIndex(backend, null, EncoderOptions.forQueries())) {
      vector = embedder.embedQueries(List.of(QUERY))[0];
    }
    Response byText = es("POST", "/" + ingest + "/_search", JSON.readTree("{\"size\": 10, \"_source\": false, "
        + "\"knn\": {\"field\": \"passages.vector\", \"k\": 10, \"num_candidates\": 500, \"query_vector_builder\": "
        + "{\"attnir_text\": {\"index\": \"" + ingest + "\", \"text\": \"" + QUERY + "\"}}}}"));
    ObjectNode byVectorBody = (ObjectNode) JSON.readTree("{\"size\": 10, \"_source\": false, \"knn\": {\"field\": "
        + "\"passages.vector\", \"k\": 10, \"num_candidates\": 500}}");
    ((ObjectNode) byVectorBody.path("knn")).set("query_vector", JSON.valueToTree(vector));
    Response byVector = es("POST", "/" + ingest + "/_search", byVectorBody);
    assertEquals(200, byText.status(), byText.body().toString());
    assertEquals(hits(byVector), hits(byText));
    assertEquals(10, hits(byText).size());

    // the CLI without a local model: the cluster embeds the query (_attnir/embed), with the same results
    Cli local = Cli.run("search", "--index", ingest, "--backend", node, "--query", QUERY, "-k", "10", "--retriever",
        "dense");
    Cli remote = Cli.run("search", "--index", ingest, "--backend", node, "--query", QUERY, "-k", "10", "--retriever",
        "dense", "--server-side-embedding");
    assertEquals(0, remote.code(), remote.out() + remote.err());
    assertEquals(local.out().lines().filter(l -> l.matches("\\s*\\d+\\s.*")).toList(),
        remote.out().lines().filter(l -> l.matches("\\s*\\d+\\s.*")).toList());
    Response embedBoth = es("POST", "/" + ingest + "/_attnir/embed", JSON.readTree("{\"model\": \"x\", "
        + "\"input\": \"query\", \"texts\": [\"q\"]}"));
    assertEquals(400, embedBoth.status());
    assertTrue(embedBoth.body().toString().contains("not both"), embedBoth.body().toString());

    // attnir_hybrid fuses as the Java hybrid retriever over the same index does
    Response hybrid = es("POST", "/" + ingest + "/_search", JSON.readTree("{\"size\": 10, \"_source\": false, "
        + "\"retriever\": {\"attnir_hybrid\": {\"query\": \"" + QUERY + "\", \"rank_window_size\": 100, "
        + "\"num_candidates\": 1000}}}"));
    assertEquals(200, hybrid.status(), hybrid.body().toString());
    Cli java = Cli.run("search", "--index", ingest, "--backend", node, "--query", QUERY, "-k", "10", "--retriever",
        "hybrid", "--hybrid-depth", "100", "--oversample", "10");
    assertEquals(0, java.code(), java.out() + java.err());
    List<String[]> expected = java.out().lines().filter(l -> l.matches("\\s*\\d+\\s+\\S+\\s+[0-9.]+.*"))
        .map(l -> l.trim().split("\\s+")).toList();
    List<Map.Entry<String, Double>> got = hits(hybrid);
    assertEquals(expected.size(), got.size(), java.out());
    for (int i = 0; i < got.size(); i++) {
      assertEquals(Double.parseDouble(expected.get(i)[2]), got.get(i).getValue(), 1e-6, "rank " + (i + 1));
      // equal fused scores may be ordered differently (document id here, Lucene doc there)
      if (i + 1 < got.size() && Math.abs(got.get(i).getValue() - got.get(i + 1).getValue()) > 1e-6
          && (i == 0 || Math.abs(got.get(i).getValue() - got.get(i - 1).getValue()) > 1e-6)) {
        assertEquals(expected.get(i)[1], got.get(i).getKey(), "rank " + (i + 1));
      }
    }

    // attnir_rerank: the cross-encoder's scores, max over each hit's passages, as the reranker run here gives them
    Response first = es("POST", "/" + ingest + "/_search", bm25(20, null));
    Response reranked = es("POST", "/" + ingest + "/_search", bm25(20, "cross-encoder-minilm"));
    assertEquals(200, reranked.status(), reranked.body().toString());
    assertEquals(null, reranked.warning());
    List<Candidate> candidates = new ArrayList<>();
    Map<String, String> owner = new HashMap<>();
    for (Map.Entry<String, Double> h : hits(first)) {
      JsonNode src = es("GET", "/" + ingest + "/_doc/" + h.getKey(), null).body().path("_source");
      for (JsonNode p : src.path("passages")) {
        String id = h.getKey() + "#" + p.path("ordinal").asInt();
        owner.put(id, h.getKey());
        String text = p.path("contents").asText();
        candidates.add(new Candidate(id, candidates.size() + 1, 0, 0, 0, text.length(), text));
      }
    }
    Map<String, Double> best = new HashMap<>();
    Reranker ce = Rerankers.create("cross-encoder-minilm");
    try {
      Ranking r = ce.rerank(QUERY, candidates);
      for (ScoredDoc d : r) {
        best.merge(owner.get(d.docId()), d.score(), Math::max);
      }
    } finally {
      if (ce instanceof AutoCloseable c) {
        c.close();
      }
    }
    List<Map.Entry<String, Double>> reorder = hits(reranked);
    assertEquals(20, reorder.size());
    for (int i = 0; i < reorder.size(); i++) {
      double s = best.get(reorder.get(i).getKey());
      double positive = s >= 0 ? s + 1 : 1 / (1 - s);
      assertEquals(positive, reorder.get(i).getValue(), 1e-4 * Math.max(1, positive), "rank " + (i + 1));
      if (i > 0) {
        assertTrue(reorder.get(i - 1).getValue() >= reorder.get(i).getValue());
      }
    }

    // explain: each hit's explanation carries its reranked score and says where it came from
    ObjectNode explained = (ObjectNode) bm25(20, "cross-encoder-minilm");
    explained.put("explain", true);
    Response withExplain = es("POST", "/" + ingest + "/_search", explained);
    assertEquals(200, withExplain.status(), withExplain.body().toString());
    for (JsonNode h : withExplain.body().path("hits").path("hits")) {
      JsonNode e = h.path("_explanation");
      assertEquals(h.path("_score").asDouble(), e.path("value").asDouble(), 1e-6, e.toString());
      assertTrue(e.path("description").asText().contains("cross-encoder-minilm scored the hit's best passage"),
          e.toString());
    }

    // bad parameters: 400 naming the problem
    Response missing = es("POST", "/" + ingest + "/_search", JSON.readTree("{\"query\": {\"match_all\": {}}, "
        + "\"rescore\": {\"attnir_rerank\": {\"query\": \"q\"}}}"));
    assertEquals(400, missing.status());
    assertTrue(missing.body().toString().contains("reranker"), missing.body().toString());
    Response unknown = es("POST", "/" + ingest + "/_search", bm25(10, "no-such-reranker"));
    assertEquals(400, unknown.status());
    assertTrue(unknown.body().toString().contains("unknown reranker 'no-such-reranker'"), unknown.body().toString());
    Response fusion = es("POST", "/" + ingest + "/_search", JSON.readTree("{\"retriever\": {\"attnir_hybrid\": "
        + "{\"query\": \"q\", \"fusion\": \"max\"}}}"));
    assertEquals(400, fusion.status());
    assertTrue(fusion.body().toString().contains("'fusion' must be"), fusion.body().toString());
    // two indices that embed differently: no one query vector fits both
    String other = "attnir-plugin-other-" + suffix;
    Path empty = dir.resolve("empty.jsonl");
    Files.writeString(empty, "");
    assertEquals(0, Cli.run("index", "--corpus", empty.toString(), "--index", other, "--backend", node).code());
    try {
      Response mixed = es("POST", "/" + ingest + "," + other + "/_search", JSON.readTree("{\"retriever\": "
          + "{\"attnir_hybrid\": {\"query\": \"q\"}}}"));
      assertEquals(400, mixed.status());
      assertTrue(mixed.body().toString().contains("embed differently"), mixed.body().toString());
      assertTrue(mixed.body().toString().contains("embedding.pooling"), mixed.body().toString());
    } finally {
      es("DELETE", "/" + other, null);
    }

    // a reranker whose scores depend on the whole list (MVP's anchors), rescoring a two-shard index: each shard
    // reranks its own window, which the search says in a warning; a cross-encoder's scores need none
    String sharded = "attnir-plugin-sharded-" + suffix;
    assertEquals(200, es("PUT", "/" + sharded, JSON.readTree("{\"settings\": {\"number_of_shards\": 2, "
        + "\"number_of_replicas\": 0}}")).status());
    try {
      for (int i = 0; i < 6; i++) {
        es("PUT", "/" + sharded + "/_doc/d" + i + "?refresh=true", JSON.readTree("{\"text\": \"passage " + i
            + " about vitamin D and sunlight\"}"));
      }
      String rescore = "{\"query\": {\"match_all\": {}}, \"rescore\": {\"window_size\": 6, \"attnir_rerank\": "
          + "{\"reranker\": \"%s\", \"query\": \"vitamin D\", \"field\": \"text\"}}}";
      Response mvp = es("POST", "/" + sharded + "/_search", JSON.readTree(String.format(rescore, "mvp-minilm")));
      assertEquals(200, mvp.status(), mvp.body().toString());
      assertTrue(mvp.warning() != null && mvp.warning().contains("has 2 shards and each reranks its own window"),
          String.valueOf(mvp.warning()));
      Response pointwise = es("POST", "/" + sharded + "/_search", JSON.readTree(String.format(rescore,
          "cross-encoder-minilm")));
      assertEquals(200, pointwise.status(), pointwise.body().toString());
      assertEquals(null, pointwise.warning());
    } finally {
      es("DELETE", "/" + sharded, null);
    }
  }

  @Test
  @Order(3)
  void aModelServerThatGoesAwayDegradesSearchAndFailsIngestUntilItReturns() throws Exception {
    Response before = es("POST", "/" + ingest + "/_search", bm25(20, null));
    server.close();
    try {
      Response reranked = es("POST", "/" + ingest + "/_search", bm25(20, "cross-encoder-minilm"));
      assertEquals(200, reranked.status(), reranked.body().toString());
      assertEquals(hits(before), hits(reranked), "first-stage order and scores kept");
      assertNotNull(reranked.warning(), "a Warning header says why");
      assertTrue(reranked.warning().contains("first-stage order kept") && reranked.warning().contains("unreachable"),
          reranked.warning());
      ObjectNode explainedBody = (ObjectNode) bm25(20, "cross-encoder-minilm");
      explainedBody.put("explain", true);
      Response explained = es("POST", "/" + ingest + "/_search", explainedBody);
      for (JsonNode h : explained.body().path("hits").path("hits")) {
        JsonNode e = h.path("_explanation");
        assertEquals(h.path("_score").asDouble(), e.path("value").asDouble(), 1e-6, e.toString());
        assertTrue(e.path("description").asText().contains("failed, first-stage score kept"), e.toString());
      }

      Response text = es("POST", "/" + ingest + "/_search", JSON.readTree("{\"knn\": {\"field\": "
          + "\"passages.vector\", \"k\": 5, \"num_candidates\": 50, \"query_vector_builder\": {\"attnir_text\": "
          + "{\"index\": \"" + ingest + "\", \"text\": \"q\"}}}}"));
      assertEquals(502, text.status(), text.body().toString());
      assertTrue(text.body().toString().contains("127.0.0.1:" + port), text.body().toString());

      Response bulk = esNdjson("/_bulk?pipeline=" + pipeline, "{\"index\": {\"_index\": \"" + ingest
          + "\", \"_id\": \"down\"}}\n{\"text\": \"while the server is down\"}\n");
      JsonNode item = bulk.body().path("items").get(0).path("index");
      assertEquals(502, item.path("status").asInt(), item.toString());
      assertTrue(item.path("error").path("reason").asText().contains("unreachable"), item.toString());
      assertEquals("green", es("GET", "/_cluster/health", null).body().path("status").asText());
    } finally {
      server = new ModelServer("127.0.0.1", port, 2, 4, ElasticsearchConnection.Credentials.none());
    }
    Response again = es("POST", "/" + ingest + "/_search", bm25(20, "cross-encoder-minilm"));
    assertEquals(200, again.status());
    assertEquals(null, again.warning(), "reranked again once the server is back");
    Response bulk = esNdjson("/_bulk?refresh=true&pipeline=" + pipeline, "{\"index\": {\"_index\": \"" + ingest
        + "\", \"_id\": \"back\"}}\n{\"text\": \"after the server came back\"}\n");
    assertEquals(201, bulk.body().path("items").get(0).path("index").path("status").asInt(), bulk.body().toString());
  }

  @Test
  @Order(4)
  void theCliSendsTextForTheClusterToEmbed() throws Exception {
    Path small = dir.resolve("small.jsonl");
    Files.write(small, Files.readAllLines(Path.of("..", "samples", "nq-sample", "corpus.jsonl")).subList(0, 30));
    Path empty = dir.resolve("empty.jsonl");
    Files.writeString(empty, "");
    String pipe = "attnir-plugin-pipe-" + suffix;
    String local = "attnir-plugin-local-" + suffix;
    Cli missing = Cli.run("index", "--corpus", small.toString(), "--index", pipe, "--backend", node,
        "--server-side-embedding");
    assertTrue(missing.code() != 0 && missing.err().contains("does not exist"), missing.err());
    // twice under the same name with different poolings: the server must not embed with the deleted index's model
    for (String pooling : List.of("cls", "mean")) {
      try {
        for (String[] args : List.of(
            new String[] {"index", "--corpus", empty.toString(), "--index", pipe},
            new String[] {"index", "--corpus", small.toString(), "--index", pipe, "--server-side-embedding"},
            new String[] {"index", "--corpus", small.toString(), "--index", local})) {
          List<String> all = new ArrayList<>(List.of(args));
          all.addAll(List.of("--backend", node, "--passages", "window", "--passage-length", "64"));
          if (!all.contains("--server-side-embedding")) {
            all.addAll(List.of("--pooling", pooling));
          }
          Cli r = Cli.run(all.toArray(String[]::new));
          assertEquals(0, r.code(), r.out() + r.err());
        }
        // documents sent through the pipeline by any client, before a commit updates the manifest's counts, are
        // found: the manifest still says 0 documents, and searches must not be cut short by it
        String stale = pipe + "-stale";
        if (pooling.equals("cls")) {
          assertEquals(0, Cli.run("index", "--corpus", empty.toString(), "--index", stale, "--backend", node,
              "--passages", "window", "--passage-length", "64").code());
          StringBuilder bulk = new StringBuilder();
          for (String line : Files.readAllLines(small).subList(0, 5)) {
            JsonNode d = JSON.readTree(line);
            bulk.append("{\"index\": {\"_index\": \"").append(stale).append("\", \"_id\": \"")
                .append(d.path("_id").asText()).append("\"}}\n");
            bulk.append(JSON.writeValueAsString(JSON.createObjectNode().put("text", d.path("text").asText())))
                .append('\n');
          }
          assertFalse(esNdjson("/_bulk?refresh=true&pipeline=" + pipeline, bulk.toString()).body().path("errors")
              .asBoolean(), "bulk through the pipeline");
          for (String retriever : List.of("dense", "hybrid")) {
            Cli r = Cli.run("search", "--index", stale, "--backend", node, "--query", QUERY, "-k", "5",
                "--retriever", retriever);
            assertEquals(5, r.out().lines().filter(l -> l.matches("\\s*\\d+\\s.*")).count(), retriever + ": "
                + r.out());
          }
          es("DELETE", "/" + stale, null);
        }
        // the manifests agree: the commit recomputed counts and fingerprint from what the processor wrote
        String a = es("GET", "/" + pipe + "/_mapping", null).body().path(pipe).path("mappings").path("_meta")
            .path("attnir_manifest").asText();
        String b = es("GET", "/" + local + "/_mapping", null).body().path(local).path("mappings").path("_meta")
            .path("attnir_manifest").asText();
        assertEquals(JSON.readTree(b), JSON.readTree(a), pooling);
        assertEquals(30, JSON.readTree(a).path("documents").asInt());
        double worst = 0;
        for (String line : Files.readAllLines(small)) {
          String id = JSON.readTree(line).path("_id").asText();
          JsonNode x = es("GET", "/" + pipe + "/_doc/" + id + "?_source_exclude_vectors=false", null).body()
              .path("_source").path("passages");
          JsonNode y = es("GET", "/" + local + "/_doc/" + id + "?_source_exclude_vectors=false", null).body()
              .path("_source").path("passages");
          assertEquals(y.size(), x.size(), id);
          for (int p = 0; p < x.size(); p++) {
            for (int k = 0; k < 384; k++) {
              worst = Math.max(worst, Math.abs(x.get(p).path("vector").get(k).asDouble()
                  - y.get(p).path("vector").get(k).asDouble()));
            }
          }
        }
        assertTrue(worst <= 1e-5, pooling + ": largest vector difference " + worst);
      } finally {
        es("DELETE", "/" + pipe, null);
        es("DELETE", "/" + local, null);
      }
    }
  }

  private static JsonNode bm25(int window, String reranker) throws Exception {
    ObjectNode body = (ObjectNode) JSON.readTree("{\"size\": " + window + ", \"_source\": false, \"query\": "
        + "{\"nested\": {\"path\": \"passages\", \"score_mode\": \"max\", \"query\": {\"match\": "
        + "{\"passages.contents\": \"" + QUERY + "\"}}}}}");
    if (reranker != null) {
      body.set("rescore", JSON.readTree("{\"window_size\": " + window + ", \"attnir_rerank\": {\"reranker\": \""
          + reranker + "\", \"query\": \"" + QUERY + "\"}}"));
    }
    return body;
  }

  private static List<Map.Entry<String, Double>> hits(Response r) {
    assertEquals(200, r.status(), r.body().toString());
    List<Map.Entry<String, Double>> out = new ArrayList<>();
    for (JsonNode h : r.body().path("hits").path("hits")) {
      out.add(Map.entry(h.path("_id").asText(), h.path("_score").asDouble()));
    }
    assertFalse(out.isEmpty(), r.body().toString());
    return out;
  }

  private record Response(int status, JsonNode body, String warning) {}

  private static void putSettings(int serverPort, String elasticsearch) throws Exception {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode p = body.putObject("persistent");
    if (serverPort < 0) {
      p.putNull("attnir.model_server.url");
      p.putNull("attnir.model_server.elasticsearch_url");
    } else {
      p.put("attnir.model_server.url", "http://127.0.0.1:" + serverPort);
      p.put("attnir.model_server.elasticsearch_url", elasticsearch);
    }
    Response r = es("PUT", "/_cluster/settings", body);
    assertEquals(200, r.status(), r.body().toString());
  }

  private static Response es(String method, String path, JsonNode body) throws Exception {
    return send(method, path, body == null ? null : JSON.writeValueAsString(body), "application/json");
  }

  private static Response esNdjson(String path, String body) throws Exception {
    return send("POST", path, body, "application/x-ndjson");
  }

  private static Response send(String method, String path, String body, String type) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node + path)).timeout(Duration.ofMinutes(3))
        .header("Content-Type", type);
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode parsed = r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
    return new Response(r.statusCode(), parsed, r.headers().firstValue("Warning").orElse(null));
  }
}
