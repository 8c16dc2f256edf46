package dev.attnir.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.attnir.core.Document;
import dev.attnir.elasticsearch.backend.ElasticsearchConnection;
import dev.attnir.elasticsearch.backend.ElasticsearchSearchBackend;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.eval.data.BeirDataset;
import dev.attnir.eval.data.CorpusReader;
import dev.attnir.eval.data.TrecRun;
import dev.attnir.eval.metrics.EvaluationResult;
import dev.attnir.eval.metrics.Evaluator;
import dev.attnir.eval.metrics.Metrics;
import dev.attnir.indexer.embedding.EmbedderFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Elasticsearch plugin's inference parts measured on SciFact against attnir's own client-side path (issue 14,
 * eval/results/elasticsearch.md). Needs a node with the plugin and {@code attnir serve} reachable by it (settings
 * {@code attnir.model_server.*}).
 *
 * <pre>
 * PluginInference ingest  ES CLIENT_INDEX INGEST_INDEX [--bulk 64] [--corpus FILE] [--out FILE]
 *     copies CLIENT_INDEX's mapping (attnir manifest), settings and pooling state into INGEST_INDEX, sends the SciFact
 *     corpus as text through an attnir_embed pipeline, and compares every document with CLIENT_INDEX's
 * PluginInference latency ES INDEX [--queries 300] [--warmup 10] [--out FILE]
 *     kNN from text on the node (attnir_text) vs. client-side embedding + kNN with the vector, interleaved
 * PluginInference rerank  ES INDEX RERANKER [--window 100] [--run FILE] [--out FILE]
 *     SciFact test: nested BM25 top WINDOW reranked by attnir_rerank on the node; nDCG@10 and latency
 * PluginInference load    ES INDEX SCRATCH_INDEX [--seconds 60] [--out FILE]
 *     two threads ingest SciFact documents through the pipeline into SCRATCH_INDEX (a copy of INDEX's mapping) while
 *     two threads search INDEX with text kNN, attnir_hybrid and attnir_rerank; every error counted, every answer
 *     compared with the one given before the load
 * PluginInference fault   ES INDEX SCRATCH_INDEX --server-cmd "attnir serve --port 8765" [--server-port 8765]
 *     [--seconds 90]: the same load with the model server started by the harness, killed (SIGKILL) after a third of
 *     the time and started again after two thirds; outcomes counted per phase
 * </pre>
 */
public final class PluginInference {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private PluginInference() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("bulk", "64");
    o.put("corpus", "");
    o.put("out", "");
    o.put("queries", "300");
    o.put("warmup", "10");
    o.put("window", "100");
    o.put("run", "");
    o.put("seconds", "60");
    o.put("server-cmd", "");
    o.put("server-port", "8765");
    List<String> p = BenchSupport.options(args, o);
    if (p.size() < 2) {
      throw new IllegalArgumentException("usage: PluginInference ingest|latency|rerank ES ...");
    }
    Map<String, Object> result = switch (p.get(0)) {
      case "ingest" -> ingest(p.get(1), p.get(2), p.get(3), Integer.parseInt(o.get("bulk")),
          o.get("corpus").isEmpty() ? BenchSupport.shared().resolve("data/scifact/corpus.jsonl") : Path.of(o.get("corpus")));
      case "latency" -> latency(p.get(1), p.get(2), Integer.parseInt(o.get("queries")),
          Integer.parseInt(o.get("warmup")));
      case "rerank" -> rerank(p.get(1), p.get(2), p.get(3), Integer.parseInt(o.get("window")), o.get("run"));
      case "load" -> load(p.get(1), p.get(2), p.get(3), Integer.parseInt(o.get("seconds")), null, 0);
      case "fault" -> load(p.get(1), p.get(2), p.get(3), Integer.parseInt(o.get("seconds")), o.get("server-cmd"),
          Integer.parseInt(o.get("server-port")));
      default -> throw new IllegalArgumentException("unknown step " + p.get(0));
    };
    result.put("machine", BenchSupport.machine());
    String json = BenchSupport.JSON.writeValueAsString(result);
    System.out.println(json);
    if (!o.get("out").isEmpty()) {
      BenchSupport.write(Path.of(o.get("out")), result);
    }
  }

  private static Map<String, Object> ingest(String es, String client, String ingest, int bulkDocs, Path corpus)
      throws Exception {
    JsonNode meta = call(es, "GET", "/" + client, null).path(client);
    JsonNode settings = meta.path("settings").path("index");
    ObjectNode create = BenchSupport.JSON.createObjectNode();
    ObjectNode index = create.putObject("settings").putObject("index");
    index.put("number_of_shards", settings.path("number_of_shards").asText());
    index.put("number_of_replicas", settings.path("number_of_replicas").asText());
    index.set("similarity", settings.path("similarity"));
    create.set("mappings", meta.path("mappings"));
    call(es, "DELETE", "/" + ingest, null);
    call(es, "DELETE", "/" + ingest + "-attnir-state", null);
    call(es, "PUT", "/" + ingest, create);
    String state = client + "-attnir-state";
    JsonNode stateMeta = call(es, "GET", "/" + state, null).path(state);
    int states = 0;
    if (!stateMeta.isMissingNode()) {
      ObjectNode sc = BenchSupport.JSON.createObjectNode();
      sc.putObject("settings").putObject("index").put("number_of_replicas", 0);
      sc.set("mappings", stateMeta.path("mappings"));
      call(es, "PUT", "/" + ingest + "-attnir-state", sc);
      for (JsonNode d : call(es, "GET", "/" + state + "/_search?size=100", null).path("hits").path("hits")) {
        call(es, "PUT", "/" + ingest + "-attnir-state/_doc/" + d.path("_id").asText() + "?refresh=true",
            d.path("_source"));
        states++;
      }
    }
    String pipeline = "attnir-bench-" + ingest;
    call(es, "PUT", "/_ingest/pipeline/" + pipeline, BenchSupport.JSON.readTree(
        "{\"processors\": [{\"attnir_embed\": {\"field\": \"text\", \"title_field\": \"title\"}}]}"));

    List<Document> docs = CorpusReader.readAll(corpus, CorpusReader.InvalidPolicy.FAIL);
    double nodeRssBefore = nodeRssMiB(es);
    int failures = 0;
    List<String> reasons = new ArrayList<>();
    long start = System.nanoTime();
    for (int from = 0; from < docs.size(); from += bulkDocs) {
      StringBuilder body = new StringBuilder();
      for (Document d : docs.subList(from, Math.min(docs.size(), from + bulkDocs))) {
        ObjectNode action = BenchSupport.JSON.createObjectNode();
        action.putObject("index").put("_index", ingest).put("_id", d.id());
        ObjectNode source = BenchSupport.JSON.createObjectNode().put("title", d.title()).put("text", d.text());
        body.append(compact(action)).append('\n').append(compact(source)).append('\n');
      }
      JsonNode r = send(es, "POST", "/_bulk?pipeline=" + pipeline, body.toString(), "application/x-ndjson");
      for (JsonNode item : r.path("items")) {
        if (item.path("index").path("status").asInt() >= 300) {
          failures++;
          if (reasons.size() < 5) {
            reasons.add(item.path("index").path("error").path("reason").asText());
          }
        }
      }
    }
    call(es, "POST", "/" + ingest + "/_refresh", null);
    double seconds = (System.nanoTime() - start) / 1e9;
    double nodeRssAfter = nodeRssMiB(es);

    // every document against the client-side writer's
    double worst = 0;
    int compared = 0;
    int different = 0;
    long passages = 0;
    for (int from = 0; from < docs.size(); from += 200) {
      ArrayNode ids = BenchSupport.JSON.createArrayNode();
      docs.subList(from, Math.min(docs.size(), from + 200)).forEach(d -> ids.add(d.id()));
      ObjectNode mget = BenchSupport.JSON.createObjectNode();
      mget.set("ids", ids);
      JsonNode a = call(es, "POST", "/" + client + "/_mget?_source_exclude_vectors=false", mget).path("docs");
      JsonNode b = call(es, "POST", "/" + ingest + "/_mget?_source_exclude_vectors=false", mget).path("docs");
      for (int i = 0; i < a.size(); i++) {
        JsonNode sa = a.get(i).path("_source");
        JsonNode sb = b.get(i).path("_source");
        compared++;
        boolean same = Objects.equals(sa.path("doc_id"), sb.path("doc_id"))
            && Objects.equals(sa.path("passage_count"), sb.path("passage_count"))
            && Objects.equals(sa.path("doc_digest"), sb.path("doc_digest"))
            && sa.path("passages").size() == sb.path("passages").size();
        for (int k = 0; same && k < sa.path("passages").size(); k++) {
          JsonNode pa = sa.path("passages").get(k);
          JsonNode pb = sb.path("passages").get(k);
          for (String f : List.of("ordinal", "start", "end", "contents")) {
            same &= Objects.equals(pa.path(f), pb.path(f));
          }
          same &= pa.path("vector").size() == pb.path("vector").size();
          for (int j = 0; same && j < pa.path("vector").size(); j++) {
            worst = Math.max(worst, Math.abs(pa.path("vector").get(j).asDouble() - pb.path("vector").get(j).asDouble()));
          }
          passages++;
        }
        if (!same) {
          different++;
        }
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("step", "ingest");
    out.put("clientIndex", client);
    out.put("ingestIndex", ingest);
    out.put("corpus", corpus.toString());
    out.put("poolingStatesCopied", states);
    out.put("documents", docs.size());
    out.put("bulkDocuments", bulkDocs);
    out.put("failedDocuments", failures);
    out.put("failureReasons", reasons);
    out.put("seconds", seconds);
    out.put("documentsPerSecond", docs.size() / seconds);
    out.put("passagesCompared", passages);
    out.put("documentsCompared", compared);
    out.put("documentsDiffering", different);
    out.put("maxAbsVectorDifference", worst);
    out.put("nodeRssMiBBefore", nodeRssBefore);
    out.put("nodeRssMiBAfter", nodeRssAfter);
    return out;
  }

  private static Map<String, Object> latency(String es, String index, int queries, int warmup) throws Exception {
    BeirDataset data = BeirDataset.open(BenchSupport.shared().resolve("data/scifact"), "test");
    List<String> texts = new ArrayList<>(data.queries().values()).subList(0, Math.min(queries,
        data.queries().size()));
    double[] node = new double[texts.size()];
    double[] client = new double[texts.size()];
    int differentHits = 0;
    try (ElasticsearchSearchBackend backend = ElasticsearchSearchBackend.connect(es,
        ElasticsearchConnection.Credentials.none(), index);
        Embedder embedder = EmbedderFactory.forIndex(backend, null, EncoderOptions.forQueries())) {
      for (int i = -warmup; i < texts.size(); i++) {
        String q = texts.get(Math.floorMod(i, texts.size()));
        double[] t = new double[2];
        JsonNode[] hits = new JsonNode[2];
        for (int turn = 0; turn < 2; turn++) {
          // alternate which route goes first, so neither always runs on a warm cache
          int route = (turn + Math.floorMod(i, 2)) % 2;
          long s = System.nanoTime();
          ObjectNode body = BenchSupport.JSON.createObjectNode().put("size", 10).put("_source", false);
          ObjectNode knn = body.putObject("knn").put("field", "passages.vector").put("k", 10)
              .put("num_candidates", 100);
          if (route == 0) {
            knn.putObject("query_vector_builder").putObject("attnir_text").put("index", index).put("text", q);
          } else {
            float[] v = embedder.embedQueries(List.of(q))[0];
            ArrayNode a = knn.putArray("query_vector");
            for (float x : v) {
              a.add(x);
            }
          }
          hits[route] = call(es, "POST", "/" + index + "/_search", body).path("hits").path("hits");
          t[route] = (System.nanoTime() - s) / 1e6;
        }
        if (i >= 0) {
          node[i] = t[0];
          client[i] = t[1];
          if (!ids(hits[0]).equals(ids(hits[1]))) {
            differentHits++;
          }
        }
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("step", "latency");
    out.put("index", index);
    out.put("queries", texts.size());
    out.put("warmup", warmup);
    out.put("nodeTextQueryMs", stats(node));
    out.put("clientEmbedPlusKnnMs", stats(client));
    out.put("queriesWithDifferentTop10", differentHits);
    return out;
  }

  private static Map<String, Object> rerank(String es, String index, String reranker, int window, String runFile)
      throws Exception {
    BeirDataset data = BeirDataset.open(BenchSupport.shared().resolve("data/scifact"), "test");
    Map<String, List<TrecRun.Entry>> results = new LinkedHashMap<>();
    double[] ms = new double[data.queries().size()];
    int warnings = 0;
    int i = 0;
    for (Map.Entry<String, String> q : data.queries().entrySet()) {
      ObjectNode body = BenchSupport.JSON.createObjectNode().put("size", window).put("_source", false);
      body.putObject("query").putObject("nested").put("path", "passages").put("score_mode", "max")
          .putObject("query").putObject("match").put("passages.contents", q.getValue());
      body.putObject("rescore").put("window_size", window).putObject("attnir_rerank").put("reranker", reranker)
          .put("query", q.getValue());
      long s = System.nanoTime();
      HttpResponse<String> r = raw(es, "POST", "/" + index + "/_search", compact(body), "application/json");
      ms[i++] = (System.nanoTime() - s) / 1e6;
      if (r.statusCode() != 200) {
        throw new IllegalStateException("query " + q.getKey() + ": HTTP " + r.statusCode() + " " + r.body());
      }
      if (r.headers().firstValue("Warning").isPresent()) {
        warnings++;
      }
      List<TrecRun.Entry> entries = new ArrayList<>();
      for (JsonNode h : BenchSupport.JSON.readTree(r.body()).path("hits").path("hits")) {
        entries.add(new TrecRun.Entry(h.path("_id").asText(), h.path("_score").asDouble()));
      }
      results.put(q.getKey(), entries);
    }
    TrecRun run = new TrecRun(results);
    if (!runFile.isEmpty()) {
      run.write(Path.of(runFile), "es-" + reranker);
    }
    EvaluationResult e = Evaluator.evaluate(run, data.qrels(), Metrics.parseList("nDCG@10"),
        Evaluator.Averaging.ALL_JUDGED);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("step", "rerank");
    out.put("index", index);
    out.put("reranker", reranker);
    out.put("window", window);
    out.put("queries", ms.length);
    out.put("nDCG@10", e.mean("nDCG@10"));
    out.put("responsesWithWarning", warnings);
    out.put("latencyMs", stats(ms));
    return out;
  }

  private static Map<String, Object> load(String es, String index, String scratch, int seconds, String serverCmd,
      int serverPort) throws Exception {
    Process[] server = new Process[1];
    if (serverCmd != null) {
      server[0] = startServer(serverCmd, serverPort);
    }
    BeirDataset data = BeirDataset.open(BenchSupport.shared().resolve("data/scifact"), "test");
    List<String> queries = new ArrayList<>(data.queries().values()).subList(0, 20);
    List<Document> docs = CorpusReader.readAll(BenchSupport.shared().resolve("data/scifact/corpus.jsonl"),
        CorpusReader.InvalidPolicy.FAIL);
    JsonNode meta = call(es, "GET", "/" + index, null).path(index);
    ObjectNode create = BenchSupport.JSON.createObjectNode();
    ObjectNode settings = create.putObject("settings").putObject("index");
    settings.put("number_of_shards", 1).put("number_of_replicas", 0);
    settings.set("similarity", meta.path("settings").path("index").path("similarity"));
    create.set("mappings", meta.path("mappings"));
    call(es, "DELETE", "/" + scratch, null);
    call(es, "PUT", "/" + scratch, create);
    String pipeline = "attnir-load-" + scratch;
    call(es, "PUT", "/_ingest/pipeline/" + pipeline, BenchSupport.JSON.readTree(
        "{\"processors\": [{\"attnir_embed\": {\"field\": \"text\", \"title_field\": \"title\", \"index\": \""
            + index + "\"}}]}"));
    // the answers before any load: each search must give exactly these under load
    List<ObjectNode> searches = new ArrayList<>();
    for (String q : queries) {
      ObjectNode knn = BenchSupport.JSON.createObjectNode().put("size", 10).put("_source", false);
      knn.putObject("knn").put("field", "passages.vector").put("k", 10).put("num_candidates", 100)
          .putObject("query_vector_builder").putObject("attnir_text").put("index", index).put("text", q);
      searches.add(knn);
      ObjectNode hybrid = BenchSupport.JSON.createObjectNode().put("size", 10).put("_source", false);
      hybrid.putObject("retriever").putObject("attnir_hybrid").put("query", q).put("rank_window_size", 50);
      searches.add(hybrid);
      ObjectNode rerank = BenchSupport.JSON.createObjectNode().put("size", 10).put("_source", false);
      rerank.putObject("query").putObject("nested").put("path", "passages").put("score_mode", "max")
          .putObject("query").putObject("match").put("passages.contents", q);
      rerank.putObject("rescore").put("window_size", 10).putObject("attnir_rerank")
          .put("reranker", "cross-encoder-minilm").put("query", q);
      searches.add(rerank);
    }
    List<String> expected = new ArrayList<>();
    for (ObjectNode s : searches) {
      expected.add(compact(call(es, "POST", "/" + index + "/_search", s).path("hits").path("hits")));
    }
    double rssBefore = nodeRssMiB(es);
    java.util.concurrent.atomic.AtomicLong searchesDone = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicLong searchErrors = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicLong changedAnswers = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicLong docsIndexed = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicLong docErrors = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicLong bulkErrors = new java.util.concurrent.atomic.AtomicLong();
    List<String> samples = java.util.Collections.synchronizedList(new ArrayList<>());
    long begin = System.nanoTime();
    long end = begin + seconds * 1_000_000_000L;
    // per phase (server up / killed / restarted): outcome -> count
    Map<String, Map<String, Long>> phases = new java.util.concurrent.ConcurrentHashMap<>();
    java.util.function.Consumer<String> count = outcome -> {
      long t = System.nanoTime() - begin;
      String phase = serverCmd == null ? "all" : t < end - begin - 2 * (end - begin) / 3 ? "1 server up"
          : t < end - begin - (end - begin) / 3 ? "2 server killed" : "3 server restarted";
      phases.computeIfAbsent(phase, k -> new java.util.concurrent.ConcurrentSkipListMap<>()).merge(outcome, 1L,
          Long::sum);
    };
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      int offset = t;
      threads.add(Thread.ofPlatform().start(() -> {
        for (int from = offset * 16; System.nanoTime() < end; from = (from + 32) % (docs.size() - 16)) {
          StringBuilder body = new StringBuilder();
          for (Document d : docs.subList(from, from + 16)) {
            body.append("{\"index\": {\"_index\": \"").append(scratch).append("\", \"_id\": \"")
                .append(d.id()).append("\"}}\n");
            ObjectNode src = BenchSupport.JSON.createObjectNode().put("title", d.title()).put("text", d.text());
            try {
              body.append(compact(src)).append('\n');
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          }
          try {
            HttpResponse<String> r = raw(es, "POST", "/_bulk?pipeline=" + pipeline, body.toString(),
                "application/x-ndjson");
            if (r.statusCode() != 200) {
              bulkErrors.incrementAndGet();
              count.accept("bulk HTTP " + r.statusCode());
              samples.add("bulk HTTP " + r.statusCode());
              continue;
            }
            for (JsonNode item : BenchSupport.JSON.readTree(r.body()).path("items")) {
              int status = item.path("index").path("status").asInt();
              count.accept("document HTTP " + status);
              if (status >= 300) {
                docErrors.incrementAndGet();
                samples.add(item.path("index").path("error").path("reason").asText());
              } else {
                docsIndexed.incrementAndGet();
              }
            }
          } catch (Exception e) {
            bulkErrors.incrementAndGet();
            count.accept("bulk exception");
            samples.add(e.toString());
          }
        }
      }));
      threads.add(Thread.ofPlatform().start(() -> {
        for (int i = offset; System.nanoTime() < end; i = (i + 1) % searches.size()) {
          try {
            HttpResponse<String> r = raw(es, "POST", "/" + index + "/_search", compact(searches.get(i)),
                "application/json");
            searchesDone.incrementAndGet();
            String kind = kind(i);
            if (r.statusCode() != 200 || r.headers().firstValue("Warning").isPresent()) {
              searchErrors.incrementAndGet();
              count.accept(kind + " HTTP " + r.statusCode()
                  + (r.headers().firstValue("Warning").isPresent() ? " with warning (first-stage order)" : ""));
              samples.add("search HTTP " + r.statusCode() + " " + r.headers().firstValue("Warning").orElse("")
                  + " " + r.body().substring(0, Math.min(200, r.body().length())));
            } else if (!compact(BenchSupport.JSON.readTree(r.body()).path("hits").path("hits"))
                .equals(expected.get(i))) {
              changedAnswers.incrementAndGet();
              count.accept(kind + " HTTP 200, answer changed");
            } else {
              count.accept(kind + " HTTP 200, same answer");
            }
          } catch (Exception e) {
            searchErrors.incrementAndGet();
            count.accept(kind(i) + " exception");
            samples.add(e.toString());
          }
        }
      }));
    }
    if (serverCmd != null) {
      Thread.sleep(Math.max(0, (begin + (end - begin) / 3 - System.nanoTime()) / 1_000_000));
      server[0].destroyForcibly().waitFor();
      samples.add("model server killed at " + (System.nanoTime() - begin) / 1_000_000_000 + " s");
      Thread.sleep(Math.max(0, (begin + 2 * (end - begin) / 3 - System.nanoTime()) / 1_000_000));
      server[0] = startServer(serverCmd, serverPort);
      samples.add("model server answering again at " + (System.nanoTime() - begin) / 1_000_000_000 + " s");
    }
    for (Thread t : threads) {
      t.join();
    }
    if (server[0] != null) {
      server[0].destroy();
      server[0].waitFor();
    }
    double rssAfter = nodeRssMiB(es);
    String health = call(es, "GET", "/_cluster/health", null).path("status").asText();
    call(es, "DELETE", "/" + scratch, null);
    call(es, "DELETE", "/_ingest/pipeline/" + pipeline, null);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("step", "load");
    out.put("index", index);
    out.put("seconds", seconds);
    out.put("threads", "2 ingest (bulks of 16 documents) + 2 search (text kNN, attnir_hybrid, attnir_rerank window 10)");
    out.put("searches", searchesDone.get());
    out.put("searchErrors", searchErrors.get());
    out.put("searchAnswersChanged", changedAnswers.get());
    out.put("documentsIndexed", docsIndexed.get());
    out.put("documentErrors", docErrors.get());
    out.put("bulkErrors", bulkErrors.get());
    out.put("errorSamples", samples.subList(0, Math.min(8, samples.size())));
    out.put("outcomesByPhase", new java.util.TreeMap<>(phases));
    out.put("nodeRssMiBBefore", rssBefore);
    out.put("nodeRssMiBAfter", rssAfter);
    out.put("clusterHealthAfter", health);
    return out;
  }

  private static String kind(int i) {
    return i % 3 == 0 ? "text kNN" : i % 3 == 1 ? "hybrid" : "rerank";
  }

  /** Starts the model server and waits (up to 60 s) until it answers {@code /health}. */
  private static Process startServer(String cmd, int port) throws Exception {
    Process p = new ProcessBuilder(cmd.split(" ")).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(new java.io.File("/tmp/attnir-fault-serve.log"))).start();
    for (int i = 0; i < 600; i++) {
      try {
        if (HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
          return p;
        }
      } catch (java.io.IOException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the model server did not answer within 60 s: " + cmd);
  }

  private static List<String> ids(JsonNode hits) {
    List<String> out = new ArrayList<>();
    hits.forEach(h -> out.add(h.path("_id").asText()));
    return out;
  }

  private static Map<String, Object> stats(double[] v) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("p50", BenchSupport.median(v));
    m.put("p90", BenchSupport.percentile(v, 90));
    m.put("p99", BenchSupport.percentile(v, 99));
    m.put("n", v.length);
    return m;
  }

  /** The node process's resident set (its pid from {@code _nodes/process}; /proc is readable across users). */
  private static double nodeRssMiB(String es) throws Exception {
    JsonNode nodes = call(es, "GET", "/_nodes/process", null).path("nodes");
    long pid = nodes.elements().next().path("process").path("id").asLong();
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
      }
    }
    return Double.NaN;
  }

  /** One-line JSON (BenchSupport.JSON indents, which bulk bodies must not be). */
  private static final com.fasterxml.jackson.databind.ObjectMapper COMPACT =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private static String compact(JsonNode n) throws Exception {
    return COMPACT.writeValueAsString(n);
  }

  private static JsonNode call(String es, String method, String path, JsonNode body) throws Exception {
    return send(es, method, path, body == null ? null : compact(body), "application/json");
  }

  private static JsonNode send(String es, String method, String path, String body, String type) throws Exception {
    HttpResponse<String> r = raw(es, method, path, body, type);
    if (r.statusCode() >= 300 && !(method.equals("DELETE") && r.statusCode() == 404)
        && !(method.equals("GET") && r.statusCode() == 404)) {
      throw new IllegalStateException(method + " " + path + ": HTTP " + r.statusCode() + " " + r.body());
    }
    return r.body().isEmpty() ? BenchSupport.JSON.createObjectNode() : BenchSupport.JSON.readTree(r.body());
  }

  private static HttpResponse<String> raw(String es, String method, String path, String body, String type)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(es + path)).timeout(Duration.ofMinutes(10))
        .header("Content-Type", type);
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
