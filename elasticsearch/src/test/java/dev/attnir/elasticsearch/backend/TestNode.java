package dev.attnir.elasticsearch.backend;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

/** The Elasticsearch node under test, from {@code ATTNIR_ES_URL} (e.g. the URL {@code bin/es-node url} prints). */
final class TestNode {

  private TestNode() {}

  /**
   * The node's URL. Without {@code ATTNIR_ES_URL} the calling test is skipped, or fails when {@code CI=true}
   * (CI must not pass by skipping).
   */
  static String url() {
    String url = System.getenv("ATTNIR_ES_URL");
    if (url == null || url.isBlank()) {
      String why = "ATTNIR_ES_URL is not set: start a node (bin/es-node start --port 9250) and set "
          + "ATTNIR_ES_URL=http://127.0.0.1:9250 to run the Elasticsearch tests";
      if ("true".equals(System.getenv("CI"))) {
        fail(why + " (CI=true: a missing node is a failure)");
      }
      System.err.println("skipped: " + why); // surefire does not print a class-level skip's reason
      Assumptions.abort(why);
    }
    return url;
  }
}
