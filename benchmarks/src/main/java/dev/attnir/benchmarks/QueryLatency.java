package dev.attnir.benchmarks;

import dev.attnir.core.Retriever;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.eval.data.BeirDataset;
import dev.attnir.indexer.embedding.EmbedderFactory;
import dev.attnir.indexer.retrieve.RetrievalConfig;
import dev.attnir.indexer.search.LuceneSearchBackend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Single-query latency over SciFact's 300 test queries on a dense SciFact index, one query at a time, including
 * query encoding: BM25, dense (HNSW) and hybrid (RRF over both). Each pass runs every query once per system, systems
 * interleaved; the first pass is warm-up.
 * Usage: {@code QueryLatency <index-dir> [passes] [k] [hybrid-depth] [out-prefix]}.
 */
public final class QueryLatency {

  public static void main(String[] args) throws Exception {
    Path indexDir = Path.of(args[0]);
    int passes = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int k = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    int depth = args.length > 3 ? Integer.parseInt(args[3]) : 100;
    String out = args.length > 4 ? args[4] : "benchmarks/results/query-latency";
    String simd = BenchSupport.simd();
    BeirDataset ds = BeirDataset.open(BenchSupport.shared().resolve("data/scifact"), "test");
    List<String> queries = new ArrayList<>(ds.queries().values());
    Map<String, Object> report = new LinkedHashMap<>();
    StringBuilder md = new StringBuilder();
    try (LuceneSearchBackend backend = LuceneSearchBackend.open(indexDir);
        Embedder embedder = EmbedderFactory.forIndex(backend, null, EncoderOptions.forQueries());
        Embedder oneCore = EmbedderFactory.forIndex(backend, null, EncoderOptions.defaults())) {
      Map<String, Retriever> systems = new LinkedHashMap<>();
      for (RetrievalConfig.Kind kind : RetrievalConfig.Kind.values()) {
        RetrievalConfig c = RetrievalConfig.defaults(kind).withHybridDepth(depth);
        systems.put(c.describe(), c.create(backend, embedder));
      }
      // The query encoder as indexing configures it (two single-core runs, so one core per query), for comparison.
      RetrievalConfig hybrid = RetrievalConfig.defaults(RetrievalConfig.Kind.HYBRID).withHybridDepth(depth);
      systems.put(hybrid.describe() + ", query encoder on one core", hybrid.create(backend, oneCore));
      Map<String, Map<String, Object>> systemsJson = BenchSupport.interleavedLatency(systems, queries, k, passes);
      md.append(String.format(Locale.ROOT, "# Query latency%n%nSciFact test queries (%d), one at a time, k=%d, "
              + "hybrid depth %d per side, including query encoding; %d measured passes after a warm-up pass, "
              + "systems interleaved; query encoding on every core (one ONNX Runtime run) unless stated. Index: %s (%s, %,d passages). Lucene SIMD: %s.%nMachine: %s%n%n"
              + "| system | p50 ms | p90 ms | p99 ms | max ms | median of per-pass p50 |%n|---|---|---|---|---|---|%n",
          queries.size(), k, depth, passes, indexDir, backend.manifest().embedding().model(),
          backend.manifest().passageCount(), simd, BenchSupport.machine()));
      systemsJson.forEach((system, j) -> md.append(String.format(Locale.ROOT,
          "| %s | %.2f | %.2f | %.2f | %.2f | %.2f |%n", system, j.get("p50ms"), j.get("p90ms"), j.get("p99ms"),
          j.get("maxMs"), j.get("medianOfPassP50ms"))));
      report.put("k", k);
      report.put("hybridDepth", depth);
      report.put("passes", passes);
      report.put("index", indexDir.toString());
      report.put("simd", simd);
      report.put("machine", BenchSupport.machine());
      report.put("systems", systemsJson);
    }
    md.append("\nTarget: hybrid p50 <= 25 ms on this 2-core machine.\n");
    BenchSupport.write(Path.of(out + ".json"), report);
    BenchSupport.writeText(Path.of(out + ".md"), md.toString());
    System.out.println(md);
  }

  private QueryLatency() {}
}
