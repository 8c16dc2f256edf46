package dev.attnir.cli;

import dev.attnir.core.Ranking;
import dev.attnir.core.Retriever;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.eval.data.Queries;
import dev.attnir.eval.data.TrecRun;
import dev.attnir.indexer.SearchHit;
import dev.attnir.indexer.Searcher;
import dev.attnir.indexer.retrieve.RetrievalConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code attnir search}: query an index. */
@Command(name = "search", mixinStandardHelpOptions = true,
    description = "Search an index with BM25, dense or hybrid retrieval. The query embedder is rebuilt from the "
        + "index's manifest (model, pooling, prefixes, max length); a mismatch is refused.")
final class SearchCommand implements Callable<Integer>, OptionChecks.Checked {

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--index", required = true, paramLabel = "DIR|NAME",
      description = "Index directory, or with --backend the Elasticsearch index name.")
  Path index;

  @Mixin
  BackendOptions backend;

  static final class QueryInput {
    @Option(names = "--query", paramLabel = "TEXT", description = "One query.")
    String query;

    @Option(names = "--queries", paramLabel = "FILE", description = "queries.jsonl or id<TAB>text TSV.")
    Path queries;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  QueryInput input;

  @Option(names = "--retriever", paramLabel = "bm25|dense|hybrid", defaultValue = "hybrid",
      description = "Retrieval method. Default: ${DEFAULT-VALUE} (bm25 for an index without vectors).")
  String retriever;

  @Option(names = {"-k", "--hits"}, paramLabel = "K", defaultValue = "10", description = "Documents per query. "
      + "Default: ${DEFAULT-VALUE}.")
  int k;

  @Option(names = "--run", paramLabel = "FILE", description = "Write a TREC run file.")
  Path run;

  @Option(names = "--show-text", description = "Print each hit's best passage.")
  boolean showText;

  @Option(names = "--model", paramLabel = "DIR", description = "Model directory, when the index was built with a "
      + "local model (built-in models are found by name).")
  String modelOverride;

  @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime threads, all in one run at a time. Default: one run on every core (queries are single short batches).")
  Integer threads;

  @Mixin
  RetrievalOptions retrieval;

  @Mixin
  CommonOptions.Verify verify;

  @Override
  public void checkOptions() {
    OptionChecks.atLeast("-k", k, 1);
    if (retrieval.rerank.spec != null && retrieval.rerank.depth < k) {
      throw new IllegalArgumentException("--rerank-depth " + retrieval.rerank.depth + " is less than -k " + k
          + ": the hits below rank " + retrieval.rerank.depth + " would not be reranked; rerank at least k documents");
    }
    if (threads != null) {
      OptionChecks.atLeast("--threads", threads, 1);
    }
    if (modelOverride != null) {
      try {
        ModelRegistry.resolve(modelOverride); // names and files only: an unusable model is named before searching
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--model " + modelOverride + ": " + e.getMessage(), e);
      }
    }
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Map<String, String> queries = new LinkedHashMap<>();
    if (input.query != null) {
      queries.put("1", input.query);
    } else {
      queries.putAll(Queries.read(input.queries));
    }
    EncoderOptions options = threads == null ? EncoderOptions.forQueries()
        : EncoderOptions.defaults().withIntraOpThreads(threads);
    try (Searcher searcher = backend.openSearcher(index, modelOverride, options, verify.checksums())) {
      RetrievalConfig.Kind kind = RetrievalConfig.Kind.parse(retriever);
      boolean explicit = spec.commandLine().getParseResult().matchedOption("--retriever") != null;
      if (!searcher.manifest().hasVectors() && kind != RetrievalConfig.Kind.BM25 && !explicit) {
        kind = RetrievalConfig.Kind.BM25; // the default on an index without vectors
      }
      RetrievalConfig config = retrieval.config(kind);
      if (retrieval.reranks()) {
        config = retrieval.reranked(config);
      }
      // BM25 loads no encoder: it keeps working when the dense side cannot be restored
      Retriever r = searcher.retriever(config);
      Map<String, Ranking> results;
      try (Progress progress = new Progress("Searching", queries.size(), "queries")) {
        results = r.retrieveAll(queries, k, progress);
      }
      if (run != null) {
        TrecRun.fromRankings(results).write(run, r.name());
        out.println("Wrote " + run);
      }
      if (queries.size() <= 20 || run == null) {
        for (var e : results.entrySet()) {
          out.println("query " + e.getKey() + ": " + queries.get(e.getKey()));
          for (SearchHit h : searcher.hits(e.getValue())) {
            out.printf(Locale.ROOT, "%3d  %-20s %10.6f  passage %d%n", h.rank(), h.docId(), h.score(), h.passage());
            if (showText) {
              out.println("     [" + h.start() + "-" + h.end() + "] " + h.text());
            }
          }
        }
      }
    }
    out.flush();
    return 0;
  }
}
