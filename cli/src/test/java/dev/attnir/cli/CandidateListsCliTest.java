package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.eval.data.TrecRun;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code evaluate --candidates FILE --qrels FILE} on the TREC DL 2019 reranking lists (../shared, skipped without it):
 * the lists as given must score the published nDCG@10 (BM25 0.5058, SPLADE++ 0.7308: Anserini's numbers, which
 * ../shared/README.md also checked with an independent scorer), and a reranked run must keep the reranker's order.
 */
class CandidateListsCliTest {

  static Map<String, String> nDcg10(Cli r) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : r.out().lines().toList()) {
      String[] f = line.trim().split("\\s+");
      if (f.length == 7 && f[1].matches("\\d\\.\\d{4}")) {
        out.put(f[0], f[1]);
      }
    }
    return out;
  }

  @Test
  void theDl19ListsAsGivenScoreThePublishedNdcg(@TempDir Path tmp) {
    Path dl19 = SharedData.require("data/trec-dl/dl19");
    for (String[] c : List.of(new String[] {"bm25-top100", "0.5058"}, new String[] {"spladepp-top100", "0.7308"})) {
      Cli r = Cli.run("evaluate", "--candidates", dl19.resolve(c[0] + ".jsonl").toString(), "--qrels",
          dl19.resolve("qrels.txt").toString(), "--output", tmp.resolve(c[0]).toString());
      assertEquals(0, r.code(), r.out() + r.err());
      assertEquals(c[1], nDcg10(r).get(c[0]), r.out());
      assertTrue(Files.exists(tmp.resolve(c[0]).resolve("run." + c[0] + ".trec")));
    }
  }

  @Test
  void aRerankedListKeepsTheRerankersOrderAndTheRestOfTheList(@TempDir Path tmp) throws Exception {
    Path dl19 = SharedData.require("data/trec-dl/dl19");
    Path file = dl19.resolve("bm25-top100.jsonl");
    Cli r = Cli.run("evaluate", "--candidates", file.toString(), "--qrels", dl19.resolve("qrels.txt").toString(),
        "--rerank", "reverse", "--rerank-depth", "10", "--output", tmp.toString(), "--permutations", "100");
    assertEquals(0, r.code(), r.out() + r.err());
    TrecRun reranked = TrecRun.read(tmp.resolve("run.bm25-top100+reverse.trec"));
    ObjectMapper json = new ObjectMapper();
    int queries = 0;
    try (BufferedReader in = Files.newBufferedReader(file)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        JsonNode q = json.readTree(line);
        List<String> given = new ArrayList<>();
        q.get("candidates").forEach(c -> given.add(c.get("docid").asText()));
        List<String> expected = new ArrayList<>(given.subList(0, 10));
        Collections.reverse(expected);
        expected.addAll(given.subList(10, given.size()));
        assertEquals(expected, reranked.ranked(q.get("qid").asText()).stream().map(TrecRun.Entry::docId).toList());
        queries++;
      }
    }
    assertEquals(43, queries);
    assertTrue(nDcg10(r).containsKey("bm25-top100+reverse"), r.out());
  }

  @Test
  void candidatesNeedQrelsAndExcludeBeir(@TempDir Path tmp) throws Exception {
    Path file = Files.writeString(tmp.resolve("c.jsonl"), "{\"qid\":\"1\",\"query\":\"q\",\"candidates\":[]}\n");
    Cli noQrels = Cli.run("evaluate", "--candidates", file.toString());
    assertTrue(noQrels.err().contains("needs --qrels FILE"), noQrels.err());
    Cli both = Cli.run("evaluate", "--candidates", file.toString(), "--qrels", file.toString(), "--beir", "x");
    assertTrue(both.err().contains("--beir and --candidates are alternatives"), both.err());
    Cli neither = Cli.run("evaluate");
    assertTrue(neither.err().contains("--beir DIR") && neither.err().contains("--candidates FILE"), neither.err());
    Path badRank = Files.writeString(tmp.resolve("bad.jsonl"), "{\"qid\":\"1\",\"query\":\"q\",\"candidates\":"
        + "[{\"docid\":\"a\",\"rank\":2,\"score\":1.0,\"text\":\"t\"}]}\n");
    Path qrels = Files.writeString(tmp.resolve("qrels.txt"), "1 0 a 1\n");
    Cli bad = Cli.run("evaluate", "--candidates", badRank.toString(), "--qrels", qrels.toString(), "--output",
        tmp.resolve("o").toString());
    assertTrue(bad.err().contains("bad.jsonl") && bad.err().contains("has rank 2 at position 1"), bad.err());
    Cli ignored = Cli.run("evaluate", "--candidates", file.toString(), "--qrels", qrels.toString(), "--model",
        "e5-small-v2", "--retriever", "dense", "--output", tmp.resolve("o2").toString());
    assertEquals(AttnirCli.EXIT_USAGE, ignored.code(), ignored.out() + ignored.err());
    assertTrue(ignored.err().contains("--model, --retriever do not apply"), "options that would be silently "
        + "ignored are named: " + ignored.err());
    Cli empty = Cli.run("evaluate", "--candidates", file.toString(), "--qrels", qrels.toString(), "--output",
        tmp.resolve("o3").toString());
    assertEquals(AttnirCli.EXIT_USAGE, empty.code(), empty.out() + empty.err());
    assertTrue(empty.err().contains("c.jsonl:1") && empty.err().contains("query 1: the candidate list is empty"),
        empty.err());
  }

  /** The MS MARCO dev sample lists ranks without scores: the given order stands (score = -rank). */
  @Test
  void listsWithoutScoresKeepTheirOrder(@TempDir Path tmp) throws Exception {
    Path file = Files.writeString(tmp.resolve("ranks.jsonl"), "{\"qid\":\"1\",\"query\":\"q\",\"candidates\":"
        + "[{\"docid\":\"b\",\"rank\":1,\"text\":\"t\"},{\"docid\":\"a\",\"rank\":2,\"text\":\"u\"}]}\n");
    Path qrels = Files.writeString(tmp.resolve("qrels.txt"), "1 0 a 1\n");
    Cli r = Cli.run("evaluate", "--candidates", file.toString(), "--qrels", qrels.toString(), "--output",
        tmp.resolve("o").toString(), "--metrics", "MRR@10");
    assertEquals(0, r.code(), r.out() + r.err());
    TrecRun run = TrecRun.read(tmp.resolve("o").resolve("run.ranks.trec"));
    assertEquals(List.of("b", "a"), run.ranked("1").stream().map(TrecRun.Entry::docId).toList());
  }
}
