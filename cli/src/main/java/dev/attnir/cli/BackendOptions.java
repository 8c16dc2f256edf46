package dev.attnir.cli;

import dev.attnir.elasticsearch.backend.ElasticsearchConnection;
import dev.attnir.elasticsearch.backend.ElasticsearchSearchBackend;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.indexer.Searcher;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --backend} and the Elasticsearch credentials: where the index lives. Without {@code --backend}, {@code --index}
 * is a local Lucene index directory; with it, {@code --index} names an index of that Elasticsearch cluster.
 */
final class BackendOptions implements OptionChecks.Checked {

  /** Environment variable read for the password when {@code --es-user} is given without {@code --es-password}. */
  static final String PASSWORD_ENV = "ATTNIR_ES_PASSWORD";

  @Option(names = "--backend", paramLabel = "URL",
      description = "An Elasticsearch node (http://host:port or https://host:port): --index then names an index of "
          + "that cluster. Default: a local Lucene index directory.")
  String url;

  @Option(names = "--server-side-embedding",
      description = "With --backend: queries are embedded by the cluster (the attnir plugin's _attnir/embed, which "
          + "asks its model server to embed as the index does), so no model is loaded here.")
  boolean serverSideEmbedding;

  @Option(names = "--es-api-key", paramLabel = "KEY",
      description = "Elasticsearch API key (the base64 'encoded' form), for a cluster with security on.")
  String apiKey;

  @Option(names = "--es-user", paramLabel = "USER", description = "Elasticsearch user (basic authentication).")
  String user;

  @Option(names = "--es-password", paramLabel = "PASSWORD",
      description = "Password of --es-user. Default: the " + PASSWORD_ENV + " environment variable (keeps it out of "
          + "the process list).")
  String password;

  @Override
  public void checkOptions() {
    if (url == null && serverSideEmbedding) {
      throw new IllegalArgumentException("--server-side-embedding needs --backend URL (a cluster with the attnir "
          + "plugin)");
    }
    if (url == null && (apiKey != null || user != null || password != null)) {
      throw new IllegalArgumentException("--es-api-key, --es-user and --es-password need --backend URL");
    }
    if (apiKey != null && user != null) {
      throw new IllegalArgumentException("give --es-api-key or --es-user, not both");
    }
    if (password != null && user == null) {
      throw new IllegalArgumentException("--es-password needs --es-user");
    }
    if (user != null && password == null && System.getenv(PASSWORD_ENV) == null) {
      throw new IllegalArgumentException("--es-user " + user + " needs --es-password or the " + PASSWORD_ENV
          + " environment variable");
    }
  }

  boolean elasticsearch() {
    return url != null;
  }

  ElasticsearchConnection.Credentials credentials() {
    if (apiKey != null) {
      return ElasticsearchConnection.Credentials.apiKey(apiKey);
    }
    if (user != null) {
      return ElasticsearchConnection.Credentials.basic(user, password != null ? password : System.getenv(PASSWORD_ENV));
    }
    return ElasticsearchConnection.Credentials.none();
  }

  ElasticsearchConnection connect() {
    return ElasticsearchConnection.open(url, credentials());
  }

  /** The Elasticsearch index {@code --index} names (lowercase, no path separators: Elasticsearch's rules). */
  static String indexName(Path index) {
    String name = index.toString();
    if (name.isEmpty() || !name.equals(name.toLowerCase(java.util.Locale.ROOT)) || name.contains("/")
        || name.contains("\\") || name.startsWith("-") || name.startsWith("_") || name.startsWith("+")
        || name.contains(" ") || name.contains(",") || name.contains("*") || name.contains("?")) {
      throw new IllegalArgumentException("--index " + name + " is not a valid Elasticsearch index name with "
          + "--backend (lowercase, no / \\ , * ? or spaces, not starting with - _ +)");
    }
    return name;
  }

  /** A searcher over {@code --index}: a Lucene directory, or the Elasticsearch index with {@code --backend}. */
  Searcher openSearcher(Path index, String modelOverride, EncoderOptions options, boolean verifyChecksums) {
    if (!elasticsearch()) {
      return Searcher.open(index, modelOverride, options, verifyChecksums);
    }
    ElasticsearchSearchBackend backend = ElasticsearchSearchBackend.connect(url, credentials(), indexName(index));
    if (serverSideEmbedding && backend.manifest().hasVectors()) {
      try {
        return Searcher.over(backend, backend.where(), backend.serverSideQueryEmbedder());
      } catch (RuntimeException e) {
        backend.close();
        throw e;
      }
    }
    return Searcher.over(backend, backend.where(), modelOverride, options);
  }
}
