package dev.attnir.elasticsearch.backend;

import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.elasticsearch._types.SearchType;
import co.elastic.clients.elasticsearch._types.ShardStatistics;
import co.elastic.clients.elasticsearch._types.query_dsl.ChildScoreMode;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.MgetResponse;
import co.elastic.clients.elasticsearch.core.SearchRequest;
import co.elastic.clients.elasticsearch.core.SearchResponse;
import co.elastic.clients.elasticsearch.core.get.GetResult;
import co.elastic.clients.elasticsearch.core.mget.MultiGetResponseItem;
import co.elastic.clients.elasticsearch.core.search.Hit;
import co.elastic.clients.elasticsearch.core.search.InnerHits;
import co.elastic.clients.elasticsearch.core.search.InnerHitsResult;
import co.elastic.clients.json.JsonData;
import com.fasterxml.jackson.databind.JsonNode;
import dev.attnir.indexer.IndexException;
import dev.attnir.indexer.IndexManifest;
import dev.attnir.indexer.search.Bm25Params;
import dev.attnir.indexer.search.LuceneVectors;
import dev.attnir.indexer.search.PassageHit;
import dev.attnir.indexer.search.PassageRef;
import dev.attnir.indexer.search.SearchBackend;
import dev.attnir.indexer.search.StoredPassage;
import dev.attnir.indexer.search.TiesAtTheCut;
import dev.attnir.indexer.search.VectorSearch;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.apache.lucene.index.VectorSimilarityFunction;

/**
 * A {@link SearchBackend} over an Elasticsearch index written by {@link ElasticsearchIndexWriter} (layout and the
 * choice of nested passages: {@link PassageIndexLayout}).
 *
 * <p>Deviations from {@code LuceneSearchBackend}:
 *
 * <ul>
 *   <li>{@link #lexical} and {@link #vector} return the best passage of each of the top {@code k} <em>documents</em>
 *       (a nested query with {@code score_mode: max}, or nested kNN, plus one inner hit), not the top {@code k}
 *       passages. {@code MaxPassage} aggregates hits to documents by their best passage, so it ranks these exactly as
 *       it ranks the Lucene backend's top passages (each document scores as its best passage either way);
 *       {@link #hitsAreDocuments()} tells it to ask for {@code k} hits, not {@code k} times the passages per document.
 *   <li>BM25 scores are divided by {@code k1 + 1}: Elasticsearch's BM25 keeps that factor (Lucene's
 *       {@code LegacyBM25Similarity}), Lucene 8+ and the Lucene backend do not.
 *   <li>BM25 parameters are fixed per index (its {@code attnir_bm25} similarity settings); asking for others is
 *       refused with an {@link IndexException} naming both (close the index, update
 *       {@code index.similarity.attnir_bm25.k1/b}, reopen it, or rebuild).
 *   <li>HNSW search maps {@link VectorSearch#oversample()} to {@code num_candidates = k * oversample} (at most
 *       10,000, Elasticsearch's limit); exact search is a {@code script_score} over every passage vector, scored as
 *       Lucene scores the similarity, so the raw similarity comes back as in the Lucene backend. It needs the
 *       {@code lang-painless} module (every default distribution has it; the integ-test distribution does not), and
 *       without it fails with an {@link UnsupportedOperationException} saying so.
 *   <li>Pooling state lives in the cluster ({@link PoolingStateStore}), not beside the index on disk.
 * </ul>
 */
public final class ElasticsearchSearchBackend implements SearchBackend {

  /** Elasticsearch's upper limit on {@code num_candidates}. */
  static final int MAX_NUM_CANDIDATES = 10_000;
  /**
   * Documents one search returns at most: Elasticsearch's default {@code index.max_result_window} (a deeper request is
   * an error there). Since hits are documents, this is 10,000 documents, not passages.
   */
  static final int MAX_DOCUMENTS = 10_000;
  private static final String BEST_PASSAGE = "best_passage";

  private final ElasticsearchConnection connection;
  private final String index;
  private final String where;
  private final IndexManifest manifest;
  private final Bm25Params bm25;
  private final boolean multiShard;
  private final VectorSimilarityFunction similarity;
  /** Whether {@link #close()} closes the connection (opened by {@link #connect}). */
  private boolean ownsConnection;

  private ElasticsearchSearchBackend(ElasticsearchConnection connection, String index, IndexManifest manifest,
      Bm25Params bm25, boolean multiShard) {
    this.connection = connection;
    this.index = index;
    this.where = connection.where(index);
    this.manifest = manifest;
    this.bm25 = bm25;
    this.multiShard = multiShard;
    this.similarity = manifest.hasVectors() ? LuceneVectors.function(manifest.embedding()) : null;
  }

  /**
   * Opens an index for searching: reads its manifest from the mapping's {@code _meta} and checks the mapping holds
   * what searching needs. The connection stays the caller's.
   *
   * @throws IndexException when the index does not exist, has no attnir manifest, or its mapping lacks fields or
   *     disagrees with the manifest (every difference listed)
   */
  public static ElasticsearchSearchBackend open(ElasticsearchConnection connection, String index) {
    String where = connection.where(index);
    JsonNode response = connection.json("GET", "/" + index, null, true);
    if (response == null) {
      throw new IndexException(IndexException.Reason.MISSING, "no " + where + " (the cluster has no such index)");
    }
    JsonNode metadata = response.path(index);
    if (metadata.isMissingNode()) {
      // an alias: the response is keyed by the concrete index
      metadata = response.elements().next();
    }
    IndexManifest manifest = PassageIndexLayout.manifest(metadata, where);
    List<String> differences = PassageIndexLayout.mappingDifferences(metadata, manifest);
    if (!differences.isEmpty()) {
      throw new IndexException(IndexException.Reason.INCOMPATIBLE, where + " cannot be searched as its manifest "
          + "says: " + String.join("; ", differences));
    }
    JsonNode settings = metadata.path("settings").path("index");
    JsonNode sim = settings.path("similarity").path(PassageIndexLayout.SIMILARITY);
    if (!sim.has("k1") || !sim.has("b")) {
      throw new IndexException(IndexException.Reason.INCOMPATIBLE, where + " has no BM25 similarity settings "
          + "(index.similarity." + PassageIndexLayout.SIMILARITY + ".k1 and .b)");
    }
    Bm25Params bm25 = new Bm25Params(Float.parseFloat(sim.path("k1").asText()),
        Float.parseFloat(sim.path("b").asText()));
    boolean multiShard = settings.path("number_of_shards").asInt(1) > 1;
    return new ElasticsearchSearchBackend(connection, index, manifest, bm25, multiShard);
  }

  /**
   * Connects to the cluster at {@code url} and opens an index; closing the backend closes the connection.
   *
   * @throws IndexException as {@link #open(ElasticsearchConnection, String)}
   */
  public static ElasticsearchSearchBackend connect(String url, ElasticsearchConnection.Credentials credentials,
      String index) {
    ElasticsearchConnection connection = ElasticsearchConnection.open(url, credentials);
    try {
      ElasticsearchSearchBackend backend = open(connection, index);
      backend.ownsConnection = true;
      return backend;
    } catch (RuntimeException e) {
      connection.close();
      throw e;
    }
  }

  /**
   * Opens an index and checks it was built as {@code expected} (analyzer, passages, embedding identity).
   *
   * @throws IndexException listing every difference
   */
  public static ElasticsearchSearchBackend open(ElasticsearchConnection connection, String index,
      IndexManifest expected) {
    ElasticsearchSearchBackend backend = open(connection, index);
    List<String> differences = backend.manifest.buildDifferences(expected);
    if (!differences.isEmpty()) {
      throw new IndexException(IndexException.Reason.INCOMPATIBLE, backend.where
          + " was built differently from what was asked: " + String.join("; ", differences));
    }
    return backend;
  }

  /** How messages name this index. */
  /**
   * Query vectors computed by the cluster (the attnir plugin's {@code _attnir/embed} for this index), instead of a
   * model loaded here.
   *
   * @throws ServerSideEmbeddingException when the cluster cannot embed (no plugin, model server down)
   */
  public ServerSideQueryEmbedder serverSideQueryEmbedder() {
    return new ServerSideQueryEmbedder(connection, index);
  }

  public String where() {
    return where;
  }

  @Override
  public IndexManifest manifest() {
    return manifest;
  }

  /** True: hits are documents, each with its best passage (see the class comment). */
  @Override
  public boolean hitsAreDocuments() {
    return true;
  }

  /** The BM25 parameters the index scores with. */
  public Bm25Params bm25() {
    return bm25;
  }

  @Override
  public List<PassageHit> lexical(String query, int k, Bm25Params params) {
    if (!params.equals(bm25)) {
      throw new IndexException(IndexException.Reason.INCOMPATIBLE, where + " scores BM25 with k1=" + bm25.k1()
          + " b=" + bm25.b() + " (index settings), but k1=" + params.k1() + " b=" + params.b() + " was asked. "
          + "Elasticsearch fixes BM25 parameters per index: search with the index's, or update its "
          + "index.similarity." + PassageIndexLayout.SIMILARITY + " settings (close, update, open)");
    }
    if (k <= 0 || query.isBlank()) {
      return List.of();
    }
    // match analyses the query with the field's analyzer into one SHOULD term clause per token, duplicates kept:
    // the bag of words the Lucene backend builds
    Query passageQuery = Query.of(q -> q.match(m -> m.field(PassageIndexLayout.nested(PassageIndexLayout.CONTENTS))
        .query(query)));
    // Elasticsearch's BM25 similarity is Lucene's LegacyBM25Similarity: every score times (k1 + 1), which Lucene 8+
    // dropped (measured on 9.5.3: ratio 1.9 at k1 0.9). Dividing it out gives the Lucene backend's scores; the ranking
    // is the same either way.
    float legacyFactor = bm25.k1() + 1f;
    return topWithTiesResolved(depth -> {
      List<PassageHit> scaled = new ArrayList<>();
      for (PassageHit h : search(nestedBest(passageQuery), depth)) {
        scaled.add(new PassageHit(h.docId(), h.ordinal(), h.score() / legacyFactor));
      }
      return scaled;
    }, k);
  }

  /** The top {@code k} with documents tied at the cut chosen as the Lucene backend chooses them. */
  private static List<PassageHit> topWithTiesResolved(java.util.function.IntFunction<List<PassageHit>> fetch, int k) {
    return TiesAtTheCut.top(fetch, k, MAX_DOCUMENTS);
  }

  @Override
  public List<PassageHit> vector(float[] query, int k, VectorSearch mode) {
    requireVectors(query);
    if (k <= 0) {
      return List.of();
    }
    List<Float> vector = new ArrayList<>(query.length);
    for (float f : query) {
      vector.add(f);
    }
    return topWithTiesResolved(depth -> {
      List<PassageHit> raw = new ArrayList<>();
      for (PassageHit h : mode.exact() ? exact(vector, depth) : hnsw(vector, depth, mode.oversample())) {
        raw.add(new PassageHit(h.docId(), h.ordinal(), LuceneVectors.rawFromScore(similarity, h.score())));
      }
      return raw;
    }, k);
  }

  private List<PassageHit> exact(List<Float> vector, int size) {
    try {
      return search(nestedBest(exactScore(vector)), size);
    } catch (IllegalStateException e) {
      if (e.getMessage() != null && e.getMessage().contains("script_lang not supported [painless]")) {
        throw new UnsupportedOperationException("exact vector search of " + where + " needs scripting "
            + "(script_score with the lang-painless module), which the cluster lacks (the integ-test "
            + "distribution bin/es-node runs has no Painless); search with HNSW instead", e);
      }
      throw e;
    }
  }

  private List<PassageHit> hnsw(List<Float> vector, int size, int oversample) {
    int candidates = (int) Math.min(MAX_NUM_CANDIDATES, Math.max(size, (long) size * oversample));
    return run(SearchRequest.of(s -> s.index(index).size(size).source(src -> src.fetch(false)).trackTotalHits(t -> t
        .enabled(false)).allowPartialSearchResults(false).knn(kn -> kn.field(PassageIndexLayout.nested(PassageIndexLayout.VECTOR))
            .queryVector(vector).k(size).numCandidates(candidates).innerHits(bestPassage()))));
  }

  /** Brute force: every passage vector scored by a script as Lucene scales the similarity (non-negative scores). */
  private Query exactScore(List<Float> vector) {
    String field = "'" + PassageIndexLayout.nested(PassageIndexLayout.VECTOR) + "'";
    String source = switch (similarity) {
      case DOT_PRODUCT -> "(1.0 + dotProduct(params.q, " + field + ")) / 2.0";
      case COSINE -> "(1.0 + cosineSimilarity(params.q, " + field + ")) / 2.0";
      case MAXIMUM_INNER_PRODUCT -> "double d = dotProduct(params.q, " + field + "); d < 0 ? 1.0 / (1.0 - d) : d + 1.0";
      case EUCLIDEAN -> "double d = l2norm(params.q, " + field + "); 1.0 / (1.0 + d * d)";
    };
    return Query.of(q -> q.scriptScore(ss -> ss
        .query(inner -> inner.exists(e -> e.field(PassageIndexLayout.nested(PassageIndexLayout.VECTOR))))
        .script(sc -> sc.source(src -> src.scriptString(source)).params("q", JsonData.of(vector)))));
  }

  private void requireVectors(float[] query) {
    if (!manifest.hasVectors()) {
      throw new IndexException(IndexException.Reason.INCOMPATIBLE, where
          + " has no vectors (built BM25-only); rebuild it with a model for dense retrieval");
    }
    if (query.length != manifest.embedding().dimension()) {
      throw new IndexException(IndexException.Reason.INCOMPATIBLE, "query vector has " + query.length
          + " dimensions, " + where + " has " + manifest.embedding().dimension());
    }
  }

  /** Documents scored by their best passage under {@code passageQuery}, that passage named by an inner hit. */
  private static Query nestedBest(Query passageQuery) {
    return Query.of(q -> q.nested(n -> n.path(PassageIndexLayout.PASSAGES).scoreMode(ChildScoreMode.Max)
        .query(passageQuery).innerHits(bestPassage())));
  }

  private static InnerHits bestPassage() {
    return InnerHits.of(ih -> ih.name(BEST_PASSAGE).size(1).source(s -> s.fetch(false))
        .docvalueFields(f -> f.field(PassageIndexLayout.nested(PassageIndexLayout.ORDINAL))));
  }

  private List<PassageHit> search(Query query, int k) {
    return run(SearchRequest.of(s -> {
      s.index(index).size(k).query(query).source(src -> src.fetch(false)).trackTotalHits(t -> t.enabled(false))
          .allowPartialSearchResults(false);
      if (multiShard) {
        // shard-local BM25 statistics would make scores depend on routing; one global set, as in one Lucene index
        s.searchType(SearchType.DfsQueryThenFetch);
      }
      return s;
    }));
  }

  private List<PassageHit> run(SearchRequest request) {
    SearchResponse<Void> response;
    try {
      response = connection.client().search(request, Void.class);
    } catch (ElasticsearchException e) {
      throw new IllegalStateException("search of " + where + " failed: " + ElasticsearchConnection.reason(e), e);
    } catch (IOException | RuntimeException e) {
      throw connection.failure("searching " + where, e);
    }
    requireComplete(response);
    List<PassageHit> hits = new ArrayList<>();
    for (Hit<Void> hit : response.hits().hits()) {
      hits.add(new PassageHit(hit.id(), bestOrdinal(hit), hit.score().floatValue()));
    }
    return hits;
  }

  /**
   * A ranking from some shards only, or cut short by a timeout, would be a silently wrong answer (a cluster that lost
   * a node answers 200 with {@code _shards.failed > 0} unless partial results are refused, which the requests do; this
   * checks the response as well, since a cluster setting or proxy may differ).
   */
  private void requireComplete(SearchResponse<?> response) {
    var shards = response.shards();
    if (shards.failed().intValue() > 0 || shards.successful().intValue() + skipped(shards) < shards.total().intValue()) {
      String reasons = shards.failures().stream().map(f -> "shard " + f.shard() + ": " + f.reason().reason())
          .distinct().limit(3).reduce((a, b) -> a + "; " + b).orElse("no reason given");
      throw new IllegalStateException("search of " + where + " answered from " + shards.successful() + " of "
          + shards.total() + " shards (" + reasons + "); refusing a partial ranking. Check the cluster's health.");
    }
    if (response.timedOut()) {
      throw new IllegalStateException("search of " + where + " timed out on the cluster; refusing a partial ranking");
    }
  }

  private static int skipped(ShardStatistics shards) {
    return shards.skipped() == null ? 0 : shards.skipped().intValue();
  }

  private int bestOrdinal(Hit<?> hit) {
    InnerHitsResult inner = hit.innerHits().get(BEST_PASSAGE);
    if (inner == null || inner.hits().hits().isEmpty()) {
      throw new IllegalStateException(where + ": hit " + hit.id() + " came without its best passage (inner hit)");
    }
    JsonData ordinal = inner.hits().hits().get(0).fields().get(PassageIndexLayout.nested(PassageIndexLayout.ORDINAL));
    return ordinal.toJson().asJsonArray().getJsonNumber(0).intValue();
  }

  @Override
  public byte[] poolingState(String sha256) {
    return PoolingStateStore.read(connection, index, sha256);
  }

  /**
   * Fetches stored passages with one multi-get of their documents.
   *
   * @throws IllegalArgumentException naming the first passage the index does not hold
   */
  @Override
  public List<StoredPassage> passages(List<PassageRef> refs) {
    if (refs.isEmpty()) {
      return List.of();
    }
    List<String> ids = new ArrayList<>(new LinkedHashSet<>(refs.stream().map(PassageRef::docId).toList()));
    MgetResponse<JsonNode> response;
    try {
      response = connection.client().mget(m -> m.index(index).ids(ids).sourceIncludes(
          PassageIndexLayout.nested(PassageIndexLayout.ORDINAL), PassageIndexLayout.nested(PassageIndexLayout.START),
          PassageIndexLayout.nested(PassageIndexLayout.END), PassageIndexLayout.nested(PassageIndexLayout.CONTENTS)),
          JsonNode.class);
    } catch (ElasticsearchException e) {
      throw new IllegalStateException("fetching passages from " + where + " failed: " + ElasticsearchConnection.reason(e),
          e);
    } catch (IOException | RuntimeException e) {
      throw connection.failure("fetching passages from " + where, e);
    }
    Map<String, Map<Integer, JsonNode>> byDoc = new HashMap<>();
    for (MultiGetResponseItem<JsonNode> item : response.docs()) {
      if (item.isFailure()) {
        throw new IllegalStateException("fetching document " + item.failure().id() + " from " + where + " failed: "
            + item.failure().error().reason());
      }
      GetResult<JsonNode> doc = item.result();
      if (!doc.found()) {
        continue;
      }
      Map<Integer, JsonNode> passages = new HashMap<>();
      for (JsonNode p : doc.source().path(PassageIndexLayout.PASSAGES)) {
        passages.put(p.path(PassageIndexLayout.ORDINAL).asInt(), p);
      }
      byDoc.put(doc.id(), passages);
    }
    List<StoredPassage> out = new ArrayList<>(refs.size());
    for (PassageRef ref : refs) {
      Map<Integer, JsonNode> passages = byDoc.get(ref.docId());
      JsonNode p = passages == null ? null : passages.get(ref.ordinal());
      if (p == null) {
        throw new IllegalArgumentException(where + " has no passage " + ref.ordinal() + " of document " + ref.docId()
            + (passages == null ? " (no such document)" : ""));
      }
      out.add(new StoredPassage(ref.docId(), ref.ordinal(), p.path(PassageIndexLayout.START).asInt(),
          p.path(PassageIndexLayout.END).asInt(), p.path(PassageIndexLayout.CONTENTS).asText()));
    }
    return out;
  }

  /** Closes the connection when {@link #connect} opened it; one given to {@link #open} stays the caller's. */
  @Override
  public void close() {
    if (ownsConnection) {
      connection.close();
    }
  }
}
