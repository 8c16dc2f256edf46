package dev.attnir.elasticsearch.backend;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.attnir.indexer.IndexException;
import dev.attnir.indexer.IndexManifest;
import dev.attnir.indexer.search.LuceneVectors;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The layout of an attnir index in Elasticsearch: one document per source document (its {@code _id} is the document
 * id) holding its passages as {@code nested} objects, the {@link IndexManifest} in the mapping's {@code _meta}, and
 * BM25 parameters as the index's similarity settings.
 *
 * <p>Why nested rather than parent/child ({@code join}): a nested document is indexed as one Lucene block, so
 * replacing a document replaces all its passages atomically, exactly as the Lucene writer's
 * {@code updateDocuments(term, passages)} does; and a nested kNN or nested query scores each document by its best
 * passage and returns it once, which is max-passage aggregation done natively (joins need a second routing key,
 * give no block atomicity and no nested kNN). Each passage is still its own Lucene document, so BM25 length norms and
 * collection statistics are per passage, as in the Lucene backend.
 */
final class PassageIndexLayout {

  /** Key of the manifest (its JSON text, the form Lucene commits hold) in the mapping's {@code _meta}. */
  static final String META_KEY = "attnir_manifest";
  /** Name of the index's BM25 similarity (settings {@code index.similarity.attnir_bm25}). */
  static final String SIMILARITY = "attnir_bm25";

  static final String DOC_ID = "doc_id";
  static final String PASSAGE_COUNT = "passage_count";
  /** The document's {@code CorpusFingerprint} digest, hex (doc values only): commits sum them. */
  static final String DOC_DIGEST = "doc_digest";
  static final String PASSAGES = "passages";
  static final String ORDINAL = "ordinal";
  static final String START = "start";
  static final String END = "end";
  static final String CONTENTS = "contents";
  static final String VECTOR = "vector";

  static String nested(String field) {
    return PASSAGES + "." + field;
  }

  private PassageIndexLayout() {}

  /** The Elasticsearch analyzer for one of ours, or null when the node has none matching. */
  static String esAnalyzer(String attnirAnalyzer, boolean pluginInstalled) {
    return switch (attnirAnalyzer) {
      // the attnir plugin registers the english-porter chain under this name
      case "english-porter" -> pluginInstalled ? "attnir_english" : null;
      // Elasticsearch's standard analyzer: standard tokenizer, lowercase, no stop words, as our "standard" chain
      case "standard" -> "standard";
      default -> null;
    };
  }

  /** The {@code dense_vector} similarity for an embedding: the one the Lucene backend chooses. */
  static String esSimilarity(IndexManifest manifest) {
    return switch (LuceneVectors.function(manifest.embedding())) {
      case DOT_PRODUCT -> "dot_product";
      case COSINE -> "cosine";
      case MAXIMUM_INNER_PRODUCT -> "max_inner_product";
      case EUCLIDEAN -> "l2_norm";
    };
  }

  /** The body of the create-index request. */
  static String createBody(IndexManifest manifest, String esAnalyzer, ElasticsearchIndexOptions options) {
    Map<String, Object> bm25 = new LinkedHashMap<>();
    bm25.put("type", "BM25");
    bm25.put("k1", options.bm25().k1());
    bm25.put("b", options.bm25().b());
    Map<String, Object> index = new LinkedHashMap<>();
    index.put("number_of_shards", options.shards());
    index.put("number_of_replicas", options.replicas());
    index.put("similarity", Map.of(SIMILARITY, bm25));

    Map<String, Object> passage = new LinkedHashMap<>();
    passage.put(ORDINAL, Map.of("type", "integer"));
    passage.put(START, Map.of("type", "integer", "index", false));
    passage.put(END, Map.of("type", "integer", "index", false));
    passage.put(CONTENTS, Map.of("type", "text", "analyzer", esAnalyzer, "similarity", SIMILARITY));
    if (manifest.hasVectors()) {
      Map<String, Object> vector = new LinkedHashMap<>();
      vector.put("type", "dense_vector");
      vector.put("dims", manifest.embedding().dimension());
      vector.put("index", true);
      vector.put("similarity", esSimilarity(manifest));
      vector.put("index_options", options.vectors().toMapping());
      passage.put(VECTOR, vector);
    }
    Map<String, Object> properties = new LinkedHashMap<>();
    properties.put(DOC_ID, Map.of("type", "keyword"));
    properties.put(PASSAGE_COUNT, Map.of("type", "integer"));
    properties.put(DOC_DIGEST, Map.of("type", "keyword", "index", false));
    properties.put(PASSAGES, Map.of("type", "nested", "properties", passage));

    Map<String, Object> mappings = new LinkedHashMap<>();
    mappings.put("dynamic", "strict");
    mappings.put("_meta", Map.of(META_KEY, manifest.toJson()));
    mappings.put("properties", properties);
    return toJson(Map.of("settings", Map.of("index", index), "mappings", mappings));
  }

  /** The body of the put-mapping request that records a new manifest. */
  static String metaBody(IndexManifest manifest) {
    return toJson(Map.of("_meta", Map.of(META_KEY, manifest.toJson())));
  }

  static String toJson(Object o) {
    try {
      return ElasticsearchConnection.JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The manifest of an index from its {@code GET /<index>} metadata.
   *
   * @throws IndexException when the index has no attnir manifest
   */
  static IndexManifest manifest(JsonNode indexMetadata, String where) {
    JsonNode meta = indexMetadata.path("mappings").path("_meta").path(META_KEY);
    if (!meta.isTextual()) {
      throw new IndexException(IndexException.Reason.INCOMPATIBLE, where
          + " is an Elasticsearch index without an attnir manifest (mapping _meta." + META_KEY + ")");
    }
    return IndexManifest.fromJson(meta.asText());
  }

  /**
   * What the mapping lacks for searching an index with this manifest: every missing or differently typed field, and a
   * vector field whose dimension or similarity differs from the manifest's embedding. Empty when searchable.
   */
  static List<String> mappingDifferences(JsonNode indexMetadata, IndexManifest manifest) {
    List<String> d = new ArrayList<>();
    JsonNode passages = indexMetadata.path("mappings").path("properties").path(PASSAGES);
    if (!"nested".equals(passages.path("type").asText())) {
      d.add("field " + PASSAGES + ": expected type nested, mapping has "
          + (passages.isMissingNode() ? "no such field" : passages.path("type").asText("object")));
      return d;
    }
    JsonNode p = passages.path("properties");
    expectType(d, p, ORDINAL, "integer");
    expectType(d, p, START, "integer");
    expectType(d, p, END, "integer");
    expectType(d, p, CONTENTS, "text");
    if (!"text".equals(p.path(CONTENTS).path("type").asText())) {
      return d;
    }
    if (!SIMILARITY.equals(p.path(CONTENTS).path("similarity").asText())) {
      d.add("field " + nested(CONTENTS) + ": expected similarity " + SIMILARITY + ", mapping has "
          + p.path(CONTENTS).path("similarity").asText("the default"));
    }
    if (manifest.hasVectors()) {
      JsonNode v = p.path(VECTOR);
      if (expectType(d, p, VECTOR, "dense_vector")) {
        if (v.path("dims").asInt(-1) != manifest.embedding().dimension()) {
          d.add("field " + nested(VECTOR) + ": manifest has dimension " + manifest.embedding().dimension()
              + ", mapping has " + v.path("dims").asText("none"));
        }
        if (!esSimilarity(manifest).equals(v.path("similarity").asText())) {
          d.add("field " + nested(VECTOR) + ": the manifest's embedding needs similarity " + esSimilarity(manifest)
              + ", mapping has " + v.path("similarity").asText("none"));
        }
      }
    }
    return d;
  }

  private static boolean expectType(List<String> d, JsonNode properties, String field, String type) {
    JsonNode f = properties.path(field);
    if (!type.equals(f.path("type").asText())) {
      d.add("field " + nested(field) + ": expected type " + type + ", mapping has "
          + (f.isMissingNode() ? "no such field" : f.path("type").asText("object")));
      return false;
    }
    return true;
  }
}
