package dev.attnir.elasticsearch.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import dev.attnir.indexer.IndexManifest;
import dev.attnir.indexer.PassageEncoder;
import dev.attnir.indexer.PassageIndexWriter;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.indexer.PassageSplitter;
import dev.attnir.indexer.search.PassageHit;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Node failures against real clusters that this test starts and stops itself with {@code bin/es-node} (ports 9260
 * and 9270, away from the shared test node): a node killed in the middle of indexing, and one node of two killed under
 * a query load. Each starts from fresh data. Enabled by {@code ATTNIR_ES_FAULTS=1} (CI sets it; the clusters take a
 * minute or two to start); under {@code CI=true} a missing switch is a failure, not a skip.
 */
class NodeFaultTest {

  private static final int SINGLE_PORT = 9260;
  private static final int PAIR_PORT = 9270;
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final String[] WORDS = vocabulary();

  @BeforeAll
  static void enabled() {
    if (!"1".equals(System.getenv("ATTNIR_ES_FAULTS"))) {
      String why = "ATTNIR_ES_FAULTS=1 is not set: the node fault tests start their own clusters on ports "
          + SINGLE_PORT + " and " + PAIR_PORT + " with bin/es-node";
      if ("true".equals(System.getenv("CI"))) {
        fail(why + " (CI=true: .ci/run sets it)");
      }
      System.err.println("skipped: " + why);
      Assumptions.abort(why);
    }
    assertTrue(Files.isExecutable(ROOT.resolve("bin/es-node")), "no bin/es-node under " + ROOT);
  }

  @AfterAll
  static void stopClusters() throws IOException, InterruptedException {
    if ("1".equals(System.getenv("ATTNIR_ES_FAULTS"))) {
      esNode("stop", "--port", String.valueOf(SINGLE_PORT));
      esNode("stop", "--port", String.valueOf(PAIR_PORT));
    }
  }

  /**
   * Kills the node (SIGKILL) while a writer has bulk requests in flight: the writer fails within seconds with an
   * error naming the node, every document of a returned commit is there after a restart, and rerunning the same
   * build completes the index.
   */
  @Test
  void aNodeKilledMidIndexingKeepsWhatWasAcknowledgedAndARerunCompletesTheIndex() throws Exception {
    String port = String.valueOf(SINGLE_PORT);
    esNode("start", "--port", port, "--heap", "512m", "--fresh", "--timeout", "300");
    String url = "http://127.0.0.1:" + port;
    List<Document> corpus = corpus(16_000, 60, 1);
    PassageEncoder encoder = new PassageEncoder(
        PassageSplitter.whitespace(PassageSettings.wholeDocument("whitespace")), null);
    ElasticsearchIndexOptions options = ElasticsearchIndexOptions.defaults();
    String index = "attnir-fault-midindex";
    int chunk = 1_000;
    List<String> acknowledged = new ArrayList<>();
    RuntimeException failure = null;
    long killedAt = 0;
    Process killer = null;
    try (ElasticsearchConnection connection = ElasticsearchConnection.open(url,
        ElasticsearchConnection.Credentials.none());
        ElasticsearchIndexWriter writer = ElasticsearchIndexWriter.open(connection, index, "english-porter", encoder,
            options, PassageIndexWriter.Mode.CREATE_OR_APPEND)) {
      for (int from = 0; from < corpus.size(); from += chunk) {
        List<Document> part = corpus.subList(from, Math.min(corpus.size(), from + chunk));
        try {
          if (from == 3 * chunk) {
            // the kill lands while this chunk's bulk requests are being sent (the script takes ~0.1 s to act)
            killedAt = System.nanoTime();
            killer = esNodeAsync("stop", "--port", port, "--kill");
          }
          writer.add(part, ProgressListener.none());
          writer.commit();
        } catch (RuntimeException e) {
          failure = e;
          break;
        }
        part.forEach(d -> acknowledged.add(d.id()));
      }
    }
    if (killer != null) {
      killer.waitFor(60, TimeUnit.SECONDS);
    }
    assertTrue(failure != null, "indexing did not notice the killed node (" + acknowledged.size() + " acknowledged)");
    double secondsToFail = (System.nanoTime() - killedAt) / 1e9;
    System.out.printf("node killed mid-indexing: %d documents acknowledged before, writer failed %.1f s after the"
        + " kill with: %s%n", acknowledged.size(), secondsToFail, failure.getMessage());
    assertTrue(failure instanceof ElasticsearchUnreachableException || failure instanceof PartialWriteException,
        "unexpected failure type: " + failure);
    assertTrue(failure.getMessage().contains(url), "the error names the node: " + failure.getMessage());
    assertTrue(secondsToFail < 60, "the writer took " + secondsToFail + " s to give up (a retry storm?)");
    assertTrue(acknowledged.size() >= 3 * chunk, "the first three commits were acknowledged");

    esNode("start", "--port", port, "--heap", "512m", "--timeout", "300");
    try (ElasticsearchConnection connection = ElasticsearchConnection.open(url,
        ElasticsearchConnection.Credentials.none())) {
      assertEquals(acknowledged.size(), present(connection, index, acknowledged),
          "every acknowledged document survived the kill");
      long before = count(connection, index);
      IndexManifest committed = ElasticsearchSearchBackend.open(connection, index).manifest();
      assertEquals(acknowledged.size(), committed.documents(), "the manifest is the last returned commit's");
      System.out.printf("after restart: %d documents in the index (%d acknowledged, the rest of the killed chunk"
          + " arrived or not), manifest says %d%n", before, acknowledged.size(), committed.documents());

      try (ElasticsearchIndexWriter rerun = ElasticsearchIndexWriter.open(connection, index, "english-porter",
          encoder, options, PassageIndexWriter.Mode.CREATE_OR_APPEND)) {
        for (int from = 0; from < corpus.size(); from += chunk) {
          rerun.add(corpus.subList(from, Math.min(corpus.size(), from + chunk)), ProgressListener.none());
        }
        IndexManifest done = rerun.commit();
        assertEquals(corpus.size(), done.documents());
      }
      assertEquals(corpus.size(), count(connection, index));
      ElasticsearchSearchBackend backend = ElasticsearchSearchBackend.open(connection, index);
      Document last = corpus.get(corpus.size() - 1);
      List<PassageHit> hits = backend.lexical(uniqueWord(corpus.size() - 1), 3, backend.bm25());
      assertEquals(last.id(), hits.get(0).docId(), "the last document of the rerun is searchable");
    }
    esNode("stop", "--port", port);
  }

  /**
   * Two nodes, two shards with one replica each, one client querying the elected master at a bounded rate while the
   * other node is killed and later restarted: failed queries are counted (a partial ranking must never pass as a
   * whole one) and every ranking after recovery equals the one before.
   */
  @Test
  void oneOfTwoNodesKilledUnderQueryLoadLosesNoResults() throws Exception {
    String port = String.valueOf(PAIR_PORT);
    esNode("start", "--nodes", "2", "--port", port, "--heap", "512m", "--fresh", "--timeout", "300");
    String first = "http://127.0.0.1:" + port;
    List<Document> corpus = corpus(5_000, 80, 2);
    PassageEncoder encoder = new PassageEncoder(
        PassageSplitter.whitespace(PassageSettings.wholeDocument("whitespace")), null);
    String index = "attnir-fault-twonodes";
    try (ElasticsearchConnection setup = ElasticsearchConnection.open(first,
        ElasticsearchConnection.Credentials.none())) {
      try (ElasticsearchIndexWriter writer = ElasticsearchIndexWriter.open(setup, index, "english-porter", encoder,
          ElasticsearchIndexOptions.defaults().withShards(2, 1), PassageIndexWriter.Mode.CREATE_OR_APPEND)) {
        writer.add(corpus, ProgressListener.none());
        writer.commit();
      }
      setup.json("GET", "/_cluster/health/" + index + "?wait_for_status=green&timeout=120s", null, false);
      // both primaries on different nodes, so either node's loss takes a primary with it
      JsonNode shards = setup.json("GET", "/_cat/shards/" + index + "?format=json&h=shard,prirep,node", null, false);
      System.out.println("shards before the kill: " + shards);
      System.out.println("copies: " + setup.json("GET", "/_cat/shards/" + index
          + "?format=json&h=shard,prirep,node,docs,segments.count", null, false));

      int victim = survivorsAndVictim(setup)[1];
      int survivor = 3 - victim;
      String survivorUrl = "http://127.0.0.1:" + (PAIR_PORT + survivor - 1);
      System.out.printf("elected master and voting node: node-%d (queried); node-%d will be killed%n", survivor,
          victim);

      Random random = new Random(7);
      List<String> queries = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        queries.add(WORDS[random.nextInt(WORDS.length)] + " " + WORDS[random.nextInt(WORDS.length)] + " "
            + WORDS[random.nextInt(WORDS.length)]);
      }
      try (ElasticsearchConnection client = ElasticsearchConnection.open(survivorUrl,
          ElasticsearchConnection.Credentials.none())) {
        ElasticsearchSearchBackend backend = ElasticsearchSearchBackend.open(client, index);
        Map<String, List<PassageHit>> expected = new LinkedHashMap<>();
        for (String q : queries) {
          expected.put(q, backend.lexical(q, 10, backend.bm25()));
        }
        Load load = new Load(backend, queries, expected);
        Thread loader = new Thread(load, "query-load");
        loader.start();
        Thread.sleep(3_000);
        load.phase = "node-" + victim + " killed";
        long killed = System.nanoTime();
        esNode("stop", "--port", port, "--node", String.valueOf(victim), "--kill");
        JsonNode health = client.json("GET", "/_cluster/health/" + index
            + "?wait_for_nodes=1&wait_for_status=yellow&timeout=120s", null, false);
        double toYellow = (System.nanoTime() - killed) / 1e9;
        Thread.sleep(3_000);
        load.phase = "node-" + victim + " restarting";
        esNode("start", "--nodes", "2", "--port", port, "--node", String.valueOf(victim), "--heap", "512m",
            "--timeout", "300");
        client.json("GET", "/_cluster/health/" + index + "?wait_for_status=green&timeout=120s", null, false);
        load.phase = "green again";
        Thread.sleep(3_000);
        load.stop.set(true);
        loader.join();
        System.out.printf("one of two nodes killed under load: %s; cluster %s %.1f s after the kill%n",
            load.report(), health.path("status").asText(), toYellow);
        assertEquals(0, load.wrong(), "a query answered with another ranking than before the kill: " + load.report());
        assertTrue(load.answered() > 0);
        for (String q : queries) {
          List<PassageHit> after = backend.lexical(q, 10, backend.bm25());
          assertTrue(sameRanking(expected.get(q), after), "after recovery: " + q + ": " + expected.get(q) + " vs "
              + after);
        }
      }
    }
    esNode("stop", "--port", port);
  }

  /** Queries in a loop at most 50 a second, counting per phase the answers equal to the expected, the wrong ones, and the failures. */
  private static final class Load implements Runnable {
    final ElasticsearchSearchBackend backend;
    final List<String> queries;
    final Map<String, List<PassageHit>> expected;
    final AtomicBoolean stop = new AtomicBoolean();
    volatile String phase = "before the kill";
    final Map<String, int[]> counts = new LinkedHashMap<>();
    final Set<String> errors = new HashSet<>();
    final List<String> differences = new ArrayList<>();

    Load(ElasticsearchSearchBackend backend, List<String> queries, Map<String, List<PassageHit>> expected) {
      this.backend = backend;
      this.queries = queries;
      this.expected = expected;
    }

    @Override
    public void run() {
      int i = 0;
      while (!stop.get()) {
        String q = queries.get(i++ % queries.size());
        int[] c;
        synchronized (counts) {
          c = counts.computeIfAbsent(phase, p -> new int[4]);
        }
        try {
          List<PassageHit> got = backend.lexical(q, 10, backend.bm25());
          boolean same = sameRanking(expected.get(q), got);
          c[same ? 0 : 1]++;
          if (!got.equals(expected.get(q))) {
            c[3]++;
          }
          if (!got.equals(expected.get(q)) && differences.size() < 3) {
            differences.add((same ? "within tolerance " : "") + q + ": expected " + expected.get(q) + " got " + got);
          }
        } catch (RuntimeException e) {
          c[2]++;
          if (errors.size() < 3) {
            errors.add(e.getMessage());
          }
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    int wrong() {
      synchronized (counts) {
        return counts.values().stream().mapToInt(c -> c[1]).sum();
      }
    }

    int answered() {
      synchronized (counts) {
        return counts.values().stream().mapToInt(c -> c[0]).sum();
      }
    }

    String report() {
      StringBuilder b = new StringBuilder();
      synchronized (counts) {
        counts.forEach((p, c) -> b.append(String.format("[%s: %d equal (%d of them only within float tolerance), %d"
            + " different, %d failed] ", p, c[0], c[3] - c[1], c[1], c[2])));
      }
      return b + (errors.isEmpty() ? "" : "errors: " + errors) + (differences.isEmpty() ? "" : " differences: "
          + differences);
    }
  }

  /**
   * The same ranking up to float rounding: scores rank by rank within a relative 1e-5, and documents equal except
   * where scores that close swap them. Copies of a shard hold the same documents in different segments, and Lucene's
   * disjunction scoring adds clause scores in an order that depends on each segment's score bounds, so a BM25 sum can
   * differ in its last bit from copy to copy. CI once saw 4 of 35 answers differ before any node was killed; the
   * answers were not printed then (they are now), and three local runs since saw none, so the cause is this likely
   * one, not a proven one.
   */
  static boolean sameRanking(List<PassageHit> expected, List<PassageHit> got) {
    if (expected.size() != got.size()) {
      return false;
    }
    for (int i = 0; i < expected.size(); i++) {
      if (!close(expected.get(i).score(), got.get(i).score())) {
        return false;
      }
    }
    for (int i = 0; i < expected.size(); i++) {
      PassageHit e = expected.get(i);
      PassageHit g = got.get(i);
      if (e.docId().equals(g.docId())) {
        if (e.ordinal() != g.ordinal()) {
          return false;
        }
        continue;
      }
      // a swap is allowed only inside a run of near-equal scores; a tie run at the cut may bring in a document from
      // beyond it
      boolean tiedAtCut = close(e.score(), expected.get(expected.size() - 1).score());
      boolean swappedWithNeighbour = false;
      for (int j = 0; j < got.size(); j++) {
        if (got.get(j).docId().equals(e.docId()) && close(e.score(), got.get(j).score())) {
          swappedWithNeighbour = true;
        }
      }
      if (!swappedWithNeighbour && !tiedAtCut) {
        return false;
      }
    }
    return true;
  }

  private static boolean close(float a, float b) {
    return Math.abs(a - b) <= 1e-5f * Math.max(1f, Math.max(Math.abs(a), Math.abs(b)));
  }

  /** {node to keep, node to kill}: the node to keep is the elected master, so the cluster keeps a master. */
  private static int[] survivorsAndVictim(ElasticsearchConnection connection) {
    JsonNode master = connection.json("GET", "/_cat/master?format=json", null, false);
    String name = master.path(0).path("node").asText();
    int keep = Integer.parseInt(name.substring(name.indexOf('-') + 1));
    // with two master-eligible nodes the voting configuration holds one; killing a node outside it keeps a quorum
    JsonNode config = connection.json("GET", "/_cluster/state/metadata?filter_path="
        + "metadata.cluster_coordination.last_committed_config", null, false)
        .path("metadata").path("cluster_coordination").path("last_committed_config");
    JsonNode nodes = connection.json("GET", "/_nodes/_all/none", null, false).path("nodes");
    Set<String> voting = new HashSet<>();
    config.forEach(id -> voting.add(nodes.path(id.asText()).path("name").asText()));
    System.out.println("voting configuration: " + voting);
    if (voting.size() == 1 && !voting.contains(name)) {
      String only = voting.iterator().next();
      keep = Integer.parseInt(only.substring(only.indexOf('-') + 1));
    }
    return new int[] {keep, 3 - keep};
  }

  private static long count(ElasticsearchConnection connection, String index) {
    connection.json("POST", "/" + index + "/_refresh", null, false);
    return connection.json("GET", "/" + index + "/_count", null, false).path("count").asLong();
  }

  /** How many of the ids the index holds. */
  private static int present(ElasticsearchConnection connection, String index, List<String> ids) {
    int present = 0;
    for (int from = 0; from < ids.size(); from += 1_000) {
      String body = "{\"ids\":" + ElasticsearchConnection.JSON.valueToTree(ids.subList(from,
          Math.min(ids.size(), from + 1_000))) + "}";
      for (JsonNode doc : connection.json("POST", "/" + index + "/_mget?_source=false", body, false).path("docs")) {
        if (doc.path("found").asBoolean()) {
          present++;
        }
      }
    }
    return present;
  }

  private static String uniqueWord(int i) {
    return "marker" + Integer.toString(i, 36) + "x";
  }

  private static List<Document> corpus(int size, int words, long seed) {
    Random random = new Random(seed);
    List<Document> docs = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      StringBuilder text = new StringBuilder(uniqueWord(i));
      for (int w = 0; w < words; w++) {
        // Zipf-like: low ranks far more often, so BM25 has common and rare terms
        int r = (int) Math.min(WORDS.length - 1, Math.floor(Math.pow(WORDS.length, random.nextDouble())) - 1);
        text.append(' ').append(WORDS[r]);
      }
      docs.add(new Document(String.format("d%06d", i), "", text.toString()));
    }
    return docs;
  }

  private static String[] vocabulary() {
    String[] words = new String[2_000];
    Random random = new Random(11);
    String letters = "bcdfghjklmnprstvwz";
    String vowels = "aeiou";
    for (int i = 0; i < words.length; i++) {
      StringBuilder w = new StringBuilder();
      int syllables = 2 + random.nextInt(2);
      for (int s = 0; s < syllables; s++) {
        w.append(letters.charAt(random.nextInt(letters.length()))).append(vowels.charAt(random.nextInt(5)));
      }
      words[i] = w.append(Integer.toString(i, 36)).toString();
    }
    return words;
  }

  private static void esNode(String... args) throws IOException, InterruptedException {
    Process p = esNodeAsync(args);
    if (!p.waitFor(400, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("bin/es-node " + String.join(" ", args) + " did not finish in 400 s");
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    System.out.print(out);
    assertEquals(0, p.exitValue(), "bin/es-node " + String.join(" ", args) + " failed: " + out);
  }

  private static Process esNodeAsync(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ROOT.resolve("bin/es-node").toString());
    command.addAll(List.of(args));
    return new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true).start();
  }
}
