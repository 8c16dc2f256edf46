package dev.attnir.indexer.retrieve;

import dev.attnir.core.Rerankers;
import dev.attnir.core.Retriever;
import dev.attnir.encoders.QueryEmbedder;
import dev.attnir.indexer.IndexException;
import dev.attnir.indexer.retrieve.Bm25Retriever;
import dev.attnir.indexer.retrieve.DenseRetriever;
import dev.attnir.indexer.retrieve.Fusion;
import dev.attnir.indexer.retrieve.HybridRetriever;
import dev.attnir.indexer.retrieve.LinearFusion;
import dev.attnir.indexer.retrieve.ReciprocalRankFusion;
import dev.attnir.indexer.search.Bm25Params;
import dev.attnir.indexer.search.SearchBackend;
import dev.attnir.indexer.search.VectorSearch;
import java.util.Locale;

/**
 * Typed retrieval configuration, validated on construction, and the factory of the retriever it describes.
 *
 * @param kind bm25, dense or hybrid
 * @param bm25 BM25 parameters
 * @param vectorSearch HNSW (with oversampling) or exact
 * @param fusion rrf or linear (hybrid only)
 * @param rrfK RRF rank constant
 * @param denseWeight weight of the dense side in linear fusion
 * @param hybridDepth documents taken from each side before fusion
 * @param rerank a reranker spec ({@code name[:key=value,...]}, see {@link Rerankers}) applied to the first stage's top
 *     {@code rerankDepth} documents, or null for none
 * @param rerankDepth documents reranked per query
 */
public record RetrievalConfig(Kind kind, Bm25Params bm25, VectorSearch vectorSearch, String fusion, int rrfK,
    double denseWeight, int hybridDepth, String rerank, int rerankDepth) {

  /** Retrieval method. */
  public enum Kind {
    BM25,
    DENSE,
    HYBRID;

    /** Parses bm25, dense or hybrid. */
    public static Kind parse(String s) {
      return switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "bm25", "lexical" -> BM25;
        case "dense", "knn" -> DENSE;
        case "hybrid" -> HYBRID;
        default -> throw new IllegalArgumentException("unknown retriever '" + s + "'; known: bm25, dense, hybrid");
      };
    }

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public RetrievalConfig {
    String f = fusion.trim().toLowerCase(Locale.ROOT);
    if (!f.equals("rrf") && !f.equals("linear")) {
      throw new IllegalArgumentException("unknown fusion '" + fusion + "'; known: rrf, linear");
    }
    fusion = f;
    if (hybridDepth < 1) {
      throw new IllegalArgumentException("hybrid depth must be >= 1, got " + hybridDepth);
    }
    if (!(denseWeight >= 0 && denseWeight <= 1)) {
      throw new IllegalArgumentException("dense weight must be in [0, 1], got " + denseWeight);
    }
    if (rerankDepth < 1) {
      throw new IllegalArgumentException("rerank depth must be >= 1, got " + rerankDepth);
    }
  }

  /**
   * A retrieval method with the defaults: BM25 k1 = 0.9, b = 0.4 (Anserini's), HNSW with 2x oversampling, RRF with
   * k = 60, hybrid depth 1000, no reranker (depth 100 when one is set).
   */
  public static RetrievalConfig defaults(Kind kind) {
    return new RetrievalConfig(kind, Bm25Params.anserini(), VectorSearch.hnsw(2), "rrf", 60, 0.5, 1000, null, 100);
  }

  /** The same configuration with another hybrid depth. */
  public RetrievalConfig withHybridDepth(int depth) {
    return new RetrievalConfig(kind, bm25, vectorSearch, fusion, rrfK, denseWeight, depth, rerank, rerankDepth);
  }

  /** The same first stage followed by a reranker (a spec for {@link Rerankers#create}) over its top {@code depth}. */
  public RetrievalConfig withRerank(String spec, int depth) {
    return new RetrievalConfig(kind, bm25, vectorSearch, fusion, rrfK, denseWeight, hybridDepth, spec, depth);
  }

  /** The same configuration without a reranker. */
  public RetrievalConfig firstStage() {
    return new RetrievalConfig(kind, bm25, vectorSearch, fusion, rrfK, denseWeight, hybridDepth, null, rerankDepth);
  }

  /** The same configuration for another retrieval method. */
  public RetrievalConfig withKind(Kind k) {
    return new RetrievalConfig(k, bm25, vectorSearch, fusion, rrfK, denseWeight, hybridDepth, rerank, rerankDepth);
  }

  /** The fusion this configuration names. */
  public Fusion fusionStrategy() {
    return fusion.equals("rrf") ? new ReciprocalRankFusion(rrfK) : LinearFusion.lexicalDense(denseWeight);
  }

  /**
   * Builds the retriever.
   *
   * @param embedder query embedder (dense and hybrid); null for BM25
   * @throws IndexException when dense retrieval is asked of an index without vectors or with another embedding
   * @throws IllegalArgumentException for an unknown reranker
   */
  public Retriever create(SearchBackend backend, QueryEmbedder embedder) {
    Retriever first = createFirstStage(backend, embedder);
    return rerank == null ? first : new RerankingRetriever(first, backend, Rerankers.create(rerank), rerankDepth);
  }

  private Retriever createFirstStage(SearchBackend backend, QueryEmbedder embedder) {
    Bm25Retriever lexical = new Bm25Retriever(backend, bm25);
    if (kind == Kind.BM25) {
      return lexical;
    }
    if (embedder == null) {
      throw new IndexException(IndexException.Reason.INCOMPATIBLE, kind.label()
          + " retrieval needs an index built with a model; this index has no vectors");
    }
    DenseRetriever dense = new DenseRetriever(backend, embedder, vectorSearch);
    if (kind == Kind.DENSE) {
      return dense;
    }
    return new HybridRetriever(lexical, dense, fusionStrategy(), hybridDepth);
  }

  /** A short description for reports, e.g. {@code dense (hnsw x4)}. */
  public String describe() {
    String vs = vectorSearch.exact() ? "exact" : "hnsw x" + vectorSearch.oversample();
    String first = switch (kind) {
      case BM25 -> "bm25 (k1=" + bm25.k1() + ", b=" + bm25.b() + ")";
      case DENSE -> "dense (" + vs + ")";
      case HYBRID -> "hybrid (" + fusionStrategy().name() + ", depth " + hybridDepth + ", " + vs + ", bm25 k1="
          + bm25.k1() + " b=" + bm25.b() + ")";
    };
    return rerank == null ? first : first + ", top " + rerankDepth + " reranked by " + rerank;
  }

  /** The label of runs and reports: the method, plus the reranker's name when there is one (e.g. bm25+monobert). */
  public String label() {
    return rerank == null ? kind.label() : kind.label() + "+" + rerank.replaceAll("[^A-Za-z0-9_.=-]+", "_");
  }
}
