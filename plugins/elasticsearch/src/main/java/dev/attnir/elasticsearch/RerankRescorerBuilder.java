package dev.attnir.elasticsearch;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.search.Explanation;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.elasticsearch.TransportVersion;
import org.elasticsearch.common.io.stream.StreamInput;
import org.elasticsearch.common.io.stream.StreamOutput;
import org.elasticsearch.common.logging.HeaderWarning;
import org.elasticsearch.index.query.QueryRewriteContext;
import org.elasticsearch.index.query.SearchExecutionContext;
import org.elasticsearch.search.lookup.SourceFilter;
import org.elasticsearch.search.lookup.SourceProvider;
import org.elasticsearch.search.rescore.RescoreContext;
import org.elasticsearch.search.rescore.Rescorer;
import org.elasticsearch.search.rescore.RescorerBuilder;
import org.elasticsearch.xcontent.ConstructingObjectParser;
import org.elasticsearch.xcontent.ParseField;
import org.elasticsearch.xcontent.XContentBuilder;
import org.elasticsearch.xcontent.XContentParser;

/**
 * The {@code attnir_rerank} rescorer: reranks each shard's top {@code window_size} hits with an attnir reranker run
 * by the model server ({@code cross-encoder-minilm}, {@code mvp-minilm}, a trained file, any reranker spec the server
 * accepts): {@code "rescore": {"window_size": 100, "attnir_rerank": {"reranker": "cross-encoder-minilm", "query":
 * "..."}}}, also inside the built-in {@code rescorer} retriever.
 *
 * <p>The text reranked is {@code field} of each hit's source (default {@code passages.contents}, the passage texts of
 * attnir's layout). A hit with several values (several passages) is scored by its best value (max-passage, as BERT-MaxP
 * does); with one passage per document this is exactly attnir's own reranking pipeline, which reranks each document's
 * best first-stage passage. A hit without the field is reranked as empty text.
 *
 * <p>Scores: the window's hits get the reranker's scores mapped onto positive numbers by {@link #positive} (a
 * strictly increasing map, so the order is the reranker's), best first (ties keep the first-stage order); hits past
 * the window keep their order below the window's lowest score. Shards rerank their own windows, so with several shards the
 * merged order is by reranker score only for a reranker whose scores do not depend on the list (the cross-encoder);
 * MVP's scores do (its anchors are built from the list), so use one shard, or one window, for it.
 *
 * <p>Failures: a request the server refuses (unknown reranker, say) fails the search with a 400 naming the reason; a
 * model server that cannot be reached or fails keeps the first-stage order and adds a {@code Warning} header, so
 * search degrades instead of failing.
 */
final class RerankRescorerBuilder extends RescorerBuilder<RerankRescorerBuilder> {

  static final String NAME = "attnir_rerank";
  static final String DEFAULT_FIELD = "passages.contents";

  private static final ConstructingObjectParser<RerankRescorerBuilder, Void> PARSER = new ConstructingObjectParser<>(
      NAME, false, a -> new RerankRescorerBuilder((String) a[0], (String) a[1], (String) a[2]));

  static {
    PARSER.declareString(ConstructingObjectParser.constructorArg(), new ParseField("reranker"));
    PARSER.declareString(ConstructingObjectParser.constructorArg(), new ParseField("query"));
    PARSER.declareString(ConstructingObjectParser.optionalConstructorArg(), new ParseField("field"));
  }

  private final String reranker;
  private final String query;
  private final String field;

  RerankRescorerBuilder(String reranker, String query, String field) {
    if (reranker == null || reranker.isBlank()) {
      throw new IllegalArgumentException("[" + NAME + "] 'reranker' must name a reranker (e.g. cross-encoder-minilm)");
    }
    if (query == null || query.isBlank()) {
      throw new IllegalArgumentException("[" + NAME + "] 'query' must be the query text");
    }
    if (field != null && field.isBlank()) {
      throw new IllegalArgumentException("[" + NAME + "] 'field' must name a text field");
    }
    this.reranker = reranker;
    this.query = query;
    this.field = field == null ? DEFAULT_FIELD : field;
  }

  RerankRescorerBuilder(StreamInput in) throws IOException {
    super(in);
    reranker = in.readString();
    query = in.readString();
    field = in.readString();
  }

  static RerankRescorerBuilder fromXContent(XContentParser parser) {
    return PARSER.apply(parser, null);
  }

  @Override
  protected void doWriteTo(StreamOutput out) throws IOException {
    out.writeString(reranker);
    out.writeString(query);
    out.writeString(field);
  }

  @Override
  protected void doXContent(XContentBuilder builder, Params params) throws IOException {
    builder.startObject(NAME);
    builder.field("reranker", reranker);
    builder.field("query", query);
    builder.field("field", field);
    builder.endObject();
  }

  @Override
  public String getWriteableName() {
    return NAME;
  }

  @Override
  public TransportVersion getMinimalSupportedVersion() {
    return TransportVersion.zero();
  }

  @Override
  public RescorerBuilder<RerankRescorerBuilder> rewrite(QueryRewriteContext ctx) {
    return this;
  }

  @Override
  protected RescoreContext innerBuildContext(int windowSize, SearchExecutionContext ctx) {
    if (!ctx.isSourceEnabled()) {
      throw new IllegalArgumentException("[" + NAME + "] reads the hits' text from _source, which index ["
          + ctx.index().getName() + "] does not keep");
    }
    SourceProvider source = ctx.createSourceProvider(new SourceFilter(new String[] {field}, null));
    return new Context(windowSize, this, source, ctx.getIndexSettings().getNumberOfShards(), ctx.index().getName());
  }

  @Override
  public boolean equals(Object o) {
    return super.equals(o) && o instanceof RerankRescorerBuilder r && reranker.equals(r.reranker)
        && query.equals(r.query) && field.equals(r.field);
  }

  @Override
  public int hashCode() {
    return Objects.hash(super.hashCode(), reranker, query, field);
  }

  /** A hit's rescored score and how it came about. */
  private record Explained(float score, String how) {}

  private static final class Context extends RescoreContext {
    final RerankRescorerBuilder spec;
    final SourceProvider source;
    /**
     * What rescore gave each hit, by top-level doc id, for explain: a shard that fetches in the same request as it
     * queries (one shard, or query_and_fetch) explains from here; a separate fetch request builds a new context.
     */
    final Map<Integer, Explained> explained = new HashMap<>();
    /** Why reranking failed on this shard (first-stage order kept), or null. */
    String failure;

    final int shards;
    final String index;

    Context(int windowSize, RerankRescorerBuilder spec, SourceProvider source, int shards, String index) {
      super(windowSize, RERANKER);
      this.spec = spec;
      this.source = source;
      this.shards = shards;
      this.index = index;
    }
  }

  /**
   * A strictly increasing map of a reranker score onto positive numbers ({@code s + 1} from 0 up, {@code 1 / (1 - s)}
   * below), keeping float resolution where a sigmoid would not: retrievers wrapping a rescorer (the built-in
   * {@code rescorer} retriever) refuse negative scores, and cross-encoder logits are mostly negative.
   */
  static float positive(float s) {
    return s >= 0 ? s + 1 : 1 / (1 - s);
  }

  private static final Rescorer RERANKER = new Rescorer() {
    @Override
    public TopDocs rescore(TopDocs topDocs, IndexSearcher searcher, RescoreContext rescoreContext) throws IOException {
      Context ctx = (Context) rescoreContext;
      ScoreDoc[] hits = topDocs.scoreDocs;
      int n = Math.min(hits.length, ctx.getWindowSize());
      if (n == 0) {
        return topDocs;
      }
      List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
      List<Map<String, Object>> candidates = new ArrayList<>();
      List<Integer> owners = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int doc = hits[i].doc;
        LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(doc, leaves));
        Object value = ctx.source.getSource(leaf, doc - leaf.docBase).extractValue(ctx.spec.field, null);
        List<String> texts = new ArrayList<>();
        if (value instanceof List<?> list) {
          list.forEach(v -> texts.add(String.valueOf(v)));
        } else if (value != null) {
          texts.add(String.valueOf(value));
        }
        if (texts.isEmpty()) {
          texts.add("");
        }
        for (int j = 0; j < texts.size(); j++) {
          Map<String, Object> c = new LinkedHashMap<>();
          c.put("id", i + ":" + j);
          c.put("text", texts.get(j));
          candidates.add(c);
          owners.add(i);
        }
      }
      ctx.checkCancellation();
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("reranker", ctx.spec.reranker);
      body.put("query", ctx.spec.query);
      body.put("candidates", candidates);
      Map<String, Object> answer;
      try {
        answer = AttnirPlugin.services().modelServer().post("/rerank", body);
      } catch (RuntimeException e) {
        if (ModelServerClient.isBadRequest(e)) {
          throw new IllegalArgumentException("[" + NAME + "] " + e.getMessage(), e);
        }
        HeaderWarning.addWarning("[{}] reranking failed, first-stage order kept: {}", NAME, e.getMessage());
        ctx.failure = e.getMessage();
        return topDocs;
      }
      if (ctx.shards > 1 && Boolean.TRUE.equals(answer.get("list_dependent"))) {
        // each shard reranks its own window, so a list-dependent reranker sees other lists than one search over the
        // whole index would, and scores from different shards are merged although they are not comparable
        HeaderWarning.addWarning("[{}] {} scores each candidate against the rest of its list, but index [{}] has {} "
            + "shards and each reranks its own window: the order differs from reranking one list (use one shard, or "
            + "a reranker that scores candidates alone, such as a cross-encoder)", NAME, ctx.spec.reranker, ctx.index,
            ctx.shards);
      }
      float[] best = new float[n];
      Arrays.fill(best, Float.NEGATIVE_INFINITY);
      Map<String, Integer> ownerOf = new HashMap<>();
      for (int c = 0; c < candidates.size(); c++) {
        ownerOf.put((String) candidates.get(c).get("id"), owners.get(c));
      }
      for (Object o : (List<?>) answer.get("results")) {
        Map<?, ?> r = (Map<?, ?>) o;
        Integer i = ownerOf.get(String.valueOf(r.get("id")));
        if (i == null) {
          throw new IllegalStateException("[" + NAME + "] the model server returned an unknown candidate " + r.get("id"));
        }
        best[i] = Math.max(best[i], ((Number) r.get("score")).floatValue());
      }
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        if (best[i] == Float.NEGATIVE_INFINITY) {
          throw new IllegalStateException("[" + NAME + "] the model server returned no score for hit " + i);
        }
        order[i] = i;
      }
      // stable: equal reranker scores keep the first-stage order
      Arrays.sort(order, (a, b) -> Float.compare(best[b], best[a]));
      ScoreDoc[] out = new ScoreDoc[hits.length];
      for (int r = 0; r < n; r++) {
        ScoreDoc h = hits[order[r]];
        out[r] = new ScoreDoc(h.doc, positive(best[order[r]]), h.shardIndex);
        ctx.explained.put(h.doc, new Explained(out[r].score, ctx.spec.reranker + " scored the hit's best passage " + best[order[r]]
            + " (window rank " + (r + 1) + " of " + n + ", first-stage rank " + (order[r] + 1)
            + "); _score is that mapped onto positive numbers (s + 1 from 0 up, 1 / (1 - s) below)"));
      }
      float floor = out[n - 1].score;
      int tail = hits.length - n;
      for (int r = n; r < hits.length; r++) {
        // below the window, first-stage order kept, still positive
        out[r] = new ScoreDoc(hits[r].doc, floor * (hits.length - r) / (tail + 1), hits[r].shardIndex);
        ctx.explained.put(hits[r].doc, new Explained(out[r].score, "below the rescore window of " + n
            + ": first-stage rank " + (r + 1) + " kept, scored under the window's lowest score"));
      }
      return new TopDocs(topDocs.totalHits, out);
    }

    @Override
    public Explanation explain(int topLevelDocId, IndexSearcher searcher, RescoreContext ctx,
        Explanation sourceExplanation) {
      Context context = (Context) ctx;
      if (context.failure != null) {
        return Explanation.match(sourceExplanation.getValue(), "[" + NAME + "] reranking by " + context.spec.reranker
            + " failed, first-stage score kept: " + context.failure, sourceExplanation);
      }
      Explained how = context.explained.get(topLevelDocId);
      if (how == null) {
        // fetched in another request than the one that rescored (several shards): the scores are gone
        return Explanation.match(0f, "[" + NAME + "] reranked by " + context.spec.reranker + "; the score is not "
            + "explained when the shard fetches apart from rescoring (several shards); the hit's _score is the "
            + "reranked score", sourceExplanation);
      }
      return Explanation.match(how.score(), "[" + NAME + "] " + how.how(), sourceExplanation);
    }
  };
}
