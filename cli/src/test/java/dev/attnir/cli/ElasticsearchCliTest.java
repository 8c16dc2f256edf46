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

  private static java.util.List<String> ranked(String searchOutput) {
    return searchOutput.lines().filter(l -> l.matches("\\s*\\d+\\s.*"))
        .map(l -> String.join(" ", java.util.Arrays.asList(l.trim().split("\\s+")).subList(0, 2))).toList();
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
  void aLuceneIndexCopiedIntoElasticsearchSearchesTheSame(@TempDir Path dir) throws Exception {
    String url = node();
    Path corpus = dir.resolve("corpus.jsonl");
    StringBuilder lines = new StringBuilder();
    String[] topics = {"insulin resistance", "vaccine response", "lung cancer", "gut microbiome", "sleep apnea"};
    for (int i = 0; i < 60; i++) {
      lines.append(String.format("{\"_id\": \"d%02d\", \"title\": \"\", \"text\": \"%s study %d of %s and %s\"}%n",
          i, topics[i % 5], i, topics[(i * 3 + 1) % 5], "cohort".repeat(1 + i % 3)));
    }
    Files.writeString(corpus, lines);
    Path lucene = dir.resolve("index");
    String index = "attnir-cli-copy-" + UUID.randomUUID().toString().substring(0, 8);
    try {
      Cli built = Cli.run("index", "--corpus", corpus.toString(), "--index", lucene.toString(), "--model", "none");
      assertEquals(0, built.code(), built.err());
      Cli copied = Cli.run("copy-index", "--from", lucene.toString(), "--backend", url, "--index", index);
      assertEquals(0, copied.code(), copied.err());
      assertTrue(copied.out().contains("Copied 60 documents (60 passages)"), copied.out());
      for (String q : new String[] {"lung cancer cohort", "insulin", "sleep vaccine"}) {
        Cli local = Cli.run("search", "--index", lucene.toString(), "--query", q, "-k", "10");
        Cli remote = Cli.run("search", "--index", index, "--backend", url, "--query", q, "-k", "10");
        assertEquals(0, remote.code(), remote.err());
        // rank and document (scores agree to ~1e-7 relative, which the sixth decimal may show)
        assertEquals(ranked(local.out()), ranked(remote.out()), q);
        assertTrue(ranked(local.out()).size() >= 5, local.out());
      }
      assertUsageError(Cli.run("copy-index", "--from", lucene.toString(), "--index", index), "needs --backend");
      Cli again = Cli.run("copy-index", "--from", dir.resolve("nothing").toString(), "--backend", url, "--index",
          index);
      assertTrue(again.code() != 0 && again.err().contains("nothing"), again.err());
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
