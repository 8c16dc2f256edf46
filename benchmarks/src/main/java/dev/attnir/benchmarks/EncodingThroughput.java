package dev.attnir.benchmarks;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.Batch;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.TokenizedText;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15.BgeSmallEnV15EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15q.BgeSmallEnV15QuantizedEmbeddingModel;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Encoding throughput on SciFact passages, three ways side by side in one run, rounds interleaved:
 * <ul>
 *   <li>attnir: {@link Embedder#embedPassages}: tokenization, length-sorted batching, CLS pooling, normalisation;</li>
 *   <li>bare ORT: the same tokenized batches fed to an ONNX Runtime session in a plain loop (no tokenization, no
 *       pooling: the limit of what any Java pipeline can reach with this runtime);</li>
 *   <li>langchain4j: its in-process model class ({@code BgeSmallEnV15EmbeddingModel}) with its defaults.</li>
 * </ul>
 * Usage: {@code EncodingThroughput [passages] [rounds] [out-prefix]}.
 */
public final class EncodingThroughput {

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    String out = args.length > 2 ? args[2] : "benchmarks/results/encoding-throughput";
    List<String> passages = BenchSupport.scifactPassages(n);
    Map<String, Object> report = new LinkedHashMap<>();
    EncoderOptions opts = EncoderOptions.defaults();
    report.put("benchmark", "encoding throughput, " + passages.size() + " SciFact passages (256-token windows, "
        + "stride 192, title prepended), " + rounds + " rounds, systems interleaved within each round; attnir and "
        + "the bare loop run " + opts.concurrentRuns() + " batches at a time on " + opts.intraOpThreads()
        + " thread(s) each, langchain4j with its defaults");
    report.put("machine", BenchSupport.machine());
    Map<String, Object> models = new LinkedHashMap<>();
    StringBuilder md = new StringBuilder();
    for (String modelName : List.of("bge-small-en-v1.5", "bge-small-en-v1.5-q")) {
      models.put(modelName, measure(modelName, passages, rounds, md));
    }
    report.put("models", models);
    report.put("peakRssMiB", BenchSupport.peakRssMiB());
    BenchSupport.write(Path.of(out + ".json"), report);
    BenchSupport.writeText(Path.of(out + ".md"), "# Encoding throughput\n\n" + report.get("benchmark") + ".\n"
        + "Machine: " + BenchSupport.machine() + "\n\n" + md);
    System.out.println(md);
  }

  private static Map<String, Object> measure(String modelName, List<String> passages, int rounds, StringBuilder md)
      throws Exception {
    ModelSpec spec = ModelRegistry.resolve(modelName);
    EncoderOptions options = EncoderOptions.defaults();
    Map<String, double[]> rates = new LinkedHashMap<>();
    rates.put("attnir", new double[rounds]);
    rates.put("bare-ort", new double[rounds]);
    rates.put("langchain4j", new double[rounds]);
    long tokens;
    try (Embedder embedder = Embedder.load(spec, options);
        OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      so.setIntraOpNumThreads(options.intraOpThreads()); // same execution as the pipeline: threads per run
      so.setInterOpNumThreads(1);
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      EmbeddingModel peer = modelName.endsWith("-q") ? new BgeSmallEnV15QuantizedEmbeddingModel()
          : new BgeSmallEnV15EmbeddingModel();
      List<TextSegment> segments = passages.stream().map(TextSegment::from).toList();
      List<TokenizedText> tokenized = embedder.encoder().tokenizer().encodeAll(passages);
      List<Batch> batches = embedder.encoder().planBatches(tokenized);
      tokens = tokenized.stream().mapToLong(TokenizedText::length).sum();
      try (OrtSession bare = env.createSession(spec.source().readOnnx(), so)) {
        // warm-up: one small pass of each
        embedder.embedPassages(passages.subList(0, 64), ProgressListener.none());
        peer.embedAll(segments.subList(0, 64));
        bareLoop(env, bare, batches.subList(0, Math.min(4, batches.size())), options.concurrentRuns());
        for (int r = 0; r < rounds; r++) {
          // rotate the order so no system always runs first (thermal and cache effects)
          for (int s = 0; s < 3; s++) {
            int which = (s + r) % 3;
            long t0 = System.nanoTime();
            switch (which) {
              case 0 -> embedder.embedPassages(passages, ProgressListener.none());
              case 1 -> bareLoop(env, bare, batches, options.concurrentRuns());
              default -> peer.embedAll(segments);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            String key = which == 0 ? "attnir" : which == 1 ? "bare-ort" : "langchain4j";
            rates.get(key)[r] = passages.size() / seconds;
            System.err.printf(Locale.ROOT, "%s round %d %-11s %.1f passages/s%n", modelName, r, key,
                passages.size() / seconds);
          }
        }
      }
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("tokens", tokens);
    Map<String, Object> medians = new LinkedHashMap<>();
    rates.forEach((k, v) -> medians.put(k, BenchSupport.median(v)));
    result.put("medianPassagesPerSecond", medians);
    result.put("perRound", rates);
    double[] vsBare = new double[rounds];
    double[] vsPeer = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      vsBare[r] = rates.get("attnir")[r] / rates.get("bare-ort")[r];
      vsPeer[r] = rates.get("attnir")[r] / rates.get("langchain4j")[r];
    }
    result.put("medianRatioAttnirOverBareOrt", BenchSupport.median(vsBare));
    result.put("medianRatioAttnirOverLangchain4j", BenchSupport.median(vsPeer));
    md.append(String.format(Locale.ROOT, "## %s%n%n%,d passages, %,d tokens; medians of %d rounds.%n%n"
            + "| system | passages/s | tokens/s |%n|---|---|---|%n", modelName, passages.size(), tokens, rounds));
    for (String k : rates.keySet()) {
      double p = BenchSupport.median(rates.get(k));
      md.append(String.format(Locale.ROOT, "| %s | %.1f | %.0f |%n", k, p, p * tokens / passages.size()));
    }
    md.append(String.format(Locale.ROOT, "%nattnir / bare ORT = %.3f (median of per-round ratios; target >= 0.9)%n"
            + "attnir / langchain4j = %.3f (target >= 1.2)%n%n", BenchSupport.median(vsBare),
        BenchSupport.median(vsPeer)));
    return result;
  }

  /**
   * Feeds pre-tokenized batches to the session and reads back the output, nothing else, with the same number of
   * batches in flight as the pipeline.
   */
  private static void bareLoop(OrtEnvironment env, OrtSession session, List<Batch> batches, int concurrent)
      throws Exception {
    java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(concurrent);
    try {
      List<java.util.concurrent.Future<?>> workers = new java.util.ArrayList<>();
      for (int w = 0; w < concurrent; w++) {
        workers.add(pool.submit(() -> {
          for (int i = next.getAndIncrement(); i < batches.size(); i = next.getAndIncrement()) {
            Batch b = batches.get(i);
            long[] shape = {b.size(), b.seqLen()};
            Map<String, OnnxTensor> in = new HashMap<>();
            in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(b.inputIds()), shape));
            in.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(b.attentionMask()), shape));
            in.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(b.typeIds()), shape));
            try (OrtSession.Result r = session.run(in)) {
              ((OnnxTensor) r.get(0)).getFloatBuffer();
            } finally {
              in.values().forEach(OnnxTensor::close);
            }
          }
          return null;
        }));
      }
      for (var f : workers) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  private EncodingThroughput() {}
}
