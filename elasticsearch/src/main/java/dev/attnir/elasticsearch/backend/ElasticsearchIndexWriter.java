package dev.attnir.elasticsearch.backend;

import co.elastic.clients.elasticsearch._helpers.bulk.BulkIngester;
import co.elastic.clients.elasticsearch._helpers.bulk.BulkListener;
import co.elastic.clients.elasticsearch.core.BulkRequest;
import co.elastic.clients.elasticsearch.core.BulkResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import co.elastic.clients.transport.BackoffPolicy;
import com.fasterxml.jackson.databind.JsonNode;
import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.EmbeddingIdentity;
import dev.attnir.encoders.EncodingReport;
import dev.attnir.encoders.StatefulPooling;
import dev.attnir.indexer.CorpusFingerprint;
import dev.attnir.indexer.IndexException;
import dev.attnir.indexer.IndexManifest;
import dev.attnir.indexer.Passage;
import dev.attnir.indexer.PassageEncoder;
import dev.attnir.indexer.PassageIndexWriter;
import dev.attnir.indexer.PassageSettings;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Elasticsearch sink beside {@link PassageIndexWriter}: creates the index (mapping, BM25 similarity settings and
 * the {@link IndexManifest} in {@code _meta}, see {@link PassageIndexLayout}) and writes {@link PassageEncoder} output
 * as one document per source document with its passages nested, through the client's {@link BulkIngester}.
 *
 * <p>Deviations from the Lucene writer, which Elasticsearch imposes:
 *
 * <ul>
 *   <li>Written documents become visible at the cluster's refresh, not only at {@link #commit()}; there is no
 *       rollback, so {@link #close()} without a commit leaves what was sent (the manifest's counts and fingerprint are
 *       updated only by a commit).
 *   <li>A document the cluster rejects does not fail the write: the others are written, and {@link #commit()} throws a
 *       {@link PartialWriteException} naming every rejected id with the cluster's reason, after committing the rest.
 *       Rejections for overload (HTTP 429) are first retried with exponential backoff. Vectors are checked by the
 *       cluster (a wrong dimension is one rejected document, not a failed batch).
 *   <li>The manifest is not atomic with the data: {@link #commit()} refreshes, counts and then writes the new
 *       manifest into the mapping's {@code _meta}; a failure between leaves the previous manifest's counts and
 *       fingerprint until the next commit.
 *   <li>{@link PassageIndexWriter.Mode#OVERWRITE} deletes the index at once, not at the first commit.
 *   <li>The BM25 parameters of an existing index are kept on append (Elasticsearch fixes them per index).
 * </ul>
 */
public final class ElasticsearchIndexWriter implements AutoCloseable {

  private final ElasticsearchConnection connection;
  private final String index;
  private final String where;
  private final PassageEncoder encoder;
  private final ElasticsearchIndexOptions options;
  private final Map<String, String> failures = new ConcurrentHashMap<>();
  private IndexManifest manifest;
  private BulkIngester<String> ingester;
  private EncodingReport encoding = EncodingReport.empty();

  private ElasticsearchIndexWriter(ElasticsearchConnection connection, String index, PassageEncoder encoder,
      ElasticsearchIndexOptions options, IndexManifest manifest) {
    this.connection = connection;
    this.index = index;
    this.where = connection.where(index);
    this.encoder = encoder;
    this.options = options;
    this.manifest = manifest;
  }

  /**
   * Opens the index for writing, creating it when missing.
   *
   * @param analyzer attnir analyzer name ({@code english-porter} needs the attnir plugin on the nodes; without it the
   *     index is built with the {@code standard} analyzer and the manifest says so)
   * @param encoder how documents become passages and vectors
   * @throws IndexException when the index exists without an attnir manifest or was built differently (the
   *     differences are listed; the index is not modified)
   */
  public static ElasticsearchIndexWriter open(ElasticsearchConnection connection, String index, String analyzer,
      PassageEncoder encoder, ElasticsearchIndexOptions options, PassageIndexWriter.Mode mode) {
    ElasticsearchIndexWriter w = open(connection, index, analyzer, encoder.settings(), encoder.identity(), encoder,
        options, mode);
    if (encoder.embedder() != null && encoder.embedder().pooling() instanceof StatefulPooling stateful) {
      // before any passage: a committed manifest must never name state the cluster does not hold
      PoolingStateStore.write(connection, index, stateful.state());
    }
    return w;
  }

  /**
   * Opens the index for writing passages encoded elsewhere, built as {@code source} says (analyzer, passage settings,
   * embedding identity): the sink of a copy from another backend. Only {@link #write} works; {@link #add} needs an
   * encoder. A pooling's fitted state must be stored (see {@link PoolingStateStore}) before the first commit.
   *
   * @throws IndexException as {@link #open(ElasticsearchConnection, String, String, PassageEncoder,
   *     ElasticsearchIndexOptions, PassageIndexWriter.Mode)}, and when the nodes lack the analyzer {@code source}
   *     names (a copy must tokenize as the original did)
   */
  public static ElasticsearchIndexWriter openForCopy(ElasticsearchConnection connection, String index,
      IndexManifest source, ElasticsearchIndexOptions options, PassageIndexWriter.Mode mode) {
    return open(connection, index, source.analyzer(), source.passages(), source.embedding(), null, options, mode);
  }

  private static ElasticsearchIndexWriter open(ElasticsearchConnection connection, String index, String analyzer,
      PassageSettings settings, EmbeddingIdentity identity, PassageEncoder encoder, ElasticsearchIndexOptions options,
      PassageIndexWriter.Mode mode) {
    String where = connection.where(index);
    boolean plugin = ElasticsearchAnalyzers.pluginInstalled(connection);
    String resolved = ElasticsearchAnalyzers.resolve(analyzer, plugin, where);
    if (encoder == null && !resolved.equals(analyzer)) {
      throw new IndexException(IndexException.Reason.INCOMPATIBLE, "cannot copy an index analyzed with " + analyzer
          + " into " + where + ": the nodes analyze with " + resolved + " (install the attnir plugin)");
    }
    IndexManifest requested = IndexManifest.create(resolved, settings, identity);
    if (mode == PassageIndexWriter.Mode.OVERWRITE) {
      connection.json("DELETE", "/" + index, null, true);
      PoolingStateStore.delete(connection, index);
    }
    JsonNode existing = connection.json("GET", "/" + index, null, true);
    if (existing != null) {
      JsonNode metadata = existing.path(index);
      IndexManifest built = PassageIndexLayout.manifest(metadata, where);
      List<String> differences = built.buildDifferences(requested);
      if (!differences.isEmpty()) {
        throw new IndexException(IndexException.Reason.INCOMPATIBLE, where
            + " was built differently; it was not modified. Differences: " + String.join("; ", differences)
            + ". Use a new index name, or overwrite it explicitly.");
      }
      List<String> mapping = PassageIndexLayout.mappingDifferences(metadata, built);
      if (!mapping.isEmpty()) {
        throw new IndexException(IndexException.Reason.INCOMPATIBLE, where + " has a mapping attnir cannot write "
            + "to; it was not modified: " + String.join("; ", mapping));
      }
      requested = built;
    } else {
      connection.json("PUT", "/" + index, PassageIndexLayout.createBody(requested,
          PassageIndexLayout.esAnalyzer(resolved, plugin), options), false);
    }
    return new ElasticsearchIndexWriter(connection, index, encoder, options, requested);
  }

  /** The ingest pipeline {@link #openForPipeline} creates: the attnir plugin's processor, fields {@code title, text}. */
  public static final String PIPELINE = "attnir-embed";

  /**
   * Opens an existing attnir index to be filled with documents sent as text and embedded by the cluster (the attnir
   * plugin's {@code attnir_embed} processor, in the pipeline {@value #PIPELINE}, which this creates or replaces):
   * nothing is encoded here. The index's manifest says how the cluster embeds; {@link #commit} recomputes its
   * counts and fingerprint from what the processor wrote. Only {@link #addAsText} works.
   *
   * @throws IndexException when the index is missing, has no attnir manifest or a mapping attnir cannot write to
   */
  public static ElasticsearchIndexWriter openForPipeline(ElasticsearchConnection connection, String index,
      ElasticsearchIndexOptions options) {
    String where = connection.where(index);
    JsonNode existing = connection.json("GET", "/" + index, null, true);
    if (existing == null) {
      throw new IndexException(IndexException.Reason.MISSING, where + " does not exist: the cluster embeds as an "
          + "index's manifest says, so create the index first (attnir index --corpus EMPTY.jsonl --backend URL "
          + "--index NAME with the model, pooling and passage options), then send documents to it");
    }
    IndexManifest built = PassageIndexLayout.manifest(existing.path(index), where);
    List<String> mapping = PassageIndexLayout.mappingDifferences(existing.path(index), built);
    if (!mapping.isEmpty()) {
      throw new IndexException(IndexException.Reason.INCOMPATIBLE, where + " has a mapping attnir cannot write "
          + "to; it was not modified: " + String.join("; ", mapping));
    }
    if (!built.hasVectors()) {
      throw new IndexException(IndexException.Reason.INCOMPATIBLE, where + " has no vectors (BM25 only): there is "
          + "nothing for the cluster to embed; index it without --server-side-embedding");
    }
    try {
      connection.json("PUT", "/_ingest/pipeline/" + PIPELINE, PassageIndexLayout.toJson(Map.of("description",
          "attnir: documents as text (title, text) embedded by the model server as their attnir index says",
          "processors", List.of(Map.of("attnir_embed", Map.of("field", "text", "title_field", "title"))))), false);
    } catch (java.io.UncheckedIOException e) {
      throw new IllegalStateException(where + ": cannot create the ingest pipeline " + PIPELINE + " (is the attnir "
          + "plugin installed on the nodes?): " + e.getCause().getMessage(), e);
    }
    return new ElasticsearchIndexWriter(connection, index, null, options, built);
  }

  /**
   * Sends documents as text through the {@value #PIPELINE} pipeline (opened with {@link #openForPipeline}); each
   * replaces any indexed document with the same id. Documents the cluster rejects are reported by {@link #commit()}.
   */
  public void addAsText(List<Document> documents) {
    for (Document d : documents) {
      Map<String, Object> source = new LinkedHashMap<>();
      source.put("title", d.title());
      source.put("text", d.text());
      failures.remove(d.id());
      ingester().add(op -> op.index(i -> i.index(index).id(d.id()).pipeline(PIPELINE).document(source)), d.id());
    }
  }

  /** The manifest as the next commit will record it (counts as of the last commit). */
  public IndexManifest manifest() {
    return manifest;
  }

  /** How messages name the index. */
  public String where() {
    return where;
  }

  /** Encoding work done so far. */
  public EncodingReport encodingReport() {
    return encoding;
  }

  /**
   * Splits, embeds and sends documents; each replaces any indexed document with the same id.
   *
   * @return the number of passages sent
   */
  public int add(List<Document> documents, ProgressListener passageProgress) {
    if (encoder == null) {
      throw new IllegalStateException(where + " was opened for a copy of encoded passages; use write()");
    }
    PassageEncoder.Encoded encoded = encoder.encode(documents, passageProgress);
    encoding = encoding.plus(encoded.encoding());
    write(encoded.passages(), encoded.vectors(), encoded.digests());
    return encoded.passages().size();
  }

  /**
   * The sink: sends encoded passages, one Elasticsearch document per source document (its passages must be
   * consecutive). Rejected documents are reported by {@link #commit()}.
   *
   * @param vectors one vector per passage, or null for a BM25-only index
   * @param digests each document's {@link CorpusFingerprint#digest}, by id, or null (the committed fingerprint is
   *     then unknown)
   */
  public void write(List<Passage> passages, float[][] vectors, Map<String, byte[]> digests) {
    if ((vectors != null) != manifest.hasVectors()) {
      throw new IllegalArgumentException(where + (manifest.hasVectors() ? " needs a vector per passage"
          : " has no vectors (BM25 only) but vectors were given"));
    }
    for (Map.Entry<String, Map<String, Object>> e : PassageDocuments.sources(passages, vectors, digests).entrySet()) {
      String docId = e.getKey();
      Map<String, Object> source = e.getValue();
      failures.remove(docId);
      ingester().add(op -> op.index(i -> i.index(index).id(docId).document(source)), docId);
    }
  }

  private BulkIngester<String> ingester() {
    if (ingester == null) {
      ingester = BulkIngester.of(b -> b.client(connection.client())
          .maxOperations(options.bulkOperations())
          .maxConcurrentRequests(1)
          .backoffPolicy(BackoffPolicy.exponentialBackoff(50L, options.bulkRetries()))
          .listener(new FailureRecorder()));
    }
    return ingester;
  }

  /** Records every document a bulk request did not write, by id. */
  private final class FailureRecorder implements BulkListener<String> {
    @Override
    public void beforeBulk(long executionId, BulkRequest request, List<String> docIds) {}

    @Override
    public void afterBulk(long executionId, BulkRequest request, List<String> docIds, BulkResponse response) {
      List<BulkResponseItem> items = response.items();
      for (int i = 0; i < items.size(); i++) {
        BulkResponseItem item = items.get(i);
        if (item.error() != null) {
          String id = item.id() != null ? item.id() : docIds.get(i);
          failures.put(id, "HTTP " + item.status() + " " + item.error().type() + ": " + item.error().reason()
              + (item.error().causedBy() != null ? " (" + item.error().causedBy().reason() + ")" : ""));
        }
      }
    }

    @Override
    public void afterBulk(long executionId, BulkRequest request, List<String> docIds, Throwable failure) {
      String reason = connection.failure("bulk request", failure instanceof Exception e ? e
          : new RuntimeException(failure)).getMessage();
      for (String id : docIds) {
        failures.put(id, reason);
      }
    }
  }

  /**
   * Waits for every sent document, refreshes the index and records the manifest with the documents, passages and
   * corpus fingerprint the index now holds.
   *
   * @throws PartialWriteException after committing, when documents were rejected (each named with its reason)
   */
  public IndexManifest commit() {
    if (ingester != null) {
      // close() waits for in-flight requests and their retries; the next write opens a new ingester
      ingester.close();
      ingester = null;
    }
    connection.json("POST", "/" + index + "/_refresh", null, false);
    JsonNode counts = connection.json("POST", "/" + index + "/_search", PassageIndexLayout.toJson(Map.of(
        "size", 0, "track_total_hits", true,
        "aggs", Map.of("passages", Map.of("sum", Map.of("field", PassageIndexLayout.PASSAGE_COUNT))))), false);
    long docs = counts.path("hits").path("total").path("value").asLong();
    long passageCount = counts.path("aggregations").path("passages").path("value").asLong();
    manifest = manifest.withContents(docs, passageCount, corpusFingerprint());
    connection.json("PUT", "/" + index + "/_mapping", PassageIndexLayout.metaBody(manifest), false);
    if (!failures.isEmpty()) {
      Map<String, String> failed = new LinkedHashMap<>(failures);
      failures.clear();
      throw new PartialWriteException(where, failed, manifest);
    }
    return manifest;
  }

  /** Sums the digests of every document (recomputed at each commit, as the Lucene writer does); null when any lacks one. */
  private String corpusFingerprint() {
    CorpusFingerprint fingerprint = new CorpusFingerprint();
    List<Object> after = null;
    while (true) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("size", 1000);
      body.put("_source", List.of(PassageIndexLayout.DOC_DIGEST));
      body.put("sort", List.of(Map.of(PassageIndexLayout.DOC_ID, "asc")));
      if (after != null) {
        body.put("search_after", after);
      }
      JsonNode hits = connection.json("POST", "/" + index + "/_search", PassageIndexLayout.toJson(body), false)
          .path("hits").path("hits");
      if (hits.isEmpty()) {
        return fingerprint.value();
      }
      for (JsonNode hit : hits) {
        JsonNode digest = hit.path("_source").path(PassageIndexLayout.DOC_DIGEST);
        if (!digest.isTextual()) {
          return null;
        }
        fingerprint.add(HexFormat.of().parseHex(digest.asText()));
      }
      after = List.of(hits.get(hits.size() - 1).path("sort").get(0).asText());
    }
  }

  /**
   * Stops sending: waits for documents already handed to the bulk ingester, but records no manifest (see the class
   * comment: what reached the cluster stays).
   */
  @Override
  public void close() {
    if (ingester != null) {
      ingester.close();
      ingester = null;
    }
  }
}
