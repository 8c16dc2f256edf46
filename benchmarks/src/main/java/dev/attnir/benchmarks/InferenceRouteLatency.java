package dev.attnir.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import dev.attnir.eval.data.BeirDataset;
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
import java.util.Locale;
import java.util.Map;

/**
 * The inference-in-Elasticsearch design spike: the same embedding requests (all-MiniLM-L6-v2, mean pooling,
 * normalised) answered three ways, interleaved request by request with the order rotated: in the node's own process
 * (the spike plugin's {@code POST /_attnir_spike/embed_local}, ONNX Runtime on the plugin's inference thread), by the
 * node calling the loopback model server ({@code POST /_attnir_spike/embed_remote} → {@code attnir serve}), and by
 * the model server directly (the floor of the out-of-process path). Also the resident memory of the node and of the
 * model server before and after their models load, and the largest difference between the routes' vectors.
 *
 * <p>Usage: {@code InferenceRouteLatency --node URL --serve URL [--batch 1] [--requests 200] [--warmup 20]
 * [--node-pid PID] [--serve-pid PID] [--out PREFIX]}. With {@code --batch 1} each request embeds one SciFact test
 * claim (a query); with a larger batch, that many SciFact passages (an ingest bulk).
 */
public final class InferenceRouteLatency {

  private InferenceRouteLatency() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opt = new LinkedHashMap<>();
    opt.put("node", null);
    opt.put("serve", null);
    opt.put("batch", "1");
    opt.put("requests", "200");
    opt.put("warmup", "20");
    opt.put("node-pid", null);
    opt.put("serve-pid", null);
    opt.put("out", "benchmarks/results/inference-routes");
    List<String> extra = BenchSupport.options(args, opt);
    if (!extra.isEmpty()) {
      throw new IllegalArgumentException("unexpected arguments " + extra + "; options: --"
          + String.join(", --", opt.keySet()));
    }
    if (opt.get("node") == null || opt.get("serve") == null) {
      throw new IllegalArgumentException("--node URL and --serve URL are required");
    }
    int batch = Integer.parseInt(opt.get("batch"));
    int requests = Integer.parseInt(opt.get("requests"));
    int warmup = Integer.parseInt(opt.get("warmup"));
    List<String> pool;
    if (batch == 1) {
      pool = new ArrayList<>(BeirDataset.open(BenchSupport.shared().resolve("data/scifact"), "test").queries()
          .values());
    } else {
      pool = BenchSupport.scifactPassages(batch * 50);
    }
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    String[] routes = {"in-node", "node-to-server", "server-direct"};
    Map<String, List<Double>> latency = new LinkedHashMap<>();
    for (String r : routes) {
      latency.put(r, new ArrayList<>());
    }
    Map<String, Object> memory = new LinkedHashMap<>();
    memory.put("nodeRssMiBBefore", rss(opt.get("node-pid")));
    memory.put("serverRssMiBBefore", rss(opt.get("serve-pid")));
    double worstDiff = 0;
    for (int i = 0; i < warmup + requests; i++) {
      List<String> texts = new ArrayList<>();
      for (int j = 0; j < batch; j++) {
        texts.add(pool.get((i * batch + j) % pool.size()));
      }
      String body = BenchSupport.JSON.writeValueAsString(Map.of("texts", texts));
      String serveBody = BenchSupport.JSON.writeValueAsString(Map.of("model", "all-MiniLM-L6-v2", "input", "query",
          "texts", texts));
      float[][][] vectors = new float[3][][];
      for (int k = 0; k < 3; k++) {
        int r = (i + k) % 3;
        HttpRequest request = switch (r) {
          case 0 -> post(opt.get("node") + "/_attnir_spike/embed_local", body);
          case 1 -> post(opt.get("node") + "/_attnir_spike/embed_remote?server=" + opt.get("serve"), body);
          default -> post(opt.get("serve") + "/embed", serveBody);
        };
        long t0 = System.nanoTime();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        double ms = (System.nanoTime() - t0) / 1e6;
        if (response.statusCode() != 200) {
          throw new IllegalStateException(routes[r] + ": HTTP " + response.statusCode() + ": " + response.body());
        }
        vectors[r] = vectors(BenchSupport.JSON.readTree(response.body()));
        if (i >= warmup) {
          latency.get(routes[r]).add(ms);
        }
      }
      for (int r = 0; r < 2; r++) {
        for (int t = 0; t < batch; t++) {
          for (int d = 0; d < vectors[2][t].length; d++) {
            worstDiff = Math.max(worstDiff, Math.abs(vectors[r][t][d] - vectors[2][t][d]));
          }
        }
      }
      if (i == warmup - 1) {
        memory.put("nodeRssMiBAfterLoad", rss(opt.get("node-pid")));
        memory.put("serverRssMiBAfterLoad", rss(opt.get("serve-pid")));
      }
    }
    memory.put("nodeRssMiBEnd", rss(opt.get("node-pid")));
    memory.put("serverRssMiBEnd", rss(opt.get("serve-pid")));
    Map<String, Object> results = new LinkedHashMap<>();
    StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "%n### Batch of %d (%s), %d requests after %d "
        + "warm-up%n%n| route | p50 ms | p90 ms | p99 ms |%n|---|---|---|---|%n", batch, batch == 1
        ? "one SciFact claim, a query" : "SciFact passages, an ingest bulk", requests, warmup));
    for (String r : routes) {
      double[] v = latency.get(r).stream().mapToDouble(Double::doubleValue).toArray();
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("p50ms", BenchSupport.percentile(v, 50));
      j.put("p90ms", BenchSupport.percentile(v, 90));
      j.put("p99ms", BenchSupport.percentile(v, 99));
      results.put(r, j);
      md.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.1f |%n", r, BenchSupport.percentile(v, 50),
          BenchSupport.percentile(v, 90), BenchSupport.percentile(v, 99)));
    }
    md.append(String.format(Locale.ROOT, "%nLargest difference between the routes' vectors: %.2e. Resident memory "
        + "(MiB): %s%n", worstDiff, memory));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("machine", BenchSupport.machine());
    json.put("settings", opt);
    json.put("latency", results);
    json.put("memory", memory);
    json.put("largestVectorDifference", worstDiff);
    String out = opt.get("out") + "-batch" + batch;
    BenchSupport.write(Path.of(out + ".json"), json);
    BenchSupport.writeText(Path.of(out + ".md"), md.toString());
    System.out.print(md);
  }

  private static HttpRequest post(String url, String body) {
    return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
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

  /** VmRSS of a process in MiB, or null without a pid. */
  private static Double rss(String pid) throws java.io.IOException {
    if (pid == null) {
      return null;
    }
    for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
      }
    }
    return null;
  }
}
