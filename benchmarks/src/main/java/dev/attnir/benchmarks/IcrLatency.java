package dev.attnir.benchmarks;

import dev.attnir.core.Candidate;
import dev.attnir.core.Reranker;
import dev.attnir.core.Rerankers;
import dev.attnir.eval.data.CandidateLists;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * In-context reranking (ICR) latency with the encoder readers, and what its calibration read costs: per reader, the
 * per-query wall time of {@code rerank(query, top depth)} with the paper's recipe (query read + "N/A" calibration read
 * per window) and with {@code calibrate=false} (query read only), over TREC DL 2019's BM25 lists (passage text from
 * the list file), interleaved query by query, alternating which variant goes first.
 *
 * <p>Usage: {@code IcrLatency READER [READER...] [--lists FILE] [--depth 20] [--queries 20] [--warmup 2]
 * [--window 4] [--out PREFIX]}.
 */
public final class IcrLatency {

  private IcrLatency() {}

  public static void main(String[] args) {
    List<String> readers = new ArrayList<>();
    Map<String, String> opt = new LinkedHashMap<>();
    opt.put("lists", BenchSupport.shared().resolve("data/trec-dl/dl19/bm25-top100.jsonl").toString());
    opt.put("depth", "20");
    opt.put("queries", "20");
    opt.put("warmup", "2");
    opt.put("window", "4");
    opt.put("out", "benchmarks/results/icr-latency");
    readers.addAll(BenchSupport.options(args, opt));
    if (readers.isEmpty()) {
      throw new IllegalArgumentException("usage: IcrLatency READER [READER...] [--lists FILE] [--depth 20] "
          + "[--queries 20] [--warmup 2] [--window 4] [--out PREFIX]");
    }
    int depth = Integer.parseInt(opt.get("depth"));
    int measured = Integer.parseInt(opt.get("queries"));
    int warmup = Integer.parseInt(opt.get("warmup"));
    CandidateLists lists = CandidateLists.read(Path.of(opt.get("lists")));
    List<String> qids = new ArrayList<>(lists.candidates().keySet());
    qids = qids.subList(0, Math.min(qids.size(), measured + warmup));

    Map<String, Object> results = new LinkedHashMap<>();
    StringBuilder md = new StringBuilder();
    md.append("# ICR latency (encoder readers)\n\n").append(String.format(Locale.ROOT, "`benchmarks/run.sh IcrLatency "
        + "%s --depth %d --queries %d --warmup %d --window %s`: per query, `rerank` of the BM25 top %d of TREC DL "
        + "2019 (passage text from %s) with ICR's recipe (a query read and an \"N/A\" calibration read per window of "
        + "%s passages, stride half of it) and with calibrate=false, interleaved query by query (alternating which "
        + "goes first), %d measured queries after %d warm-up. Tokenization included.%n%n", String.join(" ", readers),
        depth, measured, warmup, opt.get("window"), depth, Path.of(opt.get("lists")).getFileName(), opt.get("window"),
        qids.size() - warmup, warmup));
    md.append("| reader | recipe p50 ms | recipe p99 ms | no calibration p50 ms | no calibration p99 ms | "
        + "calibration cost (median per-query ratio) |\n|---|---|---|---|---|---|\n");
    for (String reader : readers) {
      String base = "icr:reader=" + reader + ",window=" + opt.get("window");
      Reranker recipe = Rerankers.create(base);
      Reranker plain = Rerankers.create(base + ",calibrate=false");
      try {
        List<Double> withCal = new ArrayList<>();
        List<Double> without = new ArrayList<>();
        List<Double> ratio = new ArrayList<>();
        for (int i = 0; i < qids.size(); i++) {
          String qid = qids.get(i);
          List<Candidate> top = lists.candidates().get(qid);
          top = top.subList(0, Math.min(depth, top.size()));
          String query = lists.queries().get(qid);
          double a;
          double b;
          if (i % 2 == 0) {
            a = time(recipe, query, top);
            b = time(plain, query, top);
          } else {
            b = time(plain, query, top);
            a = time(recipe, query, top);
          }
          if (i >= warmup) {
            withCal.add(a);
            without.add(b);
            ratio.add(a / b);
          }
          System.err.printf(Locale.ROOT, "%s query %d/%d: recipe %.0f ms, no calibration %.0f ms%n", reader, i + 1,
              qids.size(), a, b);
        }
        double[] w = withCal.stream().mapToDouble(Double::doubleValue).toArray();
        double[] n = without.stream().mapToDouble(Double::doubleValue).toArray();
        double[] r = ratio.stream().mapToDouble(Double::doubleValue).toArray();
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("recipeP50ms", BenchSupport.percentile(w, 50));
        j.put("recipeP99ms", BenchSupport.percentile(w, 99));
        j.put("noCalibrationP50ms", BenchSupport.percentile(n, 50));
        j.put("noCalibrationP99ms", BenchSupport.percentile(n, 99));
        j.put("medianRatio", BenchSupport.median(r));
        j.put("recipeMs", w);
        j.put("noCalibrationMs", n);
        results.put(reader, j);
        md.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %.0f | %.0f | %.2f× |%n", reader,
            BenchSupport.percentile(w, 50), BenchSupport.percentile(w, 99), BenchSupport.percentile(n, 50),
            BenchSupport.percentile(n, 99), BenchSupport.median(r)));
      } finally {
        close(recipe);
        close(plain);
      }
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("machine", BenchSupport.machine());
    json.put("settings", opt);
    json.put("results", results);
    md.append("\nMachine: ").append(BenchSupport.machine()).append('\n');
    BenchSupport.write(Path.of(opt.get("out") + ".json"), json);
    BenchSupport.writeText(Path.of(opt.get("out") + ".md"), md.toString());
    System.out.print(md);
  }

  private static void close(Reranker r) {
    if (r instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing " + r.name() + ": " + e.getMessage(), e);
      }
    }
  }

  private static double time(Reranker reranker, String query, List<Candidate> candidates) {
    long t0 = System.nanoTime();
    reranker.rerank(query, candidates);
    return (System.nanoTime() - t0) / 1e6;
  }
}
