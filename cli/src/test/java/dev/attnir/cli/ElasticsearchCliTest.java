package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --backend}: index and search an Elasticsearch index from the command line. Needs a node named by
 * {@code ATTNIR_ES_URL} (skipped without one, a failure when {@code CI=true}); the option checks need none.
 */
class ElasticsearchCliTest {

  private static String node() {
    String url = System.getenv("ATTNIR_ES_URL");
    if (url == null || url.isBlank()) {
      String why = "ATTNIR_ES_URL is not set (bin/es-node start --port 9250; ATTNIR_ES_URL=http://127.0.0.1:9250)";
      if ("true".equals(System.getenv("CI"))) {
        fail(why + "; CI=true: a missing node is a failure");
      }
      Assumptions.abort(why);
    }
    return url;
  }

  private static void assertUsageError(Cli r, String fragment) {
    assertEquals(AttnirCli.EXIT_USAGE, r.code(), r.out() + r.err());
    assertTrue(r.err().startsWith("error: ") && r.err().contains(fragment), r.err());
    assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
  }

  @Test
  void indexThenSearchThroughElasticsearch(@TempDir Path dir) throws Exception {
    String url = node();
    Path corpus = dir.resolve("corpus.jsonl");
    Files.writeString(corpus, """
        {"_id": "a", "title": "Insulin", "text": "insulin resistance in obese patients"}
        {"_id": "b", "title": "Vaccines", "text": "vaccine immune response in children"}
        {"_id": "c", "title": "Smoking", "text": "smoking raises lung cancer risk"}
        """);
    String index = "attnir-cli-test-" + UUID.randomUUID().toString().substring(0, 8);
    try {
      Cli built = Cli.run("index", "--corpus", corpus.toString(), "--index", index, "--model", "none",
          "--backend", url);
      assertEquals(0, built.code(), built.err());
      assertTrue(built.out().contains("3 in index") && built.out().contains("'" + index + "'"), built.out());
      Cli search = Cli.run("search", "--index", index, "--backend", url, "--query", "lung cancer", "--show-text");
      assertEquals(0, search.code(), search.err());
      assertTrue(search.out().contains(" c ") && search.out().contains("smoking raises lung cancer risk"),
          search.out());
      assertTrue(!search.out().contains(" a ") && !search.out().contains(" b "), search.out());
      Cli missing = Cli.run("search", "--index", index + "-missing", "--backend", url, "--query", "x");
      assertTrue(missing.code() != 0 && missing.err().contains("no Elasticsearch index '" + index + "-missing'"),
          missing.err());
    } finally {
      try (var c = dev.attnir.elasticsearch.backend.ElasticsearchConnection.open(url,
          dev.attnir.elasticsearch.backend.ElasticsearchConnection.Credentials.none())) {
        c.client().indices().delete(d -> d.index(index).ignoreUnavailable(true));
      }
    }
  }

  @Test
  void anUnreachableNodeIsOneClearLine() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Cli r = Cli.run("search", "--index", "anything", "--backend", "http://127.0.0.1:" + port, "--query", "x");
    assertEquals(AttnirCli.EXIT_FAILURE, r.code(), r.out() + r.err());
    assertTrue(r.err().startsWith("error: cannot reach Elasticsearch at http://127.0.0.1:" + port), r.err());
    assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
  }

  @Test
  void credentialOptionsAreChecked() {
    assertUsageError(Cli.run("search", "--index", "x", "--query", "q", "--es-api-key", "k"), "need --backend URL");
    assertUsageError(Cli.run("search", "--index", "x", "--query", "q", "--backend", "http://127.0.0.1:1",
        "--es-password", "p"), "--es-password needs --es-user");
    assertUsageError(Cli.run("search", "--index", "Not/An/Index", "--query", "q", "--backend",
        "http://127.0.0.1:1"), "not a valid Elasticsearch index name");
  }
}
