package dev.attnir.elasticsearch;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.join.ScoreMode;
import org.elasticsearch.cluster.metadata.IndexMetadata;
import org.elasticsearch.cluster.metadata.MappingMetadata;
import org.elasticsearch.common.document.DocumentField;
import org.elasticsearch.common.xcontent.XContentHelper;
import org.elasticsearch.index.Index;
import org.elasticsearch.index.query.MatchQueryBuilder;
import org.elasticsearch.index.query.NestedQueryBuilder;
import org.elasticsearch.index.query.QueryBuilder;
import org.elasticsearch.index.query.QueryRewriteContext;
import org.elasticsearch.search.SearchHit;
import org.elasticsearch.search.builder.SearchSourceBuilder;
import org.elasticsearch.search.rank.RankDoc;
import org.elasticsearch.search.retriever.CompoundRetrieverBuilder;
import org.elasticsearch.search.retriever.KnnRetrieverBuilder;
import org.elasticsearch.search.retriever.RetrieverBuilder;
import org.elasticsearch.search.retriever.RetrieverParserContext;
import org.elasticsearch.search.retriever.StandardRetrieverBuilder;
import org.elasticsearch.xcontent.ConstructingObjectParser;
import org.elasticsearch.xcontent.ParseField;
import org.elasticsearch.xcontent.XContentBuilder;
import org.elasticsearch.xcontent.XContentParser;
import org.elasticsearch.xcontent.XContentType;

/**
 * {@code attnir_hybrid}: hybrid search over an attnir index without a licence, from query text alone:
 * {@code "retriever": {"attnir_hybrid": {"query": "...", "fusion": "rrf", "rank_window_size": 100}}}. Two legs, each
 * scoring a document by its best passage: BM25 ({@code match} on {@code passages.contents} in a nested query with
 * {@code score_mode: max}) and kNN on {@code passages.vector} with the query embedded by the model server as the
 * target index embeds ({@link TextQueryVectorBuilder}). Each leg returns its top {@code rank_window_size}; they are
 * fused by the plugin, as attnir's own {@code HybridRetriever} fuses them:
 * <ul>
 *   <li>{@code rrf} (default): {@code sum 1 / (rank_constant + rank)} over the legs that return the document (Cormack
 *       et al. 2009; {@code rank_constant} 60);
 *   <li>{@code linear}: {@code (1 - dense_weight) * bm25 + dense_weight * knn}, each leg's scores min-max normalised
 *       to [0, 1] over its own hits (a leg that misses a document gives 0; a leg whose scores are all equal gives 1).
 * </ul>
 *
 * <p>Ties are broken as the Java fusion breaks them: each leg's hits and the fused list are ordered by score, then by
 * {@code doc_id} (read from doc values). Deviation: each leg is cut at {@code rank_window_size} by Elasticsearch, so
 * documents tied at a leg's cut are chosen by shard and Lucene document, where the Java backend fetches past the cut
 * to choose them by id.
 *
 * <p>The embedding identity is read from the target indices' {@code _meta.attnir_manifest}; indices that embed
 * differently (or an index without an attnir manifest) are a 400 naming the differences.
 */
final class HybridRetrieverBuilder extends CompoundRetrieverBuilder<HybridRetrieverBuilder> {

  static final String NAME = "attnir_hybrid";
  static final int DEFAULT_WINDOW = 100;
  static final int MAX_NUM_CANDIDATES = 10_000;
  static final String DOC_ID = "doc_id";

  private static final ConstructingObjectParser<HybridRetrieverBuilder, RetrieverParserContext> PARSER =
      new ConstructingObjectParser<>(NAME, false, a -> new HybridRetrieverBuilder(List.of(), (String) a[0],
          a[1] == null ? "rrf" : (String) a[1], a[2] == null ? 60 : (Integer) a[2],
          a[3] == null ? 0.5f : (Float) a[3], (Integer) a[4], a[5] == null ? DEFAULT_WINDOW : (Integer) a[5]));

  static {
    PARSER.declareString(ConstructingObjectParser.constructorArg(), new ParseField("query"));
    PARSER.declareString(ConstructingObjectParser.optionalConstructorArg(), new ParseField("fusion"));
    PARSER.declareInt(ConstructingObjectParser.optionalConstructorArg(), new ParseField("rank_constant"));
    PARSER.declareFloat(ConstructingObjectParser.optionalConstructorArg(), new ParseField("dense_weight"));
    PARSER.declareInt(ConstructingObjectParser.optionalConstructorArg(), new ParseField("num_candidates"));
    PARSER.declareInt(ConstructingObjectParser.optionalConstructorArg(), RANK_WINDOW_SIZE_FIELD);
    RetrieverBuilder.declareBaseParserFields(PARSER);
  }

  private final String query;
  private final String fusion;
  private final int rankConstant;
  private final float denseWeight;
  private final Integer numCandidates;
  /** Each leg hit's document id, by shard and Lucene document, for breaking ties. */
  private final Map<RankDoc.RankKey, String> ids = new ConcurrentHashMap<>();

  private HybridRetrieverBuilder(List<RetrieverSource> legs, String query, String fusion, int rankConstant,
      float denseWeight, Integer numCandidates, int rankWindowSize) {
    super(new ArrayList<>(legs), rankWindowSize);
    if (query == null || query.isBlank()) {
      throw new IllegalArgumentException("[" + NAME + "] 'query' must be non-empty text");
    }
    if (!fusion.equals("rrf") && !fusion.equals("linear")) {
      throw new IllegalArgumentException("[" + NAME + "] 'fusion' must be \"rrf\" or \"linear\", got \"" + fusion
          + "\"");
    }
    if (rankConstant < 0) {
      throw new IllegalArgumentException("[" + NAME + "] 'rank_constant' must be >= 0, got " + rankConstant);
    }
    if (!(denseWeight >= 0 && denseWeight <= 1)) {
      throw new IllegalArgumentException("[" + NAME + "] 'dense_weight' must be in [0, 1], got " + denseWeight);
    }
    if (rankWindowSize < 1) {
      throw new IllegalArgumentException("[" + NAME + "] 'rank_window_size' must be >= 1, got " + rankWindowSize);
    }
    if (numCandidates != null && (numCandidates < rankWindowSize || numCandidates > MAX_NUM_CANDIDATES)) {
      throw new IllegalArgumentException("[" + NAME + "] 'num_candidates' must be in [rank_window_size, "
          + MAX_NUM_CANDIDATES + "], got " + numCandidates);
    }
    this.query = query;
    this.fusion = fusion;
    this.rankConstant = rankConstant;
    this.denseWeight = denseWeight;
    this.numCandidates = numCandidates;
  }

  static HybridRetrieverBuilder fromXContent(XContentParser parser, RetrieverParserContext context) throws IOException {
    return PARSER.apply(parser, context);
  }

  @Override
  public String getName() {
    return NAME;
  }

  @Override
  protected RetrieverBuilder doRewrite(QueryRewriteContext ctx) {
    if (!innerRetrievers.isEmpty()) {
      return this;
    }
    if (ctx.getResolvedIndices() == null) {
      throw new IllegalStateException("[" + NAME + "] must be rewritten on the coordinating node");
    }
    if (!ctx.getResolvedIndices().getRemoteClusterIndices().isEmpty()) {
      throw new IllegalArgumentException("[" + NAME + "] does not search remote clusters");
    }
    String identityIndex = identityIndex(ctx.getResolvedIndices().getConcreteLocalIndicesMetadata());
    int candidates = numCandidates != null ? numCandidates
        : Math.min(MAX_NUM_CANDIDATES, Math.max(rankWindowSize, 10 * rankWindowSize));
    QueryBuilder bm25 = new NestedQueryBuilder("passages", new MatchQueryBuilder("passages.contents", query),
        ScoreMode.Max);
    List<RetrieverSource> legs = List.of(
        RetrieverSource.from(new StandardRetrieverBuilder(bm25)),
        RetrieverSource.from(new KnnRetrieverBuilder("passages.vector", (float[]) null,
            new TextQueryVectorBuilder(query, identityIndex, null, null), rankWindowSize, candidates, null, null,
            null)));
    return copy(legs, preFilterQueryBuilders);
  }

  /**
   * The index whose embedding the query is embedded with: all target indices must carry an attnir manifest with the
   * same embedding.
   */
  static String identityIndex(Map<Index, IndexMetadata> indices) {
    if (indices.isEmpty()) {
      throw new IllegalArgumentException("[" + NAME + "] needs at least one target index");
    }
    String first = null;
    Map<String, Object> firstEmbedding = null;
    for (Map.Entry<String, IndexMetadata> e : new TreeMap<>(byName(indices)).entrySet()) {
      Map<String, Object> embedding = embedding(e.getKey(), e.getValue());
      if (first == null) {
        first = e.getKey();
        firstEmbedding = embedding;
      } else if (!firstEmbedding.equals(embedding)) {
        List<String> diffs = new ArrayList<>();
        for (String key : new java.util.TreeSet<>(union(firstEmbedding.keySet(), embedding.keySet()))) {
          if (!Objects.equals(firstEmbedding.get(key), embedding.get(key))) {
            diffs.add("embedding." + key + ": [" + first + "] has " + firstEmbedding.get(key) + ", [" + e.getKey()
                + "] has " + embedding.get(key));
          }
        }
        throw new IllegalArgumentException("[" + NAME + "] the target indices embed differently, so no one query "
            + "vector fits them: " + String.join("; ", diffs));
      }
    }
    return first;
  }

  private static Map<String, IndexMetadata> byName(Map<Index, IndexMetadata> indices) {
    Map<String, IndexMetadata> out = new HashMap<>();
    indices.forEach((k, v) -> out.put(k.getName(), v));
    return out;
  }

  private static java.util.Set<String> union(java.util.Set<String> a, java.util.Set<String> b) {
    java.util.Set<String> u = new java.util.HashSet<>(a);
    u.addAll(b);
    return u;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> embedding(String index, IndexMetadata metadata) {
    MappingMetadata mapping = metadata.mapping();
    Object meta = mapping == null ? null : mapping.sourceAsMap().get("_meta");
    Object manifest = meta instanceof Map<?, ?> m ? m.get("attnir_manifest") : null;
    if (!(manifest instanceof String json)) {
      throw new IllegalArgumentException("[" + NAME + "] index [" + index + "] has no attnir manifest (mapping "
          + "_meta.attnir_manifest): build it with attnir or create it from one that was");
    }
    Object embedding = XContentHelper.convertToMap(XContentType.JSON.xContent(), json, false).get("embedding");
    if (!(embedding instanceof Map<?, ?>)) {
      throw new IllegalArgumentException("[" + NAME + "] index [" + index + "] has no vectors (a BM25-only attnir "
          + "index): hybrid search needs an embedding");
    }
    return (Map<String, Object>) embedding;
  }

  private HybridRetrieverBuilder copy(List<RetrieverSource> legs, List<QueryBuilder> preFilters) {
    HybridRetrieverBuilder c = new HybridRetrieverBuilder(legs, query, fusion, rankConstant, denseWeight,
        numCandidates, rankWindowSize);
    c.preFilterQueryBuilders = preFilters;
    c.retrieverName = retrieverName;
    c.minScore = minScore;
    return c;
  }

  @Override
  protected HybridRetrieverBuilder clone(List<RetrieverSource> legs, List<QueryBuilder> preFilters) {
    return copy(legs, preFilters);
  }

  /**
   * Asks each leg for its hits' {@code doc_id} (doc values), so ties are broken by document id as the Java fusion
   * breaks them, not by shard and Lucene document.
   */
  @Override
  protected SearchSourceBuilder finalizeSourceBuilder(SearchSourceBuilder source) {
    return source.docValueField(DOC_ID);
  }

  @Override
  protected RankDoc createRankDocFromHit(int doc, SearchHit hit, int shardIndex) {
    // nothing may throw here: Elasticsearch 9.5.3 never answers a search whose hit conversion throws
    DocumentField field = hit.field(DOC_ID);
    Object id = field == null ? null : field.getValue();
    if (id != null) {
      ids.put(new RankDoc.RankKey(doc, shardIndex), id.toString());
    }
    return super.createRankDocFromHit(doc, hit, shardIndex);
  }

  @Override
  protected RankDoc[] combineInnerRetrieverResults(List<ScoreDoc[]> legs, boolean explain) {
    List<Map.Entry<RankDoc.RankKey, Double>> order = fuse(legs, this::compareIds, fusion.equals("rrf"), rankConstant,
        denseWeight, rankWindowSize);
    RankDoc[] out = new RankDoc[order.size()];
    for (int r = 0; r < out.length; r++) {
      RankDoc.RankKey key = order.get(r).getKey();
      out[r] = new RankDoc(key.doc(), order.get(r).getValue().floatValue(), key.shardIndex());
      out[r].rank = r + 1;
    }
    return out;
  }

  /**
   * The fusion, as attnir's {@code ReciprocalRankFusion} and {@code LinearFusion} over rankings ordered as its
   * {@code Ranking} orders them: each leg by score, ties by id descending ({@code idOrder} ascending, reversed), the
   * fused list the same way, cut at {@code window}.
   */
  static List<Map.Entry<RankDoc.RankKey, Double>> fuse(List<ScoreDoc[]> legs, Comparator<RankDoc.RankKey> idOrder,
      boolean rrf, int rankConstant, double denseWeight, int window) {
    Map<RankDoc.RankKey, Double> fused = new HashMap<>();
    for (int leg = 0; leg < legs.size(); leg++) {
      ScoreDoc[] hits = legs.get(leg).clone();
      Arrays.sort(hits, (a, b) -> {
        int c = Float.compare(b.score, a.score);
        return c != 0 ? c : idOrder.compare(key(b), key(a));
      });
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (ScoreDoc h : hits) {
        min = Math.min(min, h.score);
        max = Math.max(max, h.score);
      }
      double weight = rrf ? 1 : leg == 0 ? 1 - denseWeight : denseWeight;
      for (int r = 0; r < hits.length; r++) {
        double range = max - min;
        double add = rrf ? 1.0 / (rankConstant + r + 1) : weight * (range > 0 ? (hits[r].score - min) / range : 1.0);
        fused.merge(key(hits[r]), add, Double::sum);
      }
    }
    List<Map.Entry<RankDoc.RankKey, Double>> order = new ArrayList<>(fused.entrySet());
    order.sort((a, b) -> {
      int c = Double.compare(b.getValue(), a.getValue());
      return c != 0 ? c : idOrder.compare(b.getKey(), a.getKey());
    });
    return order.subList(0, Math.min(window, order.size()));
  }

  private static RankDoc.RankKey key(ScoreDoc d) {
    return new RankDoc.RankKey(d.doc, d.shardIndex);
  }

  /** By document id in code points (as attnir's {@code Ranking} orders ties); shard and doc when an id is missing. */
  private int compareIds(RankDoc.RankKey a, RankDoc.RankKey b) {
    String x = ids.get(a);
    String y = ids.get(b);
    if (x != null && y != null) {
      int c = Arrays.compare(x.codePoints().toArray(), y.codePoints().toArray());
      if (c != 0) {
        return c;
      }
    }
    int c = Integer.compare(b.shardIndex(), a.shardIndex());
    return c != 0 ? c : Integer.compare(b.doc(), a.doc());
  }

  @Override
  protected void doToXContent(XContentBuilder builder, Params params) throws IOException {
    builder.field("query", query);
    builder.field("fusion", fusion);
    builder.field("rank_constant", rankConstant);
    builder.field("dense_weight", denseWeight);
    if (numCandidates != null) {
      builder.field("num_candidates", numCandidates);
    }
    builder.field(RANK_WINDOW_SIZE_FIELD.getPreferredName(), rankWindowSize);
  }

  @Override
  public boolean doEquals(Object o) {
    return super.doEquals(o) && o instanceof HybridRetrieverBuilder h && query.equals(h.query)
        && fusion.equals(h.fusion) && rankConstant == h.rankConstant && denseWeight == h.denseWeight
        && Objects.equals(numCandidates, h.numCandidates);
  }

  @Override
  public int doHashCode() {
    return Objects.hash(super.doHashCode(), query, fusion, rankConstant, denseWeight, numCandidates);
  }
}
