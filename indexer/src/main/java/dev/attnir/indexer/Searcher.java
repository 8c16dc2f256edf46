package dev.attnir.indexer;

import dev.attnir.core.Ranking;
import dev.attnir.core.Reranker;
import dev.attnir.core.Retriever;
import dev.attnir.core.ScoredDoc;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.QueryEmbedder;
import dev.attnir.indexer.embedding.EmbedderFactory;
import dev.attnir.indexer.retrieve.RerankingRetriever;
import dev.attnir.indexer.retrieve.RetrievalConfig;
import dev.attnir.indexer.search.LuceneSearchBackend;
import dev.attnir.indexer.search.PassageRef;
import dev.attnir.indexer.search.SearchBackend;
import dev.attnir.indexer.search.StoredPassage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Searches an index: the library's entry point for retrieval. The query embedder is restored from the index's
 * manifest (model, weights digest, pooling with any fitted or trained state, prefixes, max length), so queries are
 * embedded exactly as the passages were; it is loaded on first dense use, so BM25 works even where the model is not
 * available.
 *
 * <pre>{@code
 * try (Searcher searcher = Searcher.open(Path.of("my-index"))) {
 *   for (SearchHit hit : searcher.search("what is in the body?", 10)) { ... }
 * }
 * }</pre>
 *
 * <p>{@link #search} is hybrid (reciprocal rank fusion of BM25 and HNSW dense retrieval, each side's top
 * {@code max(k, 100)}) on an index with vectors and BM25 otherwise; {@link #bm25} and {@link #dense} choose one;
 * {@link #retriever(RetrievalConfig)} builds any configured retriever, reranking included, over this index.
 */
public final class Searcher implements AutoCloseable {

  /** Documents each side of the default hybrid contributes at least. */
  static final int HYBRID_DEPTH = 100;

  private final SearchBackend backend;
  /** How messages name the index. */
  private final String where;
  private final String modelOverride;
  private final EncoderOptions encoderOptions;
  private Embedder embedder;
  /** Query vectors from elsewhere (the cluster), or null to load the index's embedder here. */
  private final QueryEmbedder supplied;

  private Searcher(SearchBackend backend, String where, String modelOverride, EncoderOptions encoderOptions,
      QueryEmbedder supplied) {
    this.backend = backend;
    this.where = where;
    this.modelOverride = modelOverride;
    this.encoderOptions = encoderOptions;
    this.supplied = supplied;
  }

  /**
   * Opens the index at {@code path}, verifying the checksum of every index file first.
   *
   * @throws IndexException when there is no index, it is corrupt, or it has no attnir manifest
   */
  public static Searcher open(Path path) {
    return open(path, null, EncoderOptions.forQueries());
  }

  /**
   * Opens the index at {@code path}, verifying the checksum of every index file first.
   *
   * @param modelOverride a model directory, for an index built with a local model (built-in models are found by the
   *     name the manifest records); null otherwise
   * @param encoderOptions the query encoder's runtime options
   * @throws IndexException when there is no index, it is corrupt, or it has no attnir manifest
   */
  public static Searcher open(Path path, String modelOverride, EncoderOptions encoderOptions) {
    return open(path, modelOverride, encoderOptions, true);
  }

  /**
   * Opens the index at {@code path}.
   *
   * @param modelOverride a model directory, for an index built with a local model (built-in models are found by the
   *     name the manifest records); null otherwise
   * @param encoderOptions the query encoder's runtime options
   * @param verifyChecksums read every index file once and check its checksum, so a damaged index is refused instead
   *     of giving wrong results; turn it off only to open a large, trusted index faster
   * @throws IndexException when there is no index, it is corrupt, or it has no attnir manifest
   */
  public static Searcher open(Path path, String modelOverride, EncoderOptions encoderOptions,
      boolean verifyChecksums) {
    LuceneSearchBackend lucene = LuceneSearchBackend.open(path, verifyChecksums);
    return new Searcher(lucene, lucene.where(), modelOverride, encoderOptions, null);
  }

  /**
   * Searches any backend (an Elasticsearch index, say); the searcher closes it.
   *
   * @param where how messages name the index
   * @param modelOverride a model directory, for an index built with a local model; null otherwise
   * @param encoderOptions the query encoder's runtime options
   */
  public static Searcher over(SearchBackend backend, String where, String modelOverride,
      EncoderOptions encoderOptions) {
    return new Searcher(backend, where, modelOverride, encoderOptions, null);
  }

  /**
   * Searches any backend with query vectors computed elsewhere (by the cluster: the Elasticsearch plugin's
   * {@code _attnir/embed}), so no model is loaded here; dense retrieval still checks {@code queryEmbedder}'s identity
   * against the index's. The searcher closes the backend.
   */
  public static Searcher over(SearchBackend backend, String where, QueryEmbedder queryEmbedder) {
    return new Searcher(backend, where, null, EncoderOptions.forQueries(), queryEmbedder);
  }

  public IndexManifest manifest() {
    return backend.manifest();
  }

  public SearchBackend backend() {
    return backend;
  }

  /**
   * The query embedder, restored from the manifest and loaded on first use; null for an index without vectors.
   *
   * @throws IndexException when the model or the pooling state the index records cannot be restored
   * @throws IllegalArgumentException when the model given to {@link #open} is unknown or its directory incomplete
   */
  public synchronized Embedder embedder() {
    if (embedder == null && backend.manifest().hasVectors()) {
      embedder = EmbedderFactory.forIndex(backend, modelOverride, encoderOptions);
    }
    return embedder;
  }

  /** Hybrid retrieval on an index with vectors, BM25 otherwise. */
  public List<SearchHit> search(String query, int k) {
    RetrievalConfig.Kind kind = manifest().hasVectors() ? RetrievalConfig.Kind.HYBRID : RetrievalConfig.Kind.BM25;
    return search(retriever(RetrievalConfig.defaults(kind).withHybridDepth(Math.max(k, HYBRID_DEPTH))), query, k);
  }

  /** BM25 with Anserini's parameters. */
  public List<SearchHit> bm25(String query, int k) {
    return search(retriever(RetrievalConfig.defaults(RetrievalConfig.Kind.BM25)), query, k);
  }

  /**
   * Dense retrieval (HNSW).
   *
   * @throws IndexException when the index has no vectors
   */
  public List<SearchHit> dense(String query, int k) {
    return search(retriever(RetrievalConfig.defaults(RetrievalConfig.Kind.DENSE)), query, k);
  }

  /** A retriever over this index as configured (the query embedder is loaded when the configuration needs it). */
  public Retriever retriever(RetrievalConfig config) {
    return config.create(backend, config.kind() == RetrievalConfig.Kind.BM25 ? null : requireEmbedder());
  }

  private QueryEmbedder requireEmbedder() {
    QueryEmbedder e = supplied != null && backend.manifest().hasVectors() ? supplied : embedder();
    if (e == null) {
      throw new IndexException(IndexException.Reason.INCOMPATIBLE, where
          + " has no vectors (built BM25-only); dense and hybrid retrieval need an index built with a model");
    }
    return e;
  }

  /**
   * Hybrid retrieval (BM25 on an index without vectors) followed by {@code reranker} over the top {@code depth}
   * documents; the hits are the reranked top {@code k}.
   *
   * @throws IllegalArgumentException when {@code depth < k}: hits below the depth would keep their first-stage order
   */
  public List<SearchHit> search(String query, int k, Reranker reranker, int depth) {
    if (depth < k) {
      throw new IllegalArgumentException("rerank depth " + depth + " is less than k = " + k
          + ": the hits below rank " + depth + " would not be reranked; rerank at least k documents");
    }
    RetrievalConfig.Kind kind = manifest().hasVectors() ? RetrievalConfig.Kind.HYBRID : RetrievalConfig.Kind.BM25;
    Retriever first = retriever(RetrievalConfig.defaults(kind).withHybridDepth(Math.max(depth, HYBRID_DEPTH)));
    return search(new RerankingRetriever(first, backend, reranker, depth), query, k);
  }

  /** Runs a retriever and fetches every hit's passage (one batched read, in index order). */
  public List<SearchHit> search(Retriever retriever, String query, int k) {
    return hits(retriever.retrieve(query, k));
  }

  /** The hits of a ranking over this index, with their passages. */
  public List<SearchHit> hits(Ranking ranking) {
    List<PassageRef> refs = new ArrayList<>(ranking.size());
    for (ScoredDoc d : ranking) {
      refs.add(new PassageRef(d.docId(), d.passage()));
    }
    List<StoredPassage> stored = backend.passages(refs);
    List<SearchHit> out = new ArrayList<>(ranking.size());
    for (int i = 0; i < ranking.size(); i++) {
      ScoredDoc d = ranking.get(i);
      StoredPassage p = stored.get(i);
      out.add(new SearchHit(i + 1, d.docId(), d.score(), d.passage(), p.start(), p.end(), p.contents()));
    }
    return out;
  }

  @Override
  public synchronized void close() {
    try {
      if (embedder != null) {
        embedder.close();
      }
    } finally {
      backend.close();
    }
  }
}
