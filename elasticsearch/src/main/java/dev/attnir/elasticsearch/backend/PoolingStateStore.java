package dev.attnir.elasticsearch.backend;

import com.fasterxml.jackson.databind.JsonNode;
import dev.attnir.encoders.Digests;
import java.util.Base64;
import java.util.Map;

/**
 * Fitted and trained pooling state kept in the cluster, not on a local disk (a searcher on another machine needs
 * it): a side index {@code <index>-attnir-state} with one document per state, its id the state's SHA-256 and the bytes
 * in a {@code binary} field (base64 in the source). Written before any passage, so a committed manifest never names
 * state the cluster lacks; the id lets a reader verify the content.
 */
final class PoolingStateStore {

  private static final String FIELD = "state";

  private PoolingStateStore() {}

  static String indexFor(String index) {
    return index + "-attnir-state";
  }

  /** Stores the state (refreshed, so it is readable at once); returns its digest. */
  static String write(ElasticsearchConnection connection, String index, byte[] state) {
    String sha = Digests.sha256(state);
    String side = indexFor(index);
    if (connection.json("GET", "/" + side, null, true) == null) {
      connection.json("PUT", "/" + side, PassageIndexLayout.toJson(Map.of(
          "settings", Map.of("index", Map.of("number_of_shards", 1, "number_of_replicas", 0)),
          "mappings", Map.of("dynamic", "strict", "properties", Map.of(FIELD, Map.of("type", "binary"))))), false);
    }
    connection.json("PUT", "/" + side + "/_doc/" + sha + "?refresh=true",
        PassageIndexLayout.toJson(Map.of(FIELD, Base64.getEncoder().encodeToString(state))), false);
    return sha;
  }

  /** The state with this digest, or null when the cluster has none (the caller verifies the content). */
  static byte[] read(ElasticsearchConnection connection, String index, String sha256) {
    if (!sha256.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("not a SHA-256 digest: " + sha256);
    }
    JsonNode doc = connection.json("GET", "/" + indexFor(index) + "/_doc/" + sha256, null, true);
    if (doc == null || !doc.path("found").asBoolean(false)) {
      return null;
    }
    return Base64.getDecoder().decode(doc.path("_source").path(FIELD).asText());
  }

  /** Deletes the side index, if any (overwriting an index). */
  static void delete(ElasticsearchConnection connection, String index) {
    connection.json("DELETE", "/" + indexFor(index), null, true);
  }
}
