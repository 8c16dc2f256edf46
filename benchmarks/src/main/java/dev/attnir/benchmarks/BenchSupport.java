package dev.attnir.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.attnir.core.Document;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.TextTokenizer;
import dev.attnir.eval.data.CorpusReader;
import dev.attnir.indexer.Passage;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.indexer.PassageSplitter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Shared pieces of the benchmark harnesses: data, statistics, machine description, result files. */
final class BenchSupport {

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private BenchSupport() {}

  /** The shared data directory ({@code -Dattnir.shared.dir}, default ../shared). */
  static Path shared() {
    Path p = Path.of(System.getProperty("attnir.shared.dir", "../shared")).toAbsolutePath().normalize();
    if (!Files.isDirectory(p.resolve("data/scifact"))) {
      throw new IllegalStateException("benchmarks need ../shared/data/scifact (set -Dattnir.shared.dir); not found at "
          + p);
    }
    return p;
  }

  /**
   * The first {@code n} SciFact passages as the indexer cuts them: 256-token windows of bge-small-en-v1.5 word pieces,
   * 192 apart, title prepended.
   */
  static List<String> scifactPassages(int n) {
    List<Document> docs = CorpusReader.readAll(shared().resolve("data/scifact/corpus.jsonl"),
        CorpusReader.InvalidPolicy.FAIL);
    ModelSpec bge = ModelRegistry.resolve("bge-small-en-v1.5");
    try (TextTokenizer tok = TextTokenizer.fromJson(bge.source().readTokenizerJson(), 512)) {
      PassageSplitter splitter = new PassageSplitter(PassageSettings.windows(256, 192, bge.name()),
          tok::contentTokenSpans);
      List<String> out = new ArrayList<>();
      for (Document d : docs) {
        for (Passage p : splitter.split(d)) {
          out.add(p.contents());
          if (out.size() == n) {
            return out;
          }
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads {@code --key value} pairs into {@code options} (whose keys, in order, are the known options with their
   * defaults) and returns the other arguments in order.
   *
   * @throws IllegalArgumentException for an unknown option or one without a value, listing the known ones
   */
  static List<String> options(String[] args, Map<String, String> options) {
    List<String> positional = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith("--")) {
        String key = args[i].substring(2);
        if (!options.containsKey(key) || i + 1 >= args.length) {
          throw new IllegalArgumentException("unknown option or missing value: " + args[i] + "; options: --"
              + String.join(", --", options.keySet()));
        }
        options.put(key, args[++i]);
      } else {
        positional.add(args[i]);
      }
    }
    return positional;
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  /** Percentile by the nearest-rank method. */
  static double percentile(double[] v, double p) {
    double[] s = v.clone();
    Arrays.sort(s);
    int rank = (int) Math.ceil(p / 100.0 * s.length);
    return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
  }

  /** Peak resident set size of this process in MiB. */
  static double peakRssMiB() {
    return dev.attnir.cli.Machine.peakRssMiB();
  }

  /** Whether Lucene uses the Panama vector API here, as Lucene itself reports it. */
  static String simd() {
    return dev.attnir.cli.SimdStatus.describe();
  }

  /** What the numbers were measured on. */
  static Map<String, Object> machine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("date", Instant.now().toString());
    m.put("cores", Runtime.getRuntime().availableProcessors());
    try {
      Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name")).findFirst()
          .ifPresent(l -> m.put("cpu", l.substring(l.indexOf(':') + 1).trim()));
      Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal")).findFirst()
          .ifPresent(l -> m.put("memory", l.substring(l.indexOf(':') + 1).trim()));
    } catch (IOException ignored) {
      // not Linux: leave out
    }
    m.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
    m.put("maxHeapMiB", Runtime.getRuntime().maxMemory() / (1024 * 1024));
    return m;
  }

  static void write(Path file, Object json) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      JSON.writeValue(file.toFile(), json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void writeText(Path file, String text) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Single-query latency of every system over the same queries: {@code passes} measured passes after a warm-up pass,
   * each running every query once per system, systems interleaved. Per system: p50/p90/p99/max over all measured
   * queries (ms), each pass's median and the median of those.
   */
  static Map<String, Map<String, Object>> interleavedLatency(Map<String, dev.attnir.core.Retriever> systems,
      List<String> queries, int k, int passes) {
    Map<String, List<Double>> latencies = new LinkedHashMap<>();
    Map<String, double[]> passMedians = new LinkedHashMap<>();
    systems.keySet().forEach(s -> {
      latencies.put(s, new ArrayList<>());
      passMedians.put(s, new double[passes]);
    });
    for (int p = 0; p <= passes; p++) {
      for (var e : systems.entrySet()) {
        double[] lat = new double[queries.size()];
        for (int i = 0; i < queries.size(); i++) {
          long t0 = System.nanoTime();
          e.getValue().retrieve(queries.get(i), k);
          lat[i] = (System.nanoTime() - t0) / 1e6;
        }
        if (p > 0) {
          for (double l : lat) {
            latencies.get(e.getKey()).add(l);
          }
          passMedians.get(e.getKey())[p - 1] = median(lat);
        }
      }
      System.err.println("pass " + p + " of " + passes + " done" + (p == 0 ? " (warm-up)" : ""));
    }
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    for (String s : systems.keySet()) {
      double[] all = latencies.get(s).stream().mapToDouble(Double::doubleValue).toArray();
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("p50ms", percentile(all, 50));
      j.put("p90ms", percentile(all, 90));
      j.put("p99ms", percentile(all, 99));
      j.put("maxMs", percentile(all, 100));
      j.put("perPassP50ms", passMedians.get(s));
      j.put("medianOfPassP50ms", median(passMedians.get(s)));
      out.put(s, j);
    }
    return out;
  }
}
