package dev.attnir.spike;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OrtEnvironment;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;

/** GET /_attnir_spike/{ort|tokenizer}: tries the library from plugin code and reports what happened, in plain text. */
public class OrtSpikePlugin extends Plugin implements ActionPlugin {

  /** A minimal WordPiece tokenizer.json: enough to make DJL load its native library and encode. */
  private static final String TOKENIZER_JSON = """
      {"version":"1.0","truncation":null,"padding":null,"added_tokens":[],"normalizer":null,
       "pre_tokenizer":{"type":"Whitespace"},"post_processor":null,"decoder":null,
       "model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,
                "vocab":{"[UNK]":0,"hello":1,"world":2}}}""";

  @Override
  public Collection<RestHandler> getRestHandlers(RestHandlersServices services, Supplier<DiscoveryNodes> nodes,
      Predicate<NodeFeature> features) {
    return List.of(new BaseRestHandler() {
      @Override
      public String getName() {
        return "attnir_spike";
      }

      @Override
      public List<Route> routes() {
        return List.of(new Route(RestRequest.Method.GET, "/_attnir_spike/{what}"),
            new Route(RestRequest.Method.POST, "/_attnir_spike/{what}"));
      }

      @Override
      protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
        String what = request.param("what");
        if (request.method() == RestRequest.Method.POST) {
          List<String> texts = texts(request);
          String server = request.param("server", "http://127.0.0.1:8765");
          return channel -> {
            if (what.equals("embed_local")) {
              // never on the transport thread: the plugin's own inference thread
              INFERENCE.execute(() -> {
                try {
                  channel.sendResponse(new RestResponse(RestStatus.OK, "application/json", LocalModel.embed(texts)));
                } catch (Throwable t) {
                  channel.sendResponse(new RestResponse(RestStatus.INTERNAL_SERVER_ERROR, "text/plain", trace(t)));
                }
              });
            } else if (what.equals("embed_remote")) {
              StringBuilder body = new StringBuilder("{\"model\":\"all-MiniLM-L6-v2\",\"input\":\"query\",\"texts\":[");
              for (int i = 0; i < texts.size(); i++) {
                body.append(i == 0 ? "" : ",").append('"').append(texts.get(i).replace("\\", "\\\\")
                    .replace("\"", "\\\"")).append('"');
              }
              body.append("]}");
              java.net.http.HttpRequest post = java.net.http.HttpRequest.newBuilder(java.net.URI.create(server
                  + "/embed")).timeout(java.time.Duration.ofSeconds(30))
                  .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body.toString())).build();
              HTTP.sendAsync(post, java.net.http.HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
                if (error != null) {
                  channel.sendResponse(new RestResponse(RestStatus.BAD_GATEWAY, "text/plain",
                      "model server " + server + " unreachable: " + error));
                } else {
                  channel.sendResponse(new RestResponse(RestStatus.fromCode(response.statusCode()), "application/json",
                      response.body()));
                }
              });
            } else {
              channel.sendResponse(new RestResponse(RestStatus.NOT_FOUND, "text/plain", "unknown: " + what));
            }
          };
        }
        return channel -> {
          // DJL finds its native library's properties through the thread's context class loader, which on a node's
          // threads is the server's, not this plugin's
          Thread thread = Thread.currentThread();
          ClassLoader previous = thread.getContextClassLoader();
          if (!"no-tccl".equals(request.param("mode"))) {
            thread.setContextClassLoader(OrtSpikePlugin.class.getClassLoader());
          }
          String report;
          try {
            report = switch (what) {
            case "ort" -> tryOrt();
            case "tokenizer" -> tryTokenizer();
            case "env" -> env();
            case "embed" -> tryEmbed();
            default -> "unknown: " + what;
            };
          } finally {
            thread.setContextClassLoader(previous);
          }
          channel.sendResponse(new RestResponse(RestStatus.OK, "text/plain; charset=UTF-8", report));
        };
      }
    });
  }

  /** The plugin's inference thread (its context class loader is the plugin's, as DJL needs). */
  private static final java.util.concurrent.ExecutorService INFERENCE =
      java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "attnir-spike-inference");
        t.setDaemon(true);
        t.setContextClassLoader(OrtSpikePlugin.class.getClassLoader());
        return t;
      });

  private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder()
      .connectTimeout(java.time.Duration.ofSeconds(3)).build();

  @SuppressWarnings("unchecked")
  private static List<String> texts(RestRequest request) {
    Map<String, Object> body = org.elasticsearch.common.xcontent.XContentHelper.convertToMap(request.content(), false,
        org.elasticsearch.xcontent.XContentType.JSON).v2();
    return (List<String>) body.get("texts");
  }

  /** all-MiniLM-L6-v2 loaded once in the node: mean pooling over the mask, L2-normalised (the model's own). */
  private static final class LocalModel {
    private static ai.onnxruntime.OrtSession session;
    private static HuggingFaceTokenizer tokenizer;

    static synchronized String embed(List<String> texts) throws Exception {
      OrtEnvironment environment = OrtEnvironment.getEnvironment();
      if (session == null) {
        ClassLoader loader = OrtSpikePlugin.class.getClassLoader();
        byte[] model;
        try (var in = loader.getResourceAsStream("all-minilm-l6-v2.onnx")) {
          model = in.readAllBytes();
        }
        try (var tokenizerJson = loader.getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
          tokenizer = HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of("maxLength", "256",
              "truncation", "true", "padding", "false"));
        }
        ai.onnxruntime.OrtSession.SessionOptions options = new ai.onnxruntime.OrtSession.SessionOptions();
        options.setIntraOpNumThreads(2);
        session = environment.createSession(model, options);
      }
      Encoding[] encodings = tokenizer.batchEncode(texts);
      int len = 0;
      for (Encoding e : encodings) {
        len = Math.max(len, e.getIds().length);
      }
      long[][] ids = new long[texts.size()][len];
      long[][] mask = new long[texts.size()][len];
      long[][] types = new long[texts.size()][len];
      for (int i = 0; i < texts.size(); i++) {
        long[] id = encodings[i].getIds();
        for (int j = 0; j < id.length; j++) {
          ids[i][j] = id[j];
          mask[i][j] = 1;
        }
      }
      StringBuilder out = new StringBuilder("{\"vectors\":[");
      try (var a = ai.onnxruntime.OnnxTensor.createTensor(environment, ids);
          var b = ai.onnxruntime.OnnxTensor.createTensor(environment, mask);
          var c = ai.onnxruntime.OnnxTensor.createTensor(environment, types);
          var result = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
        float[][][] hidden = (float[][][]) result.get(0).getValue();
        for (int i = 0; i < texts.size(); i++) {
          int n = encodings[i].getIds().length;
          double[] v = new double[hidden[i][0].length];
          for (int t = 0; t < n; t++) {
            for (int d = 0; d < v.length; d++) {
              v[d] += hidden[i][t][d];
            }
          }
          double norm = 0;
          for (int d = 0; d < v.length; d++) {
            v[d] /= n;
            norm += v[d] * v[d];
          }
          norm = Math.sqrt(norm);
          out.append(i == 0 ? "[" : ",[");
          for (int d = 0; d < v.length; d++) {
            out.append(d == 0 ? "" : ",").append((float) (v[d] / norm));
          }
          out.append(']');
        }
      }
      Runtime rt = Runtime.getRuntime();
      return out.append("],\"heapUsedMiB\":").append((rt.totalMemory() - rt.freeMemory()) >> 20).append('}')
          .toString();
    }
  }

  private static String env() {
    return "user.home=" + System.getProperty("user.home") + "\njava.io.tmpdir=" + System.getProperty("java.io.tmpdir")
        + "\nthread=" + Thread.currentThread().getName() + "\n";
  }

  private static String tryOrt() {
    long t0 = System.nanoTime();
    try {
      OrtEnvironment environment = OrtEnvironment.getEnvironment();
      return "OrtEnvironment OK in " + (System.nanoTime() - t0) / 1_000_000 + " ms: version "
          + environment.getVersion() + ", providers " + OrtEnvironment.getAvailableProviders() + "\n" + env();
    } catch (Throwable t) {
      return "OrtEnvironment FAILED after " + (System.nanoTime() - t0) / 1_000_000 + " ms\n" + trace(t) + env();
    }
  }

  private static String tryTokenizer() {
    long t0 = System.nanoTime();
    try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
        new ByteArrayInputStream(TOKENIZER_JSON.getBytes(StandardCharsets.UTF_8)), Map.of())) {
      Encoding encoding = tokenizer.encode("hello world");
      return "DJL tokenizer OK in " + (System.nanoTime() - t0) / 1_000_000 + " ms: ids "
          + Arrays.toString(encoding.getIds()) + "\nDJL_CACHE_DIR=" + System.getenv("DJL_CACHE_DIR")
          + " ENGINE_CACHE_DIR=" + System.getenv("ENGINE_CACHE_DIR") + "\n" + env();
    } catch (Throwable t) {
      return "DJL tokenizer FAILED after " + (System.nanoTime() - t0) / 1_000_000 + " ms\n" + trace(t) + env();
    }
  }

  /** all-MiniLM-L6-v2 in ONNX Runtime with the DJL tokenizer, from class-path resources: load, then 20 timed runs. */
  private static String tryEmbed() {
    long t0 = System.nanoTime();
    StringBuilder out = new StringBuilder();
    try {
      ClassLoader loader = OrtSpikePlugin.class.getClassLoader();
      byte[] model;
      try (var in = loader.getResourceAsStream("all-minilm-l6-v2.onnx")) {
        model = in.readAllBytes();
      }
      OrtEnvironment environment = OrtEnvironment.getEnvironment();
      try (var tokenizerJson = loader.getResourceAsStream("all-minilm-l6-v2-tokenizer.json");
          HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of());
          ai.onnxruntime.OrtSession.SessionOptions options = new ai.onnxruntime.OrtSession.SessionOptions()) {
        options.setIntraOpNumThreads(1);
        try (ai.onnxruntime.OrtSession session = environment.createSession(model, options)) {
          out.append("loaded in ").append((System.nanoTime() - t0) / 1_000_000).append(" ms\n");
          String[] texts = new String[8];
          for (int i = 0; i < texts.length; i++) {
            texts[i] = "Elasticsearch plugin spike sentence number " + i + " about vaccines and T cells.";
          }
          long[] times = new long[20];
          float first = 0;
          for (int r = 0; r < times.length; r++) {
            long s = System.nanoTime();
            Encoding[] encodings = tokenizer.batchEncode(texts);
            int len = 0;
            for (Encoding e : encodings) {
              len = Math.max(len, e.getIds().length);
            }
            long[][] ids = new long[texts.length][len];
            long[][] mask = new long[texts.length][len];
            long[][] types = new long[texts.length][len];
            for (int i = 0; i < texts.length; i++) {
              long[] id = encodings[i].getIds();
              for (int j = 0; j < id.length; j++) {
                ids[i][j] = id[j];
                mask[i][j] = 1;
              }
            }
            try (var a = ai.onnxruntime.OnnxTensor.createTensor(environment, ids);
                var b = ai.onnxruntime.OnnxTensor.createTensor(environment, mask);
                var c = ai.onnxruntime.OnnxTensor.createTensor(environment, types);
                var result = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
              float[][][] hidden = (float[][][]) result.get(0).getValue();
              first = hidden[0][0][0];
            }
            times[r] = System.nanoTime() - s;
          }
          java.util.Arrays.sort(times);
          out.append("batch of 8 sentences, 1 intra-op thread: median ").append(times[10] / 1_000).append(" us, min ")
              .append(times[0] / 1_000).append(" us; hidden[0][0][0]=").append(first).append('\n');
        }
      }
      Runtime rt = Runtime.getRuntime();
      out.append("heap used ").append((rt.totalMemory() - rt.freeMemory()) >> 20).append(" MiB\n").append(env());
      return "embed OK\n" + out;
    } catch (Throwable t) {
      return "embed FAILED after " + (System.nanoTime() - t0) / 1_000_000 + " ms\n" + out + trace(t) + env();
    }
  }

  private static String trace(Throwable t) {
    StringWriter out = new StringWriter();
    t.printStackTrace(new PrintWriter(out));
    String s = out.toString();
    return s.length() > 6000 ? s.substring(0, 6000) + "\n...\n" : s;
  }
}
