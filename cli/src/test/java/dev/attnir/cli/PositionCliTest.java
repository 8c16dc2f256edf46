package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.pooling.Poolings;
import dev.attnir.eval.position.PositionSets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code position-sets} with length-matched distractors split into parts, then {@code position-bias} on them: the
 * layout, the alignment of slots with bins, and the gold-only reference computed over every part.
 */
class PositionCliTest {

  @Test
  void lengthMatchedPartsAreBuiltAndEvaluatedOverEveryPart(@TempDir Path dir) throws Exception {
    Path nq = SharedData.require("data/nq-open/nq-open-oracle.jsonl.gz");
    Path sets = dir.resolve("sets");
    Cli built = Cli.run("position-sets", "--nq", nq.toString(), "--output", sets.toString(), "--passages", "20",
        "--slots", "all", "--queries", "10", "--match-length", "--set-size", "5");
    assertEquals(0, built.code(), built.err());
    List<Path> slotSets;
    try (Stream<Path> s = Files.list(sets.resolve("n20"))) {
      slotSets = s.sorted().toList();
    }
    assertEquals(40, slotSets.size(), "2 parts x 20 slots");
    assertEquals("p0-slot-00", slotSets.get(0).getFileName().toString());
    assertEquals("p1-slot-19", slotSets.get(39).getFileName().toString());
    assertTrue(built.out().contains("of gold passages lie in the relative-position bin"), built.out());
    int aligned = 0;
    for (Path set : slotSets) {
      List<PositionSets.Position> positions = PositionSets.read(set);
      assertEquals(5, positions.size());
      for (PositionSets.Position p : positions) {
        double mid = (p.spanStart() + p.spanEnd()) / 2.0 / p.chars();
        aligned += dev.attnir.eval.position.PositionBias.bin(mid) == p.slot() ? 1 : 0;
      }
    }
    assertTrue(aligned >= 190, "slots in their bins: " + aligned + " of 200");

    Path report = dir.resolve("report");
    Cli run = Cli.run("position-bias", "--sets", sets.toString(), "--output", report.toString(), "--model",
        "all-MiniLM-L6-v2", "--systems", "bm25,dense-document", "--bootstrap", "50", "--cache",
        dir.resolve("cache").toString());
    assertEquals(0, run.code(), run.err());
    JsonNode results = new ObjectMapper().readTree(report.resolve("report.json").toFile()).get("results");
    assertEquals(2, results.size());
    for (JsonNode r : results) {
      assertEquals(200, r.get("queries").asInt(), "10 queries at 20 slots");
    }
    assertEquals(10, results.get(1).get("goldOnlyQueries").asInt(), "the reference covers both parts' queries");
    double goldOnly = results.get(1).get("goldOnlyNdcg10").asDouble();
    assertEquals(goldOnlyByHand(slotSets.get(0), slotSets.get(20)), goldOnly, 1e-9);
  }

  @Test
  void aRerankerFollowsEachSystemInThePositionBiasRun(@TempDir Path dir) throws Exception {
    Path nq = SharedData.require("data/nq-open/nq-open-oracle.jsonl.gz");
    Path sets = dir.resolve("sets");
    Cli built = Cli.run("position-sets", "--nq", nq.toString(), "--output", sets.toString(), "--passages", "5",
        "--slots", "0", "--queries", "20");
    assertEquals(0, built.code(), built.err());
    Path report = dir.resolve("report");
    Cli run = Cli.run("position-bias", "--sets", sets.toString(), "--output", report.toString(), "--systems", "bm25",
        "--bootstrap", "20", "--rerank", "reverse", "--rerank-depth", "100");
    assertEquals(0, run.code(), run.err());
    JsonNode results = new ObjectMapper().readTree(report.resolve("report.json").toFile()).get("results");
    assertEquals(2, results.size(), results.toString());
    assertEquals("bm25", results.get(0).get("system").asText());
    assertEquals("bm25 + rerank reverse top 100", results.get(1).get("system").asText());
    double first = results.get(0).get("summaries").get("all").get("ndcg10").asDouble();
    double reversed = results.get(1).get("summaries").get("all").get("ndcg10").asDouble();
    assertTrue(first > 0.8, "BM25 finds the gold documents of 20 short sets: " + first);
    assertTrue(reversed < first / 2, "the reversed ranking puts the gold documents last: " + reversed + " vs " + first);
  }

  @Test
  void skippedQueriesGiveADisjointSetAndTooManyAreRefused(@TempDir Path dir) throws Exception {
    Path nq = SharedData.require("data/nq-open/nq-open-oracle.jsonl.gz");
    java.util.Set<String> first = queryIds(dir.resolve("first"), nq, "0");
    java.util.Set<String> second = queryIds(dir.resolve("second"), nq, "10");
    assertEquals(10, first.size());
    assertEquals(10, second.size());
    assertTrue(java.util.Collections.disjoint(first, second), first + " vs " + second);
    Cli tooMany = Cli.run("position-sets", "--nq", nq.toString(), "--output", dir.resolve("x").toString(),
        "--passages", "5", "--slots", "0", "--queries", "10", "--skip-queries", "100000");
    assertEquals(AttnirCli.EXIT_USAGE, tooMany.code(), tooMany.out());
    assertTrue(tooMany.err().contains("--skip-queries 100000"), tooMany.err());
  }

  private static java.util.Set<String> queryIds(Path out, Path nq, String skip) throws Exception {
    Cli built = Cli.run("position-sets", "--nq", nq.toString(), "--output", out.toString(), "--passages", "5",
        "--slots", "0", "--queries", "10", "--skip-queries", skip);
    assertEquals(0, built.code(), built.err());
    java.util.Set<String> ids = new java.util.TreeSet<>();
    PositionSets.read(out.resolve("n5")).forEach(p -> ids.add(p.queryId()));
    return ids;
  }

  /** Mean nDCG@10 over both parts' queries, each part's corpus being its own gold passages. */
  private static double goldOnlyByHand(Path... parts) throws Exception {
    double sum = 0;
    int count = 0;
    try (OnnxEncoder enc = OnnxEncoder.load(ModelRegistry.resolve("all-MiniLM-L6-v2"), EncoderOptions.defaults())) {
      var mean = Poolings.parse("mean", enc.spec());
      for (Path part : parts) {
        List<PositionSets.Position> positions = PositionSets.read(part);
        var ds = dev.attnir.eval.data.BeirDataset.open(part, "test");
        java.util.Map<String, String> texts = new java.util.HashMap<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(part.resolve("corpus.jsonl"))) {
          JsonNode d = json.readTree(line);
          texts.put(d.get("_id").asText(), d.get("text").asText());
        }
        List<String> golds = new ArrayList<>();
        List<String> queries = new ArrayList<>();
        for (PositionSets.Position p : positions) {
          golds.add(texts.get(p.docId()).substring(p.spanStart(), p.spanEnd()));
          queries.add(ds.queries().get(p.queryId()));
        }
        float[][] g = Embedder.embedWithPoolings(enc, List.of(mean), golds, "", true, ProgressListener.none()).get(0);
        float[][] q = Embedder.embedWithPoolings(enc, List.of(mean), queries, "", true, ProgressListener.none())
            .get(0);
        for (int i = 0; i < q.length; i++) {
          int rank = 1;
          double own = dot(q[i], g[i]);
          for (int j = 0; j < g.length; j++) {
            rank += dot(q[i], g[j]) > own ? 1 : 0;
          }
          sum += rank <= 10 ? 1 / (Math.log(rank + 1) / Math.log(2)) : 0;
          count++;
        }
      }
    }
    return sum / count;
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int k = 0; k < a.length; k++) {
      s += a[k] * b[k];
    }
    return s;
  }
}
