package dev.attnir.elasticsearch;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.elasticsearch.ElasticsearchStatusException;
import org.elasticsearch.common.Strings;
import org.elasticsearch.common.settings.Setting;
import org.elasticsearch.common.settings.Setting.Property;
import org.elasticsearch.common.xcontent.XContentHelper;
import org.elasticsearch.core.TimeValue;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.xcontent.XContentBuilder;
import org.elasticsearch.xcontent.XContentFactory;
import org.elasticsearch.xcontent.XContentType;

/**
 * The node's side of {@code attnir serve}: blocking JSON POSTs to the loopback model server, on the plugin's own
 * executor or a search thread, never a transport thread. Models run in the server's process, so a native crash there
 * cannot take the node down (docs/elasticsearch-inference-spike.md, "Decision").
 *
 * <p>Errors: a 4xx answer (unknown model, bad field, index without an attnir manifest) is the request's fault and
 * becomes a 400 naming the server's reason; an unreachable server, a timeout or a 5xx becomes a 502 ("bad gateway")
 * naming the server's address, so a caller can tell "fix your request" from "the model server is down".
 */
final class ModelServerClient {

  /** Where the model server listens (dynamic: pointing the cluster at a restarted server needs no node restart). */
  static final Setting<String> URL = Setting.simpleString("attnir.model_server.url", "http://127.0.0.1:8765",
      ModelServerClient::validateUrl, Property.NodeScope, Property.Dynamic);
  /**
   * How the model server reaches this cluster to read an index's manifest and pooling state (its HTTP address as
   * seen from the server's host).
   */
  static final Setting<String> ELASTICSEARCH_URL = Setting.simpleString("attnir.model_server.elasticsearch_url",
      "http://127.0.0.1:9200", ModelServerClient::validateUrl, Property.NodeScope, Property.Dynamic);
  /** Longest wait for one answer (loading a model on first use included). */
  static final Setting<TimeValue> TIMEOUT = Setting.timeSetting("attnir.model_server.timeout",
      TimeValue.timeValueSeconds(60), TimeValue.timeValueMillis(100), Property.NodeScope, Property.Dynamic);

  static List<Setting<?>> settings() {
    return List.of(URL, ELASTICSEARCH_URL, TIMEOUT);
  }

  private static void validateUrl(String url) {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a URL: [" + url + "]: " + e.getMessage(), e);
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
      throw new IllegalArgumentException("expected an http(s)://host:port URL, got [" + url + "]");
    }
  }

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private volatile String url;
  private volatile String elasticsearchUrl;
  private volatile TimeValue timeout;

  ModelServerClient(String url, String elasticsearchUrl, TimeValue timeout) {
    this.url = stripSlash(url);
    this.elasticsearchUrl = stripSlash(elasticsearchUrl);
    this.timeout = timeout;
  }

  void setUrl(String url) {
    this.url = stripSlash(url);
  }

  void setElasticsearchUrl(String url) {
    this.elasticsearchUrl = stripSlash(url);
  }

  void setTimeout(TimeValue timeout) {
    this.timeout = timeout;
  }

  String url() {
    return url;
  }

  /** This cluster's address as the server should use it ({@code backend} of index-named requests). */
  String elasticsearchUrl() {
    return elasticsearchUrl;
  }

  private static String stripSlash(String u) {
    return u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
  }

  /**
   * POSTs {@code body} as JSON to {@code route} and returns the parsed answer.
   *
   * @throws ElasticsearchStatusException 400 with the server's reason for a request it refused, 502 when the server
   *     cannot be reached or failed
   */
  Map<String, Object> post(String route, Map<String, Object> body) {
    String base = url;
    String json;
    try (XContentBuilder b = XContentFactory.jsonBuilder()) {
      b.map(body);
      json = Strings.toString(b);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + route))
        .timeout(Duration.ofMillis(timeout.millis()))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json))
        .build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new ElasticsearchStatusException("attnir model server " + base + " unreachable: "
          + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()),
          RestStatus.BAD_GATEWAY, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ElasticsearchStatusException("interrupted waiting for the attnir model server " + base,
          RestStatus.SERVICE_UNAVAILABLE, e);
    }
    Map<String, Object> answer;
    try {
      answer = XContentHelper.convertToMap(XContentType.JSON.xContent(), response.body(), true);
    } catch (RuntimeException e) {
      throw new ElasticsearchStatusException("attnir model server " + base + route + " answered HTTP "
          + response.statusCode() + " with a body that is not JSON", RestStatus.BAD_GATEWAY, e);
    }
    if (response.statusCode() == 200) {
      return answer;
    }
    String reason = answer.get("error") instanceof Map<?, ?> error ? String.valueOf(error.get("reason"))
        : response.body();
    if (response.statusCode() >= 400 && response.statusCode() < 500 && response.statusCode() != 408
        && response.statusCode() != 429) {
      throw new ElasticsearchStatusException("attnir model server refused the request: " + reason,
          RestStatus.BAD_REQUEST);
    }
    throw new ElasticsearchStatusException("attnir model server " + base + route + " failed (HTTP "
        + response.statusCode() + "): " + reason, RestStatus.BAD_GATEWAY);
  }

  /** True when the failure is the request's fault (a 400), not the server's or the network's. */
  static boolean isBadRequest(Exception e) {
    return e instanceof ElasticsearchStatusException s && s.status() == RestStatus.BAD_REQUEST;
  }

  /** A vector from the server's JSON (numbers parse as doubles). */
  static float[] toFloats(Object row) {
    if (!(row instanceof List<?> values)) {
      throw new ElasticsearchStatusException("attnir model server sent a vector that is not an array",
          RestStatus.BAD_GATEWAY);
    }
    float[] v = new float[values.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = ((Number) values.get(i)).floatValue();
    }
    return v;
  }
}
