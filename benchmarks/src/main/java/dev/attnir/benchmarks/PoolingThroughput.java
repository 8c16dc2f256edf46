package dev.attnir.benchmarks;

import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.TensorRequest;
import dev.attnir.encoders.pooling.ClsPooling;
import dev.attnir.encoders.pooling.DittoPooling;
import dev.attnir.encoders.pooling.HeadState;
import dev.attnir.encoders.pooling.LayerMeanPooling;
import dev.attnir.encoders.pooling.MeanPooling;
import dev.attnir.encoders.pooling.TrainedHeadPooling;
import dev.attnir.encoders.pooling.WhiteningAccumulator;
import dev.attnir.encoders.pooling.WhiteningPooling;
import dev.attnir.encoders.pooling.WhiteningTransform;
import dev.attnir.training.HeadModel;
import dev.attnir.training.HeadOnnxExporter;
import dev.attnir.training.HeadShape;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Encoding throughput of each pooling relative to plain CLS and mean, side by side in one run (rounds interleaved,
 * order rotated), plus the bare cost of exposing tensors (all hidden states; all hidden states and attentions) with no
 * pooling at all. Usage: {@code PoolingThroughput [model] [passages] [rounds] [out-prefix]}.
 */
public final class PoolingThroughput {

  public static void main(String[] args) throws Exception {
    String modelName = args.length > 0 ? args[0] : "bge-small-en-v1.5";
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 500;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    String out = args.length > 3 ? args[3] : "benchmarks/results/pooling-throughput";
    List<String> passages = BenchSupport.scifactPassages(n);
    ModelSpec spec = ModelRegistry.resolve(modelName);
    Map<String, double[]> rates = new LinkedHashMap<>();
    try (OnnxEncoder enc = OnnxEncoder.load(spec, EncoderOptions.defaults())) {
      int layers = enc.numLayers();
      WhiteningAccumulator acc = new WhiteningAccumulator(enc.hiddenSize());
      // Whitening is fitted on at least twice as many passages as dimensions, whatever the timed sample's size.
      List<String> fitSample = n > 2 * enc.hiddenSize() ? passages
          : BenchSupport.scifactPassages(2 * enc.hiddenSize());
      for (float[] v : Embedder.raw(enc, new ClsPooling()).embedPassages(fitSample, ProgressListener.none())) {
        acc.add(v);
      }
      WhiteningTransform t = WhiteningTransform.fit(acc, enc.hiddenSize(), 1e-6, spec.name(), enc.fingerprint());
      HeadShape shape = new HeadShape(layers, enc.hiddenSize(), 16, 8, 48, 4);
      byte[] onnx;
      try (HeadModel head = HeadModel.initialize(shape, 1)) {
        onnx = HeadOnnxExporter.export(shape, head.values(), 1);
      }
      TrainedHeadPooling trained = TrainedHeadPooling.fromState(new HeadState(new HeadState.HeadConfig(spec.name(),
          enc.fingerprint(), enc.hiddenSize(), "mean", 1, layers, 16, 8, 48, 4, Map.of()), onnx).serialize());
      Map<String, Pooling> poolings = new LinkedHashMap<>();
      poolings.put("cls", new ClsPooling());
      poolings.put("mean", new MeanPooling());
      poolings.put("whiten(cls)", new WhiteningPooling(new ClsPooling(), t));
      poolings.put("ditto (layer 1, head 0)", new DittoPooling(1, 0, DittoPooling.Variant.FIRST_LAST));
      poolings.put("ditto-last (layer 1, head 0)", new DittoPooling(1, 0, DittoPooling.Variant.LAST));
      poolings.put("layer1-last-mean", LayerMeanPooling.layer1AndLast());
      poolings.put("trained head", trained);
      for (String k : poolings.keySet()) {
        rates.put(k, new double[rounds]);
      }
      rates.put("exposed: all hidden states, no pooling", new double[rounds]);
      rates.put("exposed: all hidden states + attention diagonals, no pooling", new double[rounds]);
      rates.put("exposed: all hidden states + attentions, no pooling", new double[rounds]);
      Map<String, Embedder> embedders = new LinkedHashMap<>();
      poolings.forEach((k, p) -> embedders.put(k, new Embedder(enc, p)));
      List<String> keys = List.copyOf(rates.keySet());
      for (int r = 0; r < rounds; r++) {
        for (int s = 0; s < keys.size(); s++) {
          String key = keys.get((s + r) % keys.size());
          long t0 = System.nanoTime();
          if (key.startsWith("exposed: all hidden states + attentions")) {
            enc.encode(passages, TensorRequest.all(layers), (rows, o) -> { }, ProgressListener.none());
          } else if (key.startsWith("exposed: all hidden states + attention diagonals")) {
            TensorRequest all = TensorRequest.all(layers);
            enc.encode(passages, new TensorRequest(all.hiddenStates(), new java.util.TreeSet<>(), all.attentions()),
                (rows, o) -> { }, ProgressListener.none());
          } else if (key.startsWith("exposed: all hidden states")) {
            int[] all = new int[layers + 1];
            for (int i = 0; i <= layers; i++) {
              all[i] = i;
            }
            enc.encode(passages, TensorRequest.hidden(all), (rows, o) -> { }, ProgressListener.none());
          } else {
            embedders.get(key).embedPassages(passages, ProgressListener.none());
          }
          rates.get(key)[r] = passages.size() / ((System.nanoTime() - t0) / 1e9);
          System.err.printf(Locale.ROOT, "round %d %-50s %.1f passages/s%n", r, key, rates.get(key)[r]);
        }
      }
      trained.close();
    }
    double cls = BenchSupport.median(rates.get("cls"));
    StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "# Pooling throughput%n%n%s, %d SciFact passages "
        + "(256-token windows), medians of %d interleaved rounds. Machine: %s%n%n| pooling | passages/s | vs cls |"
        + "%n|---|---|---|%n", modelName, passages.size(), rounds, BenchSupport.machine()));
    Map<String, Object> json = new LinkedHashMap<>();
    for (var e : rates.entrySet()) {
      double m = BenchSupport.median(e.getValue());
      md.append(String.format(Locale.ROOT, "| %s | %.1f | %.3f |%n", e.getKey(), m, m / cls));
      json.put(e.getKey(), Map.of("medianPassagesPerSecond", m, "ratioToCls", m / cls, "perRound", e.getValue()));
    }
    md.append("\nTarget: Ditto and whitening at most 10% slower than plain CLS/mean (ratio >= 0.90).\n");
    BenchSupport.write(Path.of(out + ".json"), Map.of("model", modelName, "passages", passages.size(), "rounds",
        rounds, "machine", BenchSupport.machine(), "poolings", json));
    BenchSupport.writeText(Path.of(out + ".md"), md.toString());
    System.out.println(md);
  }

  private PoolingThroughput() {}
}
