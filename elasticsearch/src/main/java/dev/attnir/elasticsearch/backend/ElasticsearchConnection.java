package dev.attnir.elasticsearch.backend;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import co.elastic.clients.transport.rest5_client.Rest5ClientTransport;
import co.elastic.clients.transport.rest5_client.low_level.Rest5Client;
import co.elastic.clients.transport.rest5_client.low_level.Rest5ClientBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import co.elastic.clients.transport.rest5_client.low_level.Request;
import co.elastic.clients.transport.rest5_client.low_level.Response;
import co.elastic.clients.transport.rest5_client.low_level.ResponseException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.message.BasicHeader;
import org.apache.hc.core5.util.Timeout;

/**
 * A client for one Elasticsearch cluster, named by the URL of a node. Connecting fails fast: a connect timeout of
 * {@link #CONNECT_TIMEOUT_SECONDS} seconds, and one node, so the low-level client has no other node to retry on (a
 * closed port is an error within the timeout, not a retry storm).
 */
public final class ElasticsearchConnection implements AutoCloseable {

  /** How long opening a TCP connection may take before the node counts as unreachable. */
  public static final int CONNECT_TIMEOUT_SECONDS = 3;
  /** How long one request may wait for its response (bulk writes and deep searches included). */
  public static final int RESPONSE_TIMEOUT_SECONDS = 120;

  /** How to authenticate: nothing (security off), an API key, or a user and password. */
  public record Credentials(String apiKey, String user, String password) {
    public static Credentials none() {
      return new Credentials(null, null, null);
    }

    /** An API key as Kibana or the {@code _security/api_key} API returns it (the base64 "encoded" form). */
    public static Credentials apiKey(String key) {
      return new Credentials(Objects.requireNonNull(key, "apiKey"), null, null);
    }

    public static Credentials basic(String user, String password) {
      return new Credentials(null, Objects.requireNonNull(user, "user"), Objects.requireNonNull(password, "password"));
    }

    Header header() {
      if (apiKey != null) {
        return new BasicHeader("Authorization", "ApiKey " + apiKey);
      }
      if (user != null) {
        String token = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        return new BasicHeader("Authorization", "Basic " + token);
      }
      return null;
    }
  }

  static final ObjectMapper JSON = new ObjectMapper();

  private final URI url;
  private final Rest5Client lowLevel;
  private final ElasticsearchClient client;

  private ElasticsearchConnection(URI url, Rest5Client lowLevel) {
    this.url = url;
    this.lowLevel = lowLevel;
    this.client = new ElasticsearchClient(new Rest5ClientTransport(lowLevel, new JacksonJsonpMapper()));
  }

  /**
   * A client for the cluster at {@code url} (e.g. {@code http://127.0.0.1:9200}). Nothing is sent yet: an unreachable
   * node shows on the first request, as an {@link UncheckedIOException} naming the URL (see {@link #failure}).
   */
  public static ElasticsearchConnection open(String url, Credentials credentials) {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not an Elasticsearch URL: '" + url + "' (expected http://host:port)", e);
    }
    if (uri.getScheme() == null || uri.getHost() == null || !(uri.getScheme().equals("http")
        || uri.getScheme().equals("https"))) {
      throw new IllegalArgumentException("not an Elasticsearch URL: '" + url + "' (expected http://host:port)");
    }
    Rest5ClientBuilder builder = Rest5Client.builder(uri)
        .setConnectionConfigCallback(c -> c.setConnectTimeout(Timeout.ofSeconds(CONNECT_TIMEOUT_SECONDS)))
        .setRequestConfigCallback(r -> r.setResponseTimeout(Timeout.ofSeconds(RESPONSE_TIMEOUT_SECONDS))
            .setConnectionRequestTimeout(Timeout.ofSeconds(RESPONSE_TIMEOUT_SECONDS)));
    Header auth = credentials.header();
    if (auth != null) {
      builder.setDefaultHeaders(new Header[] {auth});
    }
    return new ElasticsearchConnection(uri, builder.build());
  }

  /** The typed client. */
  public ElasticsearchClient client() {
    return client;
  }

  /**
   * One JSON request through the low-level client (index administration: the typed client adds nothing there but
   * a model of mappings and settings that this code reads a few fields of).
   *
   * @param body JSON body, or null
   * @return the parsed response, or null when the node answered 404 and {@code missingIsNull}
   * @throws UncheckedIOException naming the request and the node's error, or saying the node is unreachable
   */
  JsonNode json(String method, String path, String body, boolean missingIsNull) {
    Request request = new Request(method, path);
    if (body != null) {
      request.setJsonEntity(body);
    }
    try {
      Response response = lowLevel.performRequest(request);
      if (response.getStatusCode() == 404 && missingIsNull) {
        // the low-level client returns some 404s (HEAD, and a GET of a missing index) instead of throwing
        return null;
      }
      if (response.getStatusCode() >= 300) {
        throw new ResponseException(response);
      }
      if (response.getEntity() == null) {
        return JSON.createObjectNode();
      }
      try (InputStream in = response.getEntity().getContent()) {
        return JSON.readTree(in);
      }
    } catch (ResponseException e) {
      int status = e.getResponse().getStatusCode();
      if (status == 404 && missingIsNull) {
        return null;
      }
      throw new UncheckedIOException(new IOException(method + " " + path + " failed at " + url + " (HTTP " + status
          + "): " + errorReason(e), e));
    } catch (IOException | RuntimeException e) {
      throw failure(method + " " + path, e);
    }
  }

  private static String errorReason(ResponseException e) {
    try (InputStream in = e.getResponse().getEntity().getContent()) {
      JsonNode error = JSON.readTree(in).path("error");
      JsonNode root = error.path("root_cause").path(0);
      String reason = error.path("reason").asText(null);
      String rootReason = root.path("reason").asText(null);
      return reason == null ? e.getMessage()
          : rootReason != null && !rootReason.equals(reason) ? reason + " (" + rootReason + ")" : reason;
    } catch (IOException | RuntimeException ignored) {
      return e.getMessage();
    }
  }

  /** The node's own explanation of a failed typed request: its reason and the distinct root causes' reasons. */
  static String reason(co.elastic.clients.elasticsearch._types.ElasticsearchException e) {
    var error = e.error();
    java.util.LinkedHashSet<String> reasons = new java.util.LinkedHashSet<>();
    if (error.reason() != null) {
      reasons.add(error.reason());
    }
    error.rootCause().forEach(c -> reasons.add(c.type() + ": " + c.reason()));
    if (error.causedBy() != null) {
      reasons.add(error.causedBy().type() + ": " + error.causedBy().reason());
    }
    return "HTTP " + e.status() + " " + error.type() + ": " + String.join("; ", reasons);
  }

  /** The cluster's URL, as messages name it. */
  public URI url() {
    return url;
  }

  /** How messages name an index of this cluster. */
  public String where(String index) {
    return "Elasticsearch index '" + index + "' at " + url;
  }

  /**
   * What a failed request becomes: an unreachable node says so (with the URL and the connect timeout), anything else
   * keeps its message prefixed with what was being done.
   */
  public RuntimeException failure(String doing, Exception e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      if (root instanceof ConnectException) {
        break;
      }
      root = root.getCause();
    }
    if (root instanceof ConnectException || root instanceof java.net.SocketTimeoutException
        || root instanceof java.net.UnknownHostException) {
      String message = "cannot reach Elasticsearch at " + url + " while " + doing + " ("
          + root.getClass().getSimpleName() + ": " + root.getMessage() + "; connect timeout "
          + CONNECT_TIMEOUT_SECONDS + " s). Is the node running (bin/es-node status)?";
      return new ElasticsearchUnreachableException(message, e instanceof IOException io ? io : new IOException(e));
    }
    if (e instanceof RuntimeException r && !(e instanceof co.elastic.clients.elasticsearch._types.ElasticsearchException)) {
      return r;
    }
    if (e instanceof IOException io) {
      return new UncheckedIOException(doing + " failed at " + url + ": " + io.getMessage(), io);
    }
    return new IllegalStateException(doing + " failed at " + url + ": " + e.getMessage(), e);
  }

  @Override
  public void close() {
    try {
      lowLevel.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close the client of " + url, e);
    }
  }
}
