package dev.attnir.cli;

import dev.attnir.core.Reranker;
import dev.attnir.indexer.retrieve.RetrievalConfig;
import dev.attnir.indexer.search.Bm25Params;
import dev.attnir.indexer.search.VectorSearch;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options of BM25, vector search and fusion. */
final class RetrievalOptions implements OptionChecks.Checked {

  @Option(names = "--bm25-k1", paramLabel = "K1", defaultValue = "0.9",
      description = "BM25 k1. Default: ${DEFAULT-VALUE} (Anserini).")
  float k1;

  @Option(names = "--bm25-b", paramLabel = "B", defaultValue = "0.4",
      description = "BM25 b. Default: ${DEFAULT-VALUE} (Anserini).")
  float b;

  @Option(names = "--exact", description = "Exact brute-force vector search instead of HNSW.")
  boolean exact;

  @Option(names = "--oversample", paramLabel = "N", defaultValue = "2",
      description = "HNSW: search k*N neighbours and keep the best k. Default: ${DEFAULT-VALUE}.")
  int oversample;

  @Option(names = "--fusion", paramLabel = "rrf|linear", defaultValue = "rrf",
      description = "Hybrid fusion: rrf (reciprocal rank) or linear (min-max normalised scores). "
          + "Default: ${DEFAULT-VALUE}.")
  String fusion;

  @Option(names = "--rrf-k", paramLabel = "K", defaultValue = "60", description = "RRF constant. Default: ${DEFAULT-VALUE}.")
  int rrfK;

  @Option(names = "--dense-weight", paramLabel = "W", defaultValue = "0.5",
      description = "Linear fusion weight of the dense side. Default: ${DEFAULT-VALUE}.")
  double denseWeight;

  @Option(names = "--hybrid-depth", paramLabel = "N", defaultValue = "1000",
      description = "Documents from each side before fusion. Default: ${DEFAULT-VALUE}.")
  int hybridDepth;

  @Mixin
  CommonOptions.Rerank rerank;

  @Override
  public void checkOptions() {
    OptionChecks.nonNegative("--bm25-k1", k1);
    OptionChecks.between("--bm25-b", b, 0, 1);
    OptionChecks.atLeast("--oversample", oversample, 1);
    OptionChecks.atLeast("--rrf-k", rrfK, 0);
    OptionChecks.between("--dense-weight", denseWeight, 0, 1);
    OptionChecks.atLeast("--hybrid-depth", hybridDepth, 1);
  }

  /** The first stage these options describe (no reranker). */
  RetrievalConfig config(RetrievalConfig.Kind kind) {
    VectorSearch vs = exact ? VectorSearch.exhaustive() : VectorSearch.hnsw(oversample);
    return new RetrievalConfig(kind, new Bm25Params(k1, b), vs, fusion, rrfK, denseWeight, hybridDepth, null,
        rerank.depth);
  }

  /** Whether a reranker was asked for (it is created, and an unknown name refused, here). */
  boolean reranks() {
    Reranker probe = rerank.create();
    // the retriever makes its own from the spec; a model-backed probe (a cross-encoder) would hold its ONNX session
    if (probe instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        throw new IllegalStateException("--rerank " + rerank.spec + ": closing the checked reranker failed: "
            + e.getMessage(), e);
      }
    }
    return probe != null;
  }

  /** {@code firstStage} followed by the reranker of {@code --rerank}. */
  RetrievalConfig reranked(RetrievalConfig firstStage) {
    return firstStage.withRerank(rerank.spec, rerank.depth);
  }
}
