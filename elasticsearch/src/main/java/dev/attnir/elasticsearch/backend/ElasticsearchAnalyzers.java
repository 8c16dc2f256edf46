package dev.attnir.elasticsearch.backend;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.UncheckedIOException;
import java.util.Map;

/** Which of attnir's analyzers a cluster can run. */
final class ElasticsearchAnalyzers {

  private static final System.Logger LOG = System.getLogger(ElasticsearchAnalyzers.class.getName());

  private ElasticsearchAnalyzers() {}

  /** Whether the attnir plugin's {@code attnir_english} analyzer exists on the node (asked through {@code _analyze}). */
  static boolean pluginInstalled(ElasticsearchConnection connection) {
    try {
      JsonNode r = connection.json("POST", "/_analyze",
          PassageIndexLayout.toJson(Map.of("analyzer", "attnir_english", "text", "probes")), false);
      return r.has("tokens");
    } catch (UncheckedIOException e) {
      if (e.getMessage() != null && e.getMessage().contains("HTTP 400")) {
        return false; // "failed to find global analyzer [attnir_english]"
      }
      throw e;
    }
  }

  /**
   * The analyzer an index will be built with: the one asked for when the cluster has it, otherwise {@code standard}
   * (logged; the manifest records it, so comparing with a Lucene index built with the one asked shows the
   * difference).
   */
  static String resolve(String requested, boolean pluginInstalled, String where) {
    if (PassageIndexLayout.esAnalyzer(requested, pluginInstalled) != null) {
      return requested;
    }
    LOG.log(System.Logger.Level.WARNING, "{0}: analyzer {1} is not available on the cluster ({2}); building with "
        + "Elasticsearch''s standard analyzer, recorded as ''standard'' in the manifest", where, requested,
        requested.equals("english-porter") ? "the attnir plugin is not installed" : "no Elasticsearch equivalent");
    return "standard";
  }
}
