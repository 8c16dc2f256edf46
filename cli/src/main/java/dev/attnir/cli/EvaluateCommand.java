package dev.attnir.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.attnir.core.Ranking;
import dev.attnir.core.Retriever;
import dev.attnir.eval.data.BeirDataset;
import dev.attnir.eval.data.CandidateLists;
import dev.attnir.eval.data.CorpusReader;
import dev.attnir.eval.data.TrecRun;
import dev.attnir.eval.metrics.EvaluationResult;
import dev.attnir.eval.metrics.Evaluator;
import dev.attnir.eval.metrics.Metric;
import dev.attnir.eval.metrics.Metrics;
import dev.attnir.eval.metrics.PairedTests;
import dev.attnir.indexer.IndexConfig;
import dev.attnir.indexer.IndexException;
import dev.attnir.indexer.IndexManifest;
import dev.attnir.indexer.Indexer;
import dev.attnir.indexer.PassageIndexWriter;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.elasticsearch.backend.ElasticsearchConnection;
import dev.attnir.elasticsearch.backend.ElasticsearchIndexer;
import dev.attnir.indexer.Searcher;
import dev.attnir.indexer.retrieve.RetrievalConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code attnir evaluate}: BEIR directory to index, runs and metrics. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Evaluate retrieval on a BEIR dataset: build (or reuse) the index, run every retriever over the "
        + "split's queries, score with trec_eval-exact metrics, and test each retriever against the first.")
final class EvaluateCommand implements Callable<Integer> {

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--beir", paramLabel = "DIR",
      description = "BEIR dataset directory (corpus.jsonl, queries.jsonl, qrels/<split>.tsv). Required unless "
          + "--candidates is given.")
  Path beir;

  @Option(names = "--candidates", paramLabel = "FILE",
      description = "Evaluate a fixed first stage instead of a BEIR directory: JSONL, one line per query "
          + "{\"qid\",\"query\",\"candidates\":[{\"docid\",\"rank\",\"score\",\"text\"}]} (the TREC DL "
          + "reranking lists). The lists are scored as given, and reranked with --rerank. Needs --qrels.")
  Path candidates;

  @Option(names = "--qrels", paramLabel = "FILE",
      description = "Judgments for --candidates: TREC qrels (qid iter docno grade; graded gains) or BEIR TSV.")
  Path qrelsFile;

  @Option(names = "--split", defaultValue = "test", description = "Qrels split. Default: ${DEFAULT-VALUE}.")
  String split;

  @Option(names = "--output", paramLabel = "DIR",
      description = "Where runs, metrics and the index go. Default: runs/<dataset>-<model>-<pooling>-<passages>.")
  Path output;

  @Option(names = "--index", paramLabel = "DIR|NAME", description = "Index directory (default: <output>/index), or "
      + "with --backend the Elasticsearch index name (required then).")
  Path index;

  @Mixin
  BackendOptions backend;

  @Mixin
  ElasticsearchIndexSettings esIndex;

  @Option(names = "--overwrite", description = "Rebuild the index even if a compatible one exists.")
  boolean overwrite;

  @Option(names = "--retriever", paramLabel = "LIST", defaultValue = "bm25,dense,hybrid", split = ",",
      description = "Retrievers to run, comma-separated; the first is the baseline of the significance tests. "
          + "Default: ${DEFAULT-VALUE} (bm25 only with --model none).")
  List<String> retrievers;

  @Option(names = {"-k", "--hits"}, paramLabel = "K", defaultValue = "1000",
      description = "Documents retrieved per query. Default: ${DEFAULT-VALUE}.")
  int k;

  @Option(names = "--metrics", paramLabel = "LIST",
      description = "Comma-separated metrics. Default: nDCG@10, R@100, R@1000, MRR@10, MAP, P@10.")
  String metrics;

  @Mixin
  CommonOptions.Averaging averaging;

  @Mixin
  CommonOptions.Significance significance;

  @Mixin
  CommonOptions.InvalidDocuments invalid;

  @Mixin
  ModelOptions model;

  @Mixin
  PassageOptions passages;

  @Mixin
  RetrievalOptions retrieval;

  @Mixin
  CommonOptions.Verify verify;

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (k < 1) {
      throw new IllegalArgumentException("-k/--hits must be at least 1 (documents retrieved per query), got " + k);
    }
    if (candidates != null || qrelsFile != null) {
      refuseIndexOptionsWithCandidates();
      return evaluateCandidates(out);
    }
    if (beir == null) {
      throw new IllegalArgumentException("evaluate needs --beir DIR (a BEIR dataset) or --candidates FILE with "
          + "--qrels FILE (a fixed first stage)");
    }
    BeirDataset ds = BeirDataset.open(beir, split);
    List<Metric> ms = metrics == null ? Metrics.defaults() : Metrics.parseList(metrics);
    Evaluator.Averaging avg = averaging.value();
    CorpusReader.InvalidPolicy policy = invalid.policy();
    List<RetrievalConfig> configs = new ArrayList<>();
    for (String r : retrievers) {
      RetrievalConfig.Kind kind = RetrievalConfig.Kind.parse(r);
      if (model.none() && kind != RetrievalConfig.Kind.BM25) {
        if (spec.commandLine().getParseResult().matchedOption("--retriever") != null) {
          throw new IllegalArgumentException(kind.label() + " retrieval needs a model; --model none builds BM25 only");
        }
        continue;
      }
      configs.add(retrieval.config(kind));
    }
    if (retrieval.reranks()) {
      // each first stage, then the same first stage reranked, so the tests compare them too
      List<RetrievalConfig> withReranked = new ArrayList<>();
      for (RetrievalConfig c : configs) {
        withReranked.add(c);
        withReranked.add(retrieval.reranked(c));
      }
      configs = withReranked;
    }
    IndexConfig indexConfig = model.indexConfig(passages, overwrite, 2048, 0);
    PassageSettings settings = indexConfig.passages();
    String datasetName = ds.dir().toAbsolutePath().normalize().getFileName().toString();
    String poolingLabel = model.none() ? "bm25only" : model.spec().name() + "-"
        + (model.pooling == null ? model.spec().pooling() : model.pooling.replace(':', '_').replace(',', '_'));
    Path outDir = output != null ? output : Path.of("runs", datasetName + "-" + poolingLabel + "-"
        + settings.mode().name().toLowerCase(Locale.ROOT)
        + (settings.mode() == PassageSettings.Mode.WINDOW ? settings.length() + "s" + settings.stride() : ""));
    Path indexDir = index != null ? index : outDir.resolve("index");
    Files.createDirectories(outDir);
    out.println("Dataset " + ds.dir() + " (" + split + "): " + ds.queries().size() + " judged queries, "
        + ds.qrels().size() + " judgments");
    out.println("Lucene SIMD vectors: " + SimdStatus.describe());
    out.flush();

    // before any index is built or reused: refuse a corpus every query would score 0 on
    CorpusCheck corpus = CorpusCheck.scan(ds, policy);
    corpus.requireDocuments();
    corpus.checkJudgments(err);

    Map<String, Object> summary = new LinkedHashMap<>();
    IndexManifest manifest = backend.elasticsearch()
        ? prepareElasticsearchIndex(ds, policy, corpus, indexConfig, out, summary)
        : prepareIndex(ds, policy, corpus, indexDir, indexConfig, out, summary);
    QueryTermCheck.warn(ds.queries(), manifest.analyzer(), configs, err);

    Map<String, EvaluationResult> results = new LinkedHashMap<>();
    Map<String, Object> retrieverSummaries = new LinkedHashMap<>();
    try (StagedResults staged = new StagedResults(outDir)) {
      try (Searcher searcher = backend.openSearcher(backend.elasticsearch() ? index : indexDir,
          model.modelDirectory(), model.encoderOptions(), verify.checksums())) {
        for (RetrievalConfig config : configs) {
          String label = config.label();
          Retriever r = searcher.retriever(config);
          long start = System.nanoTime();
          Map<String, Ranking> ranked;
          try (Progress progress = new Progress("Retrieving " + label, ds.queries().size(), "queries")) {
            ranked = r.retrieveAll(ds.queries(), k, progress);
          }
          if (ranked.values().stream().allMatch(Ranking::isEmpty)) {
            throw new IllegalArgumentException("retriever " + label + " returned no documents for any of the "
                + ds.queries().size() + " queries; no results were written (those of earlier runs in " + outDir
                + " are kept)");
          }
          double seconds = (System.nanoTime() - start) / 1e9;
          TrecRun run = TrecRun.fromRankings(ranked);
          String runName = "run." + label + ".trec";
          Path runFile = staged.destination(runName);
          run.write(staged.stage(runName), r.name());
          EvaluationResult result = Evaluator.evaluate(run, ds.qrels(), ms, avg);
          results.put(label, result);
          writePerQuery(staged.stage("metrics." + label + ".json"), ds, label, config, result, seconds, runFile);
          Map<String, Object> s = new LinkedHashMap<>();
          s.put("config", config.describe());
          s.put("run", runFile.toString());
          s.put("seconds", seconds);
          s.put("means", result.means());
          retrieverSummaries.put(label, s);
        }
      }
      printTable(out, ms, results);
      Map<String, Object> comparisons = compare(out, ms, results);
      summary.put("dataset", ds.dir().toString());
      summary.put("split", split);
      summary.put("queries", ds.queries().size());
      summary.put("averaging", avg.name());
      summary.put("k", k);
      summary.put("manifest", manifest);
      summary.put("retrievers", retrieverSummaries);
      summary.put("comparisons", comparisons);
      summary.put("simd", SimdStatus.describe());
      summary.put("machine", Map.of("cores", Runtime.getRuntime().availableProcessors(),
          "java", System.getProperty("java.vm.name") + " " + Runtime.version()));
      // summary.json last: it describes the runs, so it is published after them
      JSON.writeValue(staged.stage("summary.json").toFile(), summary);
      staged.publish();
    }
    out.println("Wrote runs and metrics to " + outDir);
    out.flush();
    return 0;
  }

  /**
   * A fixed first stage builds no index and runs no retriever, so options that configure those would be silently
   * ignored: they are refused, named.
   */
  private void refuseIndexOptionsWithCandidates() {
    List<String> ignored = new ArrayList<>();
    for (picocli.CommandLine.Model.OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
      String name = o.longestName();
      boolean applies = List.of("--candidates", "--qrels", "--output", "--metrics", "--averaging", "--permutations",
          "--seed", "--rerank", "--rerank-depth", "--hits", "-k", "--beir").contains(name);
      if (!applies && !ignored.contains(name)) {
        ignored.add(name);
      }
    }
    if (!ignored.isEmpty()) {
      throw new IllegalArgumentException("with --candidates the first stage is the file's lists, so no index is built "
          + "and no retriever runs; " + String.join(", ", ignored) + (ignored.size() == 1 ? " does" : " do")
          + " not apply");
    }
  }

  /**
   * {@code --candidates FILE --qrels FILE}: scores a fixed first stage as given ({@link CandidateLists}) and, with
   * {@code --rerank}, the same lists with their top {@code --rerank-depth} reranked; writes runs, per-query metrics and
   * a summary like a BEIR evaluation. No index is built: the candidates carry their text.
   */
  private Integer evaluateCandidates(PrintWriter out) throws IOException {
    if (beir != null) {
      throw new IllegalArgumentException("--beir and --candidates are alternatives: give one");
    }
    if (candidates == null || qrelsFile == null) {
      throw new IllegalArgumentException(candidates == null ? "--qrels is for --candidates; give --candidates FILE "
          + "(or --beir DIR, whose qrels are in the directory)" : "--candidates " + candidates + " needs --qrels FILE");
    }
    CandidateLists lists = CandidateLists.read(candidates);
    dev.attnir.eval.data.Qrels qrels = dev.attnir.eval.data.Qrels.read(qrelsFile);
    List<Metric> ms = metrics == null ? Metrics.defaults() : Metrics.parseList(metrics);
    Evaluator.Averaging avg = averaging.value();
    String stem = candidates.getFileName().toString().replaceFirst("\\.jsonl$", "");
    Path outDir = output != null ? output : Path.of("runs", stem);
    Files.createDirectories(outDir);
    out.println("Candidates " + candidates + ": " + lists.queries().size() + " queries, "
        + lists.candidates().values().stream().mapToInt(List::size).sum() + " candidates; qrels " + qrelsFile + ": "
        + qrels.queries().size() + " judged queries, " + qrels.size() + " judgments");
    out.flush();
    Map<String, Map<String, Ranking>> runs = new LinkedHashMap<>();
    runs.put(stem, CandidateReranking.firstStage(lists, k));
    dev.attnir.core.Reranker reranker = retrieval.rerank.create();
    String rerankLabel = null;
    if (reranker != null) {
      rerankLabel = stem + "+" + retrieval.rerank.spec.replaceAll("[^A-Za-z0-9_.=-]+", "_");
      try (Progress progress = new Progress("Reranking " + stem, lists.queries().size(), "queries")) {
        runs.put(rerankLabel, CandidateReranking.reranked(lists, reranker, retrieval.rerank.depth, k, progress));
      } finally {
        if (reranker instanceof AutoCloseable c) {
          try {
            c.close();
          } catch (Exception e) {
            throw new IllegalStateException("closing reranker " + reranker.name() + ": " + e.getMessage(), e);
          }
        }
      }
    }
    Map<String, EvaluationResult> results = new LinkedHashMap<>();
    Map<String, Object> summaries = new LinkedHashMap<>();
    try (StagedResults staged = new StagedResults(outDir)) {
      for (Map.Entry<String, Map<String, Ranking>> e : runs.entrySet()) {
        String label = e.getKey();
        TrecRun run = TrecRun.fromRankings(e.getValue());
        String runName = "run." + label + ".trec";
        run.write(staged.stage(runName), label);
        EvaluationResult result = Evaluator.evaluate(run, qrels, ms, avg);
        results.put(label, result);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("run", staged.destination(runName).toString());
        s.put("reranker", label.equals(stem) ? null : retrieval.rerank.spec);
        s.put("rerankDepth", label.equals(stem) ? null : retrieval.rerank.depth);
        s.put("means", result.means());
        Map<String, Map<String, Double>> perQuery = new LinkedHashMap<>();
        for (String q : result.queries()) {
          Map<String, Double> v = new LinkedHashMap<>();
          for (Metric m : result.metrics()) {
            v.put(m.name(), result.value(m.name(), q));
          }
          perQuery.put(q, v);
        }
        Map<String, Object> perQueryJson = new LinkedHashMap<>(s);
        perQueryJson.put("perQuery", perQuery);
        JSON.writeValue(staged.stage("metrics." + label + ".json").toFile(), perQueryJson);
        summaries.put(label, s);
      }
      printTable(out, ms, results);
      Map<String, Object> comparisons = compare(out, ms, results);
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("candidates", candidates.toString());
      summary.put("qrels", qrelsFile.toString());
      summary.put("averaging", avg.name());
      summary.put("k", k);
      summary.put("runs", summaries);
      summary.put("comparisons", comparisons);
      JSON.writeValue(staged.stage("summary.json").toFile(), summary);
      staged.publish();
    }
    out.println("Wrote runs and metrics to " + outDir);
    out.flush();
    return 0;
  }

  /**
   * Reuses an index built the same way from exactly this corpus (same document count and {@code CorpusFingerprint}),
   * or builds one. Opening the indexer checks the build settings (refusing, with the differences, an index built
   * otherwise); an index whose documents differ, or that records no fingerprint, is refused too. A reused index is not
   * touched.
   */
  /**
   * The Elasticsearch index {@code --index} names: reused when it was built the same way from the same corpus,
   * built when missing (or with {@code --overwrite}), refused otherwise.
   */
  private IndexManifest prepareElasticsearchIndex(BeirDataset ds, CorpusReader.InvalidPolicy policy,
      CorpusCheck corpus, IndexConfig indexConfig, PrintWriter out, Map<String, Object> summary) {
    if (index == null) {
      throw new IllegalArgumentException("--backend needs --index NAME (the Elasticsearch index to build or reuse)");
    }
    String name = BackendOptions.indexName(index);
    try (ElasticsearchConnection connection = backend.connect();
        ElasticsearchIndexer indexer = ElasticsearchIndexer.create(connection, name, indexConfig, esIndex.options(),
            () -> CorpusReader.stream(ds.corpus(), policy), dev.attnir.core.ProgressListener.none())) {
      IndexManifest existing = indexer.manifest();
      if (!overwrite && existing.documents() > 0) {
        String mismatch = corpus.mismatch(existing, Path.of(indexer.where()));
        if (mismatch != null) {
          throw new IndexException(IndexException.Reason.INCOMPATIBLE, mismatch);
        }
        out.printf(Locale.ROOT, "Reusing %s (%,d documents, %,d passages, built the same way from the same "
            + "corpus)%n", indexer.where(), existing.documents(), existing.passageCount());
        summary.put("index", Map.of("elasticsearch", indexer.where(), "reused", true));
        return existing;
      }
      long lines = IndexCommand.countLines(ds.corpus());
      IndexManifest m;
      try (CorpusReader reader = new CorpusReader(ds.corpus(), policy);
          Progress progress = new Progress("Indexing", lines, "passages")) {
        m = indexer.addAllAndCommit(reader.stream(), progress);
      }
      out.printf(Locale.ROOT, "Indexed %,d documents (%,d passages) into %s in %.1f s%n", m.documents(),
          m.passageCount(), indexer.where(), indexer.seconds());
      Map<String, Object> idx = new LinkedHashMap<>();
      idx.put("elasticsearch", indexer.where());
      idx.put("reused", false);
      idx.put("seconds", indexer.seconds());
      idx.put("encoding", indexer.encoding());
      summary.put("index", idx);
      return m;
    }
  }

  private IndexManifest prepareIndex(BeirDataset ds, CorpusReader.InvalidPolicy policy, CorpusCheck corpus,
      Path indexDir, IndexConfig indexConfig, PrintWriter out, Map<String, Object> summary) {
    boolean existing = !overwrite && PassageIndexWriter.indexExists(indexDir);
    boolean created = !Files.exists(indexDir);
    Indexer indexer;
    try {
      indexer = model.openIndexer(indexDir, indexConfig, () -> CorpusReader.stream(ds.corpus(), policy));
    } catch (IndexException e) {
      if (e.reason() == IndexException.Reason.INCOMPATIBLE && existing) {
        throw new IndexException(IndexException.Reason.INCOMPATIBLE, e.getMessage() + " Pass --overwrite to "
            + "rebuild it or --index for another directory.", e);
      }
      throw e;
    }
    if (existing) {
      IndexManifest m = indexer.manifest();
      indexer.rollback();
      String mismatch = corpus.mismatch(m, indexDir);
      if (mismatch == null) {
        out.printf(Locale.ROOT, "Reusing index at %s (%,d documents, %,d passages, built the same way from the same "
            + "corpus)%n", indexDir, m.documents(), m.passageCount());
        summary.put("index", Map.of("path", indexDir.toString(), "reused", true));
        return m;
      }
      throw new IndexException(IndexException.Reason.INCOMPATIBLE, mismatch);
    }
    long lines = IndexCommand.countLines(ds.corpus());
    Indexer.Report report;
    IndexManifest m;
    CorpusReader reader = new CorpusReader(ds.corpus(), policy);
    m = IndexCommand.build(indexer, reader, lines, false, created);
    report = indexer.report();
    IndexCommand.printSummary(out, report, m, reader);
    Map<String, Object> idx = new LinkedHashMap<>();
    idx.put("path", indexDir.toString());
    idx.put("reused", false);
    idx.put("seconds", report.seconds());
    idx.put("encoding", report.encoding());
    idx.put("documentsSplit", report.documentsSplit());
    idx.put("skipped", reader.skipped());
    summary.put("index", idx);
    return m;
  }

  private static void writePerQuery(Path file, BeirDataset ds, String label, RetrievalConfig config,
      EvaluationResult result, double seconds, Path runFile) throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("dataset", ds.dir().toString());
    json.put("split", ds.split());
    json.put("retriever", label);
    json.put("config", config.describe());
    json.put("run", runFile.toString());
    json.put("averaging", result.averaging().name());
    json.put("queries", result.queries().size());
    json.put("seconds", seconds);
    json.put("means", result.means());
    Map<String, Map<String, Double>> perQuery = new LinkedHashMap<>();
    for (String q : result.queries()) {
      Map<String, Double> v = new LinkedHashMap<>();
      for (Metric m : result.metrics()) {
        v.put(m.name(), result.value(m.name(), q));
      }
      perQuery.put(q, v);
    }
    json.put("perQuery", perQuery);
    JSON.writeValue(file.toFile(), json);
  }

  private static void printTable(PrintWriter out, List<Metric> ms, Map<String, EvaluationResult> results) {
    int width = Math.max(10, results.keySet().stream().mapToInt(String::length).max().orElse(0));
    out.printf(Locale.ROOT, "%n%-" + width + "s", "retriever");
    for (Metric m : ms) {
      out.printf(Locale.ROOT, " %9s", m.name());
    }
    out.println();
    for (var e : results.entrySet()) {
      out.printf(Locale.ROOT, "%-" + width + "s", e.getKey());
      for (Metric m : ms) {
        out.printf(Locale.ROOT, " %9.4f", e.getValue().mean(m.name()));
      }
      out.println();
    }
  }

  private Map<String, Object> compare(PrintWriter out, List<Metric> ms, Map<String, EvaluationResult> results) {
    Map<String, Object> all = new LinkedHashMap<>();
    if (results.size() < 2) {
      return all;
    }
    var it = results.entrySet().iterator();
    var base = it.next();
    out.printf(Locale.ROOT, "%nPaired tests against %s (randomization, %d permutations; t-test):%n", base.getKey(),
        significance.permutations);
    while (it.hasNext()) {
      var other = it.next();
      Map<String, Object> perMetric = new LinkedHashMap<>();
      for (Metric m : ms) {
        PairedTests.Comparison c = PairedTests.compare(base.getValue().perQuery().get(m.name()),
            other.getValue().perQuery().get(m.name()), significance.permutations, significance.seed);
        perMetric.put(m.name(), c);
        if (m == ms.get(0) || m.name().equals("R@100")) {
          out.printf(Locale.ROOT, "  %-8s %-8s %+.4f  p=%.4g (t-test p=%.4g)%n", other.getKey(), m.name(),
              c.difference(), c.randomizationP(), c.tTestP());
        }
      }
      all.put(other.getKey() + " vs " + base.getKey(), perMetric);
    }
    return all;
  }
}
