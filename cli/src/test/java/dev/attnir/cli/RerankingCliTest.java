package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.eval.data.Qrels;
import dev.attnir.eval.data.TrecRun;
import dev.attnir.eval.metrics.EvaluationResult;
import dev.attnir.eval.metrics.Evaluator;
import dev.attnir.eval.metrics.Metric;
import dev.attnir.eval.metrics.Metrics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reranker through {@code evaluate}: a test reranker that reverses BM25's order and keeps BM25's scores. The run file
 * must hold the reversed order (a writer that re-sorted by score would write BM25's), and rescoring it must give the
 * reversed ranking's metrics, computed here independently from the BM25 run.
 */
class RerankingCliTest {

  static final Path SAMPLE = Path.of("../samples/nq-sample");

  @Test
  void aReversingRerankerGoesThroughEvaluateAndTheRunKeepsItsOrder(@TempDir Path out) throws Exception {
    Cli r = Cli.run("evaluate", "--beir", SAMPLE.toString(), "--model", "none", "--rerank", "reverse",
        "--rerank-depth", "1000", "-k", "1000", "--output", out.toString(), "--permutations", "1000");
    assertEquals(0, r.code(), r.out() + r.err());
    Qrels qrels = Qrels.read(SAMPLE.resolve("qrels/test.tsv"));
    TrecRun bm25 = TrecRun.read(out.resolve("run.bm25.trec"));
    TrecRun reversed = TrecRun.read(out.resolve("run.bm25+reverse.trec"));
    Map<String, List<TrecRun.Entry>> expected = new LinkedHashMap<>();
    for (String q : bm25.queries()) {
      List<String> first = bm25.ranked(q).stream().map(TrecRun.Entry::docId).toList();
      List<String> backwards = new ArrayList<>(first);
      Collections.reverse(backwards);
      assertEquals(backwards, reversed.ranked(q).stream().map(TrecRun.Entry::docId).toList(), "query " + q);
      List<TrecRun.Entry> byPosition = new ArrayList<>();
      for (int i = 0; i < backwards.size(); i++) {
        byPosition.add(new TrecRun.Entry(backwards.get(i), backwards.size() - i));
      }
      expected.put(q, byPosition);
    }
    List<Metric> metrics = Metrics.defaults();
    EvaluationResult independent = Evaluator.evaluate(new TrecRun(expected), qrels, metrics,
        Evaluator.Averaging.ALL_JUDGED);
    EvaluationResult rescored = Evaluator.evaluate(reversed, qrels, metrics, Evaluator.Averaging.ALL_JUDGED);
    JsonNode json = new ObjectMapper().readTree(out.resolve("metrics.bm25+reverse.json").toFile());
    Map<String, String> printed = SciFactRegressionTest.printedRow(r.out(), "bm25+reverse");
    for (Metric m : metrics) {
      assertEquals(independent.mean(m.name()), rescored.mean(m.name()), 1e-12, m.name());
      assertEquals(independent.mean(m.name()), json.get("means").get(m.name()).asDouble(), 1e-12, m.name());
      assertEquals(String.format(Locale.ROOT, "%.4f", independent.mean(m.name())), printed.get(m.name()), m.name());
    }
    double forward = Evaluator.evaluate(bm25, qrels, metrics, Evaluator.Averaging.ALL_JUDGED).mean("nDCG@10");
    assertNotEquals(forward, rescored.mean("nDCG@10"), "reversing changes the metric (the check means something)");
    assertTrue(r.out().contains("bm25+reverse vs bm25") || r.out().contains("bm25+reverse nDCG@10"), r.out());
    Cli rescore = Cli.run("rescore", "--qrels", SAMPLE.resolve("qrels/test.tsv").toString(), "--run",
        out.resolve("run.bm25+reverse.trec").toString());
    assertEquals(0, rescore.code(), rescore.err());
    assertTrue(rescore.out().lines().anyMatch(l -> l.startsWith("ndcg_cut_10") && l.trim().endsWith(
        String.format(Locale.ROOT, "%.4f", independent.mean("nDCG@10")))), rescore.out());
  }

  @Test
  void onlyTheTopDepthIsReranked(@TempDir Path out) {
    Cli r = Cli.run("evaluate", "--beir", SAMPLE.toString(), "--model", "none", "--rerank", "reverse",
        "--rerank-depth", "5", "-k", "20", "--output", out.toString(), "--permutations", "100");
    assertEquals(0, r.code(), r.out() + r.err());
    TrecRun bm25 = TrecRun.read(out.resolve("run.bm25.trec"));
    TrecRun reranked = TrecRun.read(out.resolve("run.bm25+reverse.trec"));
    for (String q : bm25.queries()) {
      List<String> first = bm25.ranked(q).stream().map(TrecRun.Entry::docId).toList();
      List<String> got = reranked.ranked(q).stream().map(TrecRun.Entry::docId).toList();
      int top = Math.min(5, first.size());
      List<String> head = new ArrayList<>(first.subList(0, top));
      Collections.reverse(head);
      assertEquals(head, got.subList(0, top), q);
      assertEquals(first.subList(top, first.size()), got.subList(top, got.size()), q);
    }
  }

  @Test
  void anUnknownRerankerIsNamedWithTheKnownOnes(@TempDir Path out) {
    Cli r = Cli.run("evaluate", "--beir", SAMPLE.toString(), "--model", "none", "--rerank", "monobert",
        "--output", out.toString());
    assertEquals(AttnirCli.EXIT_USAGE, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("unknown reranker 'monobert'; known: "), r.err());
    String known = r.err().substring(r.err().indexOf("known: "));
    assertTrue(known.contains("reverse") && known.contains("cross-encoder"), r.err());
  }

  /** search shows k hits: a rerank depth below k would show unreranked hits among reranked ones. */
  @Test
  void searchRefusesARerankDepthBelowK(@TempDir Path out) {
    Cli r = Cli.run("search", "--index", out.resolve("none").toString(), "--query", "q", "-k", "10", "--rerank",
        "reverse", "--rerank-depth", "5");
    assertEquals(AttnirCli.EXIT_USAGE, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("--rerank-depth 5 is less than -k 10"), r.err());
  }

  /** The library's searcher takes a reranker: the reranked top k is the reranker's order of the first stage's. */
  @Test
  void theLibrarySearcherRerank(@TempDir Path out) {
    Cli r = Cli.run("index", "--corpus", SAMPLE.resolve("corpus.jsonl").toString(), "--index",
        out.resolve("index").toString(), "--model", "none");
    assertEquals(0, r.code(), r.out() + r.err());
    try (dev.attnir.indexer.Searcher s = dev.attnir.indexer.Searcher.open(out.resolve("index"))) {
      String query = "who wrote the declaration of independence";
      List<String> first = s.bm25(query, 5).stream().map(dev.attnir.indexer.SearchHit::docId).toList();
      var reverse = new ReverseReranker().create(Map.of());
      List<String> reranked = s.search(query, 5, reverse, 5).stream().map(dev.attnir.indexer.SearchHit::docId)
          .toList();
      List<String> backwards = new ArrayList<>(first);
      Collections.reverse(backwards);
      assertEquals(backwards, reranked);
      IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> s.search(query, 5, reverse, 3));
      assertTrue(e.getMessage().contains("rerank depth 3 is less than k = 5"), e.getMessage());
    }
  }
}
