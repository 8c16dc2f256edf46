package dev.attnir.elasticsearch.backend;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.attnir.encoders.EmbeddingIdentity;
import dev.attnir.encoders.QueryEmbedder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Query vectors computed by the cluster: the attnir plugin's {@code POST /{index}/_attnir/embed}, which has the
 * model server embed as the index embeds. Nothing is loaded on this side. The identity is the one the cluster reports
 * for its vectors (asked once, at construction), so dense retrieval's identity check compares what the cluster
 * actually computes with the index's manifest.
 */
public final class ServerSideQueryEmbedder implements QueryEmbedder {

  /** Texts per request (the model server's limit). */
  static final int CHUNK = 4096;

  private final ElasticsearchConnection connection;
  private final String index;
  private final EmbeddingIdentity identity;

  /**
   * @throws ServerSideEmbeddingException when the cluster has no attnir plugin with this route, or its model server
   *     fails
   */
  ServerSideQueryEmbedder(ElasticsearchConnection connection, String index) {
    this.connection = connection;
    this.index = index;
    JsonNode probe = post(List.of("identity"));
    try {
      this.identity = ElasticsearchConnection.JSON.treeToValue(probe.path("identity"), EmbeddingIdentity.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(connection.where(index) + ": the cluster's _attnir/embed answered an identity "
          + "this client cannot read: " + e.getOriginalMessage(), e);
    }
  }

  @Override
  public EmbeddingIdentity identity() {
    return identity;
  }

  @Override
  public float[][] embedQueries(List<String> queries) {
    float[][] out = new float[queries.size()][];
    for (int from = 0; from < queries.size(); from += CHUNK) {
      List<String> chunk = queries.subList(from, Math.min(queries.size(), from + CHUNK));
      JsonNode vectors = post(chunk).path("vectors");
      if (vectors.size() != chunk.size()) {
        throw new IllegalStateException(connection.where(index) + ": _attnir/embed returned " + vectors.size()
            + " vectors for " + chunk.size() + " queries");
      }
      for (int i = 0; i < chunk.size(); i++) {
        JsonNode row = vectors.get(i);
        float[] v = new float[row.size()];
        for (int j = 0; j < v.length; j++) {
          v[j] = (float) row.get(j).asDouble();
        }
        out[from + i] = v;
      }
    }
    return out;
  }

  private JsonNode post(List<String> texts) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("input", "query");
    body.put("texts", texts);
    JsonNode answer;
    try {
      answer = connection.json("POST", "/" + index + "/_attnir/embed", PassageIndexLayout.toJson(body), false);
    } catch (ElasticsearchUnreachableException e) {
      throw e;
    } catch (java.io.UncheckedIOException e) {
      String m = String.valueOf(e.getCause().getMessage());
      if (m.contains("no handler found") || m.contains("HTTP 405")) {
        throw new ServerSideEmbeddingException(connection.where(index) + ": the cluster cannot embed queries (no "
            + "attnir plugin with _attnir/embed); drop --server-side-embedding to embed here", e);
      }
      throw new ServerSideEmbeddingException(connection.where(index) + ": the cluster could not embed the queries: "
          + m, e);
    }
    return answer;
  }
}
