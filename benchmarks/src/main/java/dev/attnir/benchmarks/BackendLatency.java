package dev.attnir.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import dev.attnir.core.Retriever;
import dev.attnir.elasticsearch.backend.ElasticsearchConnection;
import dev.attnir.elasticsearch.backend.ElasticsearchSearchBackend;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.eval.data.BeirDataset;
import dev.attnir.indexer.embedding.EmbedderFactory;
import dev.attnir.indexer.retrieve.RetrievalConfig;
import dev.attnir.indexer.search.LuceneSearchBackend;
import dev.attnir.indexer.search.SearchBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The Lucene backend against Elasticsearch indexes of the same passages and vectors (copies made with
 * {@code attnir copy-index}), in one run: single-query latency over SciFact's 300 test queries, one client, query
 * encoding included, for BM25, dense (HNSW) and hybrid (RRF) on every backend. Passes interleave the systems; the
 * first pass is warm-up. Also records each index's size on disk.
 * Usage: {@code BackendLatency <lucene-index-dir> <es-url> <es-index>[,<es-index>...] [passes] [k] [hybrid-depth]
 * [out-prefix]}.
 */
public final class BackendLatency {

  public static void main(String[] args) throws Exception {
    Path indexDir = Path.of(args[0]);
    String url = args[1];
    List<String> esIndexes = List.of(args[2].split(","));
    int passes = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    int k = args.length > 4 ? Integer.parseInt(args[4]) : 10;
    int depth = args.length > 5 ? Integer.parseInt(args[5]) : 100;
    String out = args.length > 6 ? args[6] : "benchmarks/results/backend-latency";
    String simd = BenchSupport.simd(); // before anything initialises Lucene's vector code
    BeirDataset ds = BeirDataset.open(BenchSupport.shared().resolve("data/scifact"), "test");
    List<String> queries = new ArrayList<>(ds.queries().values());
    Map<String, Object> report = new LinkedHashMap<>();
    Map<String, Long> sizes = new LinkedHashMap<>();
    List<AutoCloseable> open = new ArrayList<>();
    try (LuceneSearchBackend lucene = LuceneSearchBackend.open(indexDir);
        Embedder embedder = EmbedderFactory.forIndex(lucene, null, EncoderOptions.forQueries());
        ElasticsearchConnection connection = ElasticsearchConnection.open(url,
            ElasticsearchConnection.Credentials.none())) {
      Map<String, SearchBackend> backends = new LinkedHashMap<>();
      backends.put("lucene", lucene);
      sizes.put("lucene", directorySize(indexDir));
      for (String name : esIndexes) {
        ElasticsearchSearchBackend es = ElasticsearchSearchBackend.open(connection, name);
        open.add(es);
        List<String> differences = es.manifest().buildDifferences(lucene.manifest());
        if (!differences.isEmpty() || !es.manifest().corpusFingerprint().equals(lucene.manifest()
            .corpusFingerprint())) {
          throw new IllegalArgumentException(name + " is not a copy of " + indexDir + ": " + differences);
        }
        backends.put("es:" + name + " (" + vectorType(url, name) + ")", es);
        sizes.put("es:" + name, storeSize(url, name));
      }
      Map<String, Retriever> systems = new LinkedHashMap<>();
      for (RetrievalConfig.Kind kind : RetrievalConfig.Kind.values()) {
        RetrievalConfig c = RetrievalConfig.defaults(kind).withHybridDepth(depth);
        for (var b : backends.entrySet()) {
          if (kind == RetrievalConfig.Kind.BM25 && !b.getKey().equals("lucene")
              && !b.getKey().startsWith("es:" + esIndexes.get(0) + " ")) {
            continue; // BM25 does not depend on the vector index type: once per backend kind
          }
          systems.put(b.getKey() + " | " + c.describe(), c.create(b.getValue(), embedder));
        }
      }
      Map<String, Map<String, Object>> systemsJson = BenchSupport.interleavedLatency(systems, queries, k, passes);
      StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "# Lucene vs Elasticsearch: query latency"
          + "%n%nSciFact test queries (%d), one client, one query at a time, k=%d, hybrid depth %d per side, "
          + "query encoding included (%s); %d measured passes after a warm-up pass, systems interleaved. Lucene "
          + "index %s (%,d passages); the Elasticsearch indexes are copies of it (`attnir copy-index`: same passages "
          + "and vectors), on a node at %s on the same machine. Lucene SIMD: %s.%nMachine: %s%n%n"
          + "| backend | retriever | p50 ms | p90 ms | p99 ms | max ms | median of per-pass p50 |%n"
          + "|---|---|---|---|---|---|---|%n", queries.size(), k, depth, lucene.manifest().embedding().model(), passes,
          indexDir, lucene.manifest().passageCount(), url, simd, BenchSupport.machine()));
      systemsJson.forEach((system, j) -> {
        String[] parts = system.split(" \\| ", 2);
        md.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f |%n", parts[0], parts[1],
            j.get("p50ms"), j.get("p90ms"), j.get("p99ms"), j.get("maxMs"), j.get("medianOfPassP50ms")));
      });
      md.append(String.format(Locale.ROOT, "%n| index | size on disk (MiB) |%n|---|---|%n"));
      sizes.forEach((name, bytes) -> md.append(String.format(Locale.ROOT, "| %s | %.1f |%n", name,
          bytes / 1048576.0)));
      report.put("k", k);
      report.put("hybridDepth", depth);
      report.put("passes", passes);
      report.put("luceneIndex", indexDir.toString());
      report.put("elasticsearch", url);
      report.put("machine", BenchSupport.machine());
      report.put("systems", systemsJson);
      report.put("sizeBytes", sizes);
      BenchSupport.write(Path.of(out + ".json"), report);
      BenchSupport.writeText(Path.of(out + ".md"), md.toString());
      System.out.println(md);
    } finally {
      for (AutoCloseable c : open) {
        c.close();
      }
    }
  }

  private static long directorySize(Path dir) throws java.io.IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }

  private static JsonNode get(String url, String path) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    return BenchSupport.JSON.readTree(r.body());
  }

  /** Primary store size after a flush (what the index occupies, without replicas). */
  private static long storeSize(String url, String index) throws Exception {
    HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/" + index + "/_flush"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    return get(url, "/" + index + "/_stats/store").path("_all").path("primaries").path("store")
        .path("size_in_bytes").asLong();
  }

  private static String vectorType(String url, String index) throws Exception {
    JsonNode props = get(url, "/" + index + "/_mapping").path(index).path("mappings").path("properties");
    for (JsonNode field : props) {
      JsonNode inner = field.path("properties");
      for (JsonNode f : inner) {
        if (f.path("type").asText().equals("dense_vector")) {
          return f.path("index_options").path("type").asText("?");
        }
      }
    }
    return "no vectors";
  }

  private BackendLatency() {}
}
