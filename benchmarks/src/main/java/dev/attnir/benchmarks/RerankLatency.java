package dev.attnir.benchmarks;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.attnir.core.Candidate;
import dev.attnir.core.Reranker;
import dev.attnir.core.Rerankers;
import dev.attnir.encoders.Batch;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.TensorRequest;
import dev.attnir.encoders.TokenizedText;
import dev.attnir.eval.data.BeirDataset;
import dev.attnir.indexer.SearchHit;
import dev.attnir.indexer.Searcher;
import dev.attnir.rerankers.CrossEncoderReranker;
import dev.attnir.rerankers.trained.MvpReranker;
import dev.attnir.rerankers.trained.ViewTokens;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reranking latency and throughput: for each reranker, dataset and depth, the per-query wall time of
 * {@code reranker.rerank(query, candidates)} (tokenization included) over the top-{@code depth} BM25 candidates of
 * each query, and, interleaved with it query by query, a bare ONNX Runtime loop over the same pairs.
 *
 * <p>Candidates are a realistic first stage: BM25 (Anserini's parameters) over an existing index, the hits' indexed
 * text (title + passage) as the candidate texts; they are retrieved before any timing. Queries are the test queries in
 * file order (SciFact's {@code qrels/test.tsv}, the NQ split's {@code qrels/test.tsv}).
 *
 * <p>The bare reference: the same pairs, tokenized outside the timed region with the reranker's own tokenizer (a
 * cross-encoder's {@code encoder().tokenizer().encodePairs}; MVP's pair tokenizer with {@link ViewTokens#encode}), put
 * in the reranker's canonical order and cut into the batches its encoder cuts ({@link OnnxEncoder#planBatches}), run
 * through a plain {@link OrtSession} created from the same graph bytes the reranker's encoder loaded (for a trained
 * artifact, the reassembled graph held in memory) with the encoder's session options (all optimisations, sequential,
 * its intra-op threads, one inter-op thread) and the same number of batches in flight. Inputs are built directly from
 * the batches and only the primary output is fetched and copied out. The throughput ratio therefore charges
 * tokenization, ordering, scoring and (for MVP) the anchors to the reranker and nothing to the bare loop.
 *
 * <p>Per query the two measurements alternate which goes first (A B, then B A), so machine noise hits both. The first
 * {@code --warmup} queries of each setting are run (both sides) and not counted.
 *
 * <p>Usage: {@code RerankLatency SPEC [SPEC...] [--datasets scifact,nq] [--depths 20,100] [--queries 30,10]
 * [--warmup 3] [--scifact-dir DIR] [--scifact-index DIR] [--nq-dir DIR] [--nq-index DIR] [--out PREFIX]}. A spec is
 * anything {@link Rerankers#create} accepts, e.g. {@code trained:file=runs/rerankers/ce-minilm/reranker.rrk} or a
 * shipped name. {@code --queries} gives the measured queries per depth, in the order of {@code --depths}.
 */
public final class RerankLatency {

  /** Top-20 p50 target for the MiniLM-based rerankers at 256 tokens on the project's 2-core machine. */
  static final double TARGET_P50_MS = 800;
  static final double TARGET_RATIO = 0.9;

  record Dataset(String name, Path dir, Path index) {}

  /** One measured setting's raw numbers. */
  record Setting(String reranker, String dataset, int depth, int maxLength, double[] latMs, double[] bareMs,
      long pairs, long tokens, long truncated, int batches, double bareMaxAbsDiff) {}

  public static void main(String[] args) throws Exception {
    List<String> specs = new ArrayList<>();
    Map<String, String> opt = new LinkedHashMap<>();
    opt.put("datasets", "scifact,nq");
    opt.put("depths", "20,100");
    opt.put("queries", "30,10");
    opt.put("warmup", "3");
    opt.put("scifact-dir", null);
    opt.put("scifact-index", "runs/scifact-bge-auto/index");
    opt.put("nq-dir", "runs/nq-split");
    opt.put("nq-index", "runs/nq-split-bge/index");
    opt.put("out", "benchmarks/results/rerank-latency");
    specs.addAll(BenchSupport.options(args, opt));
    if (specs.isEmpty()) {
      throw new IllegalArgumentException("usage: RerankLatency SPEC [SPEC...] [--datasets scifact,nq] "
          + "[--depths 20,100] [--queries 30,10] [--warmup 3] [--scifact-dir DIR] [--scifact-index DIR] "
          + "[--nq-dir DIR] [--nq-index DIR] [--out PREFIX]");
    }
    int[] depths = ints(opt.get("depths"));
    int[] perDepth = ints(opt.get("queries"));
    if (perDepth.length != depths.length && perDepth.length != 1) {
      throw new IllegalArgumentException("--queries needs one count, or one per depth (" + depths.length + ")");
    }
    int warmup = Integer.parseInt(opt.get("warmup"));
    List<Dataset> datasets = new ArrayList<>();
    for (String d : opt.get("datasets").split(",")) {
      switch (d.trim()) {
        case "scifact" -> datasets.add(new Dataset("scifact", opt.get("scifact-dir") != null
            ? Path.of(opt.get("scifact-dir")) : BenchSupport.shared().resolve("data/scifact"),
            Path.of(opt.get("scifact-index"))));
        case "nq" -> datasets.add(new Dataset("nq", Path.of(opt.get("nq-dir")), Path.of(opt.get("nq-index"))));
        default -> throw new IllegalArgumentException("unknown dataset " + d + " (scifact, nq)");
      }
    }
    for (Dataset d : datasets) {
      if (!Files.isDirectory(d.index())) {
        throw new IllegalArgumentException(d.name() + ": no index at " + d.index().toAbsolutePath()
            + " (give --" + d.name() + "-index DIR; the default is relative to the working directory, which run.sh "
            + "sets to the repository root)");
      }
      if (!Files.isDirectory(d.dir())) {
        throw new IllegalArgumentException(d.name() + ": no dataset at " + d.dir().toAbsolutePath()
            + " (give --" + d.name() + "-dir DIR with queries.jsonl and qrels/test.tsv)");
      }
    }
    int maxDepth = Arrays.stream(depths).max().orElseThrow();
    int maxQueries = Arrays.stream(perDepth).max().orElseThrow() + warmup;

    // First stage, once, before any reranker is loaded: the top maxDepth BM25 hits of the first maxQueries queries.
    Map<String, List<String>> queryTexts = new LinkedHashMap<>();
    Map<String, List<List<Candidate>>> candidates = new LinkedHashMap<>();
    for (Dataset d : datasets) {
      BeirDataset ds = BeirDataset.open(d.dir(), "test");
      List<String> qs = new ArrayList<>(ds.queries().values());
      qs = qs.subList(0, Math.min(maxQueries, qs.size()));
      List<List<Candidate>> lists = new ArrayList<>();
      try (Searcher searcher = Searcher.open(d.index())) {
        for (String q : qs) {
          List<Candidate> c = new ArrayList<>();
          for (SearchHit h : searcher.bm25(q, maxDepth)) {
            c.add(new Candidate(h.docId(), h.rank(), h.score(), h.passage(), h.start(), h.end(), h.text()));
          }
          lists.add(c);
        }
      }
      queryTexts.put(d.name(), qs);
      candidates.put(d.name(), lists);
      System.err.printf(Locale.ROOT, "%s: %d queries, BM25 top-%d from %s%n", d.name(), qs.size(), maxDepth,
          d.index());
    }

    List<Setting> settings = new ArrayList<>();
    Map<String, String> described = new LinkedHashMap<>();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    for (String spec : specs) {
      Reranker reranker = Rerankers.create(spec);
      try {
        OnnxEncoder encoder = encoderOf(reranker);
        EncoderOptions eo = encoder.options();
        described.put(spec, reranker.name() + ": " + encoder.spec().source().describe() + ", max length "
            + encoder.spec().maxLength() + ", " + eo.concurrentRuns() + " concurrent run(s) x " + eo.intraOpThreads()
            + " intra-op thread(s), batches of <= " + eo.maxBatchTokens() + " tokens / " + eo.maxBatchSize()
            + " rows");
        ExecutorService pool = Executors.newFixedThreadPool(eo.concurrentRuns(), r -> {
          Thread t = new Thread(r, "bare-ort");
          t.setDaemon(true);
          return t;
        });
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
          // OnnxEncoder's session options
          so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
          so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
          so.setIntraOpNumThreads(eo.intraOpThreads());
          so.setInterOpNumThreads(1);
          try (OrtSession bare = env.createSession(encoder.spec().source().readOnnx(), so)) {
            Bare loop = new Bare(env, bare, encoder.primaryOutput().name(), pool, eo.concurrentRuns());
            for (Dataset d : datasets) {
              for (int di = 0; di < depths.length; di++) {
                int n = perDepth.length == 1 ? perDepth[0] : perDepth[di];
                settings.add(measure(spec, reranker, encoder, loop, d.name(), queryTexts.get(d.name()),
                    candidates.get(d.name()), depths[di], n, warmup));
              }
            }
          }
        } finally {
          pool.shutdownNow();
        }
      } finally {
        if (reranker instanceof AutoCloseable c) {
          c.close();
        }
      }
    }
    report(settings, described, datasets, warmup, Path.of(opt.get("out")));
  }

  private static OnnxEncoder encoderOf(Reranker r) {
    if (r instanceof CrossEncoderReranker ce) {
      return ce.encoder();
    }
    if (r instanceof MvpReranker mvp) {
      return mvp.encoder();
    }
    throw new IllegalArgumentException("reranker " + r.name() + " (" + r.getClass().getName() + ") has no bare "
        + "ONNX Runtime reference here; supported: cross-encoder and MVP rerankers");
  }

  /** The pairs exactly as the reranker tokenizes them, in its canonical order (longest, text, document id). */
  static List<TokenizedText> tokenize(Reranker r, String query, List<Candidate> cands) {
    List<String> texts = cands.stream().map(Candidate::text).toList();
    List<TokenizedText> tokens;
    if (r instanceof MvpReranker mvp) {
      tokens = ViewTokens.encode(mvp.pairTokenizer(), mvp.viewIds(), query, texts);
    } else {
      tokens = ((CrossEncoderReranker) r).encoder().tokenizer()
          .encodePairs(Collections.nCopies(texts.size(), query), texts);
    }
    Integer[] order = new Integer[tokens.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    final List<TokenizedText> t = tokens;
    Arrays.sort(order, Comparator.<Integer>comparingInt(i -> -t.get(i).length())
        .thenComparing(i -> texts.get(i))
        .thenComparing(i -> cands.get(i).docId()));
    List<TokenizedText> sorted = new ArrayList<>(order.length);
    for (Integer i : order) {
      sorted.add(tokens.get(i));
    }
    return sorted;
  }

  private static Setting measure(String spec, Reranker reranker, OnnxEncoder encoder, Bare bare, String dataset,
      List<String> queries, List<List<Candidate>> lists, int depth, int measured, int warmup) throws Exception {
    int total = Math.min(queries.size(), warmup + measured);
    int counted = Math.max(0, total - warmup);
    double[] lat = new double[counted];
    double[] bareLat = new double[counted];
    long pairs = 0;
    long tokens = 0;
    long truncated = 0;
    int batchCount = 0;
    double bareCheck = Double.NaN;
    for (int q = 0; q < total; q++) {
      String query = queries.get(q);
      List<Candidate> cands = lists.get(q).subList(0, Math.min(depth, lists.get(q).size()));
      // outside the timed region: the bare side's tokens and batches
      List<TokenizedText> tok = tokenize(reranker, query, cands);
      List<Batch> batches = encoder.planBatches(tok);
      if (q == 0) {
        // not timed: the bare loop computes what the reranker's encoder computes (same graph, same inputs)
        float[] mine = bare.one(batches.get(0));
        float[] theirs = encoder.run(batches.get(0), TensorRequest.none()).primaryOutput();
        double diff = mine.length == theirs.length ? 0 : Double.POSITIVE_INFINITY;
        for (int i = 0; i < Math.min(mine.length, theirs.length); i++) {
          diff = Math.max(diff, Math.abs(mine[i] - theirs[i]));
        }
        if (!(diff <= 1e-4)) {
          throw new IllegalStateException(reranker.name() + ": the bare loop's output differs from the encoder's by "
              + diff + " on the same batch; the comparison would be meaningless");
        }
        bareCheck = diff;
      }
      double a = 0;
      double b = 0;
      for (int s = 0; s < 2; s++) {
        boolean rerankerTurn = (s == 0) == (q % 2 == 0);
        long t0 = System.nanoTime();
        if (rerankerTurn) {
          reranker.rerank(query, cands);
          a = (System.nanoTime() - t0) / 1e6;
        } else {
          bare.run(batches);
          b = (System.nanoTime() - t0) / 1e6;
        }
      }
      if (q >= warmup) {
        lat[q - warmup] = a;
        bareLat[q - warmup] = b;
        pairs += cands.size();
        tokens += tok.stream().mapToLong(TokenizedText::length).sum();
        truncated += tok.stream().filter(TokenizedText::truncated).count();
        batchCount += batches.size();
      }
      System.err.printf(Locale.ROOT, "%s %s top-%d query %d%s: %d pairs, rerank %.1f ms, bare %.1f ms%n",
          reranker.name(), dataset, depth, q, q < warmup ? " (warm-up)" : "", cands.size(), a, b);
    }
    return new Setting(spec, dataset, depth, encoder.spec().maxLength(), lat, bareLat, pairs, tokens, truncated,
        batchCount, bareCheck);
  }

  private static void report(List<Setting> settings, Map<String, String> described, List<Dataset> datasets,
      int warmup, Path out) {
    Map<String, Object> machine = BenchSupport.machine();
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "# Reranking latency%n%n"
        + "Per-query wall time of `rerank(query, candidates)` over each query's BM25 top-k (the index's text: title + "
        + "passage), tokenization included, one query at a time; test queries in file order, the first %d of each "
        + "setting as warm-up. Bare ORT: the same pairs tokenized beforehand (not timed) with the reranker's own "
        + "tokenizer, batched as its encoder batches them, run through a plain ONNX Runtime session on the same graph "
        + "bytes with the same session options and batches in flight; ratio = reranker pairs/s / bare pairs/s "
        + "(tokenization included on the reranker side, excluded on the bare side). The two alternate per query "
        + "(A B, B A). Before timing, the bare loop's output on one batch is checked against the encoder's (max abs "
        + "difference in the JSON). p99 is by nearest rank: with fewer than 100 queries it is the slowest query."
        + "%nMachine: %s%n%n", warmup, machine));
    for (var e : described.entrySet()) {
      md.append("- `").append(e.getKey()).append("`: ").append(e.getValue()).append('\n');
    }
    for (Dataset d : datasets) {
      md.append("- ").append(d.name()).append(": queries from ").append(d.dir()).append(", BM25 on ")
          .append(d.index()).append('\n');
    }
    md.append(String.format(Locale.ROOT, "%n| reranker | dataset | depth | queries | max length | mean tokens/pair "
        + "| p50 ms | p99 ms | mean ms | pairs/s | bare p50 ms | bare pairs/s | ratio | target met? |%n"
        + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|%n"));
    List<Object> rows = new ArrayList<>();
    for (Setting s : settings) {
      int n = s.latMs().length;
      double sumA = Arrays.stream(s.latMs()).sum();
      double sumB = Arrays.stream(s.bareMs()).sum();
      double pps = n == 0 ? Double.NaN : s.pairs() / (sumA / 1000);
      double barePps = n == 0 ? Double.NaN : s.pairs() / (sumB / 1000);
      double ratio = pps / barePps;
      double[] perQuery = new double[n];
      for (int i = 0; i < n; i++) {
        perQuery[i] = s.bareMs()[i] / s.latMs()[i];
      }
      double p50 = n == 0 ? Double.NaN : BenchSupport.percentile(s.latMs(), 50);
      double p99 = n == 0 ? Double.NaN : BenchSupport.percentile(s.latMs(), 99);
      List<String> targets = new ArrayList<>();
      boolean met = ratio >= TARGET_RATIO;
      targets.add(String.format(Locale.ROOT, "ratio >= %.1f: %s", TARGET_RATIO, ratio >= TARGET_RATIO ? "yes" : "no"));
      if (s.depth() == 20 && s.maxLength() == 256) {
        met &= p50 <= TARGET_P50_MS;
        targets.add(String.format(Locale.ROOT, "p50 <= %.0f ms: %s", TARGET_P50_MS,
            p50 <= TARGET_P50_MS ? "yes" : "no"));
      }
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("reranker", s.reranker());
      j.put("dataset", s.dataset());
      j.put("depth", s.depth());
      j.put("queries", n);
      j.put("maxLength", s.maxLength());
      j.put("pairs", s.pairs());
      j.put("meanTokensPerPair", s.pairs() == 0 ? 0 : (double) s.tokens() / s.pairs());
      j.put("truncatedPairs", s.truncated());
      j.put("meanBatchesPerQuery", n == 0 ? 0 : (double) s.batches() / n);
      j.put("bareOutputMaxAbsDiffFromEncoder", s.bareMaxAbsDiff());
      j.put("p50ms", p50);
      j.put("p99ms", p99);
      j.put("meanMs", n == 0 ? Double.NaN : sumA / n);
      j.put("pairsPerSecond", pps);
      j.put("bareP50ms", n == 0 ? Double.NaN : BenchSupport.percentile(s.bareMs(), 50));
      j.put("bareP99ms", n == 0 ? Double.NaN : BenchSupport.percentile(s.bareMs(), 99));
      j.put("barePairsPerSecond", barePps);
      j.put("ratioRerankerOverBare", ratio);
      j.put("medianPerQueryRatio", n == 0 ? Double.NaN : BenchSupport.median(perQuery));
      j.put("targets", targets);
      j.put("targetMet", met);
      j.put("latenciesMs", s.latMs());
      j.put("bareLatenciesMs", s.bareMs());
      rows.add(j);
      md.append(String.format(Locale.ROOT, "| `%s` | %s | %d | %d | %d | %.0f | %.1f | %.1f | %.1f | %.1f "
              + "| %.1f | %.1f | %.3f | %s (%s) |%n", s.reranker(), s.dataset(), s.depth(), n, s.maxLength(),
          j.get("meanTokensPerPair"), p50, p99, j.get("meanMs"), pps, j.get("bareP50ms"), barePps, ratio,
          met ? "yes" : "no", String.join("; ", targets)));
    }
    md.append(String.format(Locale.ROOT, "%nTargets: throughput >= %.1f x the bare ONNX Runtime loop; for the "
        + "MiniLM-based rerankers, top-20 p50 <= %.0f ms at 256 tokens on this 2-core machine (checked where the "
        + "max length is 256).%n", TARGET_RATIO, TARGET_P50_MS));
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("machine", machine);
    report.put("warmupQueries", warmup);
    report.put("rerankers", described);
    Map<String, Object> ds = new LinkedHashMap<>();
    for (Dataset d : datasets) {
      ds.put(d.name(), Map.of("queries", d.dir().toString(), "index", d.index().toString(), "firstStage", "bm25"));
    }
    report.put("datasets", ds);
    report.put("settings", rows);
    BenchSupport.write(Path.of(out + ".json"), report);
    BenchSupport.writeText(Path.of(out + ".md"), md.toString());
    System.out.println(md);
  }

  private static int[] ints(String csv) {
    return Arrays.stream(csv.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
  }

  /**
   * The bare loop: pre-built batches into the session, the primary output copied out, nothing else; up to
   * {@code concurrent} batches in flight, as the encoder runs them.
   */
  static final class Bare {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String output;
    private final ExecutorService pool;
    private final int concurrent;
    private final Map<String, OnnxJavaType> inputs = new LinkedHashMap<>();

    Bare(OrtEnvironment env, OrtSession session, String output, ExecutorService pool, int concurrent)
        throws OrtException {
      this.env = env;
      this.session = session;
      this.output = output;
      this.pool = pool;
      this.concurrent = concurrent;
      for (Map.Entry<String, NodeInfo> e : session.getInputInfo().entrySet()) {
        inputs.put(e.getKey(), ((TensorInfo) e.getValue().getInfo()).type);
      }
    }

    void run(List<Batch> batches) throws Exception {
      if (concurrent <= 1 || batches.size() <= 1) {
        for (Batch b : batches) {
          one(b);
        }
        return;
      }
      AtomicInteger next = new AtomicInteger();
      List<Future<?>> workers = new ArrayList<>();
      for (int w = 0; w < Math.min(concurrent, batches.size()); w++) {
        workers.add(pool.submit(() -> {
          for (int i = next.getAndIncrement(); i < batches.size(); i = next.getAndIncrement()) {
            one(batches.get(i));
          }
          return null;
        }));
      }
      for (Future<?> f : workers) {
        f.get();
      }
    }

    private float[] one(Batch b) throws OrtException {
      long[] shape = {b.size(), b.seqLen()};
      Map<String, OnnxTensor> in = new HashMap<>();
      try {
        for (Map.Entry<String, OnnxJavaType> e : inputs.entrySet()) {
          long[] values = switch (e.getKey()) {
            case "input_ids" -> b.inputIds();
            case "attention_mask" -> b.attentionMask();
            case "token_type_ids" -> b.typeIds();
            case "position_ids" -> positions(b.size(), b.seqLen());
            default -> throw new IllegalStateException("bare loop: no feed for input " + e.getKey());
          };
          in.put(e.getKey(), e.getValue() == OnnxJavaType.INT32
              ? OnnxTensor.createTensor(env, IntBuffer.wrap(Arrays.stream(values).mapToInt(Math::toIntExact)
                  .toArray()), shape)
              : OnnxTensor.createTensor(env, LongBuffer.wrap(values), shape));
        }
        try (OrtSession.Result r = session.run(in, Set.of(output))) {
          FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
          float[] copy = new float[fb.remaining()];
          fb.get(copy);
          return copy;
        }
      } finally {
        in.values().forEach(OnnxTensor::close);
      }
    }

    private static long[] positions(int rows, int seqLen) {
      long[] p = new long[rows * seqLen];
      for (int i = 0; i < p.length; i++) {
        p[i] = i % seqLen;
      }
      return p;
    }
  }

  private RerankLatency() {}
}
