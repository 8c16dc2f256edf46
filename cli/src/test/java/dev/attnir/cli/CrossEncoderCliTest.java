package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.core.Candidate;
import dev.attnir.core.Rerankers;
import dev.attnir.encoders.CrossEncoderFixture;
import dev.attnir.eval.data.Qrels;
import dev.attnir.eval.data.TrecRun;
import dev.attnir.eval.metrics.EvaluationResult;
import dev.attnir.eval.metrics.Evaluator;
import dev.attnir.eval.metrics.Metric;
import dev.attnir.eval.metrics.Metrics;
import dev.attnir.rerankers.CrossEncoderReranker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code evaluate --rerank cross-encoder:model=DIR} end to end on a tiny BEIR set (the first 100 documents of
 * samples/nq-sample and the first 6 queries judged on them), BM25 first stage, with a real cross-encoder graph
 * (all-MiniLM-L6-v2 with a random CLS head). The reranked run must reorder BM25's top documents, and rescoring the run
 * file must give the metrics evaluate printed.
 */
class CrossEncoderCliTest {

  static final Path SAMPLE = Path.of("../samples/nq-sample");
  static final int DEPTH = 10;

  @TempDir
  static Path shared;
  static Path model;

  @BeforeAll
  static void writeModel() throws Exception {
    model = CrossEncoderFixture.write(shared, "ce", CrossEncoderFixture.crossEncoder(CrossEncoderFixture.miniLm(),
        CrossEncoderFixture.weights(1, 7), new float[] {0.25f}), 128);
  }

  /**
   * On a candidate file the texts are known, so the run's order can be checked against the reranker's own scores of
   * those texts (the reranker itself is checked against a bare ONNX Runtime session in rerankers' tests): below the
   * depth the list stays as given, and the run file carries the reranker's scores.
   */
  @Test
  void aCandidateFileIsRerankedInTheCrossEncodersOrder(@TempDir Path tmp) throws Exception {
    List<String> docs = Files.readAllLines(SAMPLE.resolve("corpus.jsonl")).subList(0, 12);
    List<String> queries = Files.readAllLines(SAMPLE.resolve("queries.jsonl")).subList(0, 3);
    ObjectMapper json = new ObjectMapper();
    StringBuilder file = new StringBuilder();
    StringBuilder qrels = new StringBuilder();
    Map<String, List<Candidate>> lists = new LinkedHashMap<>();
    Map<String, String> texts = new LinkedHashMap<>();
    for (int q = 0; q < queries.size(); q++) {
      JsonNode query = json.readTree(queries.get(q));
      String qid = query.get("_id").asText();
      texts.put(qid, query.get("text").asText());
      List<Map<String, Object>> cands = new ArrayList<>();
      List<Candidate> cs = new ArrayList<>();
      for (int i = 0; i < docs.size(); i++) {
        JsonNode d = json.readTree(docs.get((i + 4 * q) % docs.size()));
        String text = d.get("title").asText() + " " + d.get("text").asText();
        cands.add(Map.of("docid", d.get("_id").asText(), "rank", i + 1, "score", 20.0 - i, "text", text));
        cs.add(new Candidate(d.get("_id").asText(), i + 1, 20.0 - i, 0, 0, text.length(), text));
        if (i == 5) {
          qrels.append(qid).append(" 0 ").append(d.get("_id").asText()).append(" 2\n");
        }
      }
      lists.put(qid, cs);
      file.append(json.writeValueAsString(Map.of("qid", qid, "query", texts.get(qid), "candidates", cands)))
          .append('\n');
    }
    Path candidates = Files.writeString(tmp.resolve("tiny.jsonl"), file);
    Path qrelsFile = Files.writeString(tmp.resolve("qrels.txt"), qrels);
    Path out = tmp.resolve("out");
    int depth = 8;
    Cli r = Cli.run("evaluate", "--candidates", candidates.toString(), "--qrels", qrelsFile.toString(), "--rerank",
        "cross-encoder:model=" + model, "--rerank-depth", Integer.toString(depth), "--output", out.toString(),
        "--permutations", "100");
    assertEquals(0, r.code(), r.out() + r.err());
    Path runFile;
    try (var files = Files.list(out)) {
      runFile = files.filter(f -> f.getFileName().toString().startsWith("run.tiny+cross-encoder")).findFirst()
          .orElseThrow(() -> new AssertionError("no reranked run in " + out));
    }
    TrecRun run = TrecRun.read(runFile);
    try (CrossEncoderReranker ce = (CrossEncoderReranker) Rerankers.create("cross-encoder:model=" + model)) {
      for (Map.Entry<String, List<Candidate>> e : lists.entrySet()) {
        List<Candidate> cs = e.getValue();
        double[] scores = ce.scores(texts.get(e.getKey()), cs.subList(0, depth));
        Integer[] order = new Integer[depth];
        for (int i = 0; i < depth; i++) {
          order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
        List<String> expected = new ArrayList<>();
        for (int i : order) {
          expected.add(cs.get(i).docId());
        }
        cs.subList(depth, cs.size()).forEach(c -> expected.add(c.docId()));
        List<TrecRun.Entry> got = run.ranked(e.getKey());
        assertEquals(expected, got.stream().map(TrecRun.Entry::docId).toList(), e.getKey());
        for (int i = 0; i < depth; i++) {
          assertEquals((float) scores[order[i]], got.get(i).score(), 1e-6, "the run carries the reranker's score");
        }
      }
    }
  }

  @Test
  void aCrossEncoderFromADirectoryReranksThroughEvaluate(@TempDir Path tmp) throws Exception {
    Path beir = tinyBeir(tmp.resolve("tiny"));
    Path out = tmp.resolve("out");
    Cli r = Cli.run("evaluate", "--beir", beir.toString(), "--model", "none", "--rerank",
        "cross-encoder:model=" + model + ",batch-tokens=1024", "--rerank-depth", Integer.toString(DEPTH), "-k", "20",
        "--output", out.toString(), "--permutations", "100");
    assertEquals(0, r.code(), r.out() + r.err());
    Qrels qrels = Qrels.read(beir.resolve("qrels/test.tsv"));
    TrecRun bm25 = TrecRun.read(out.resolve("run.bm25.trec"));
    // the run label carries the whole spec, the model directory included (bm25+cross-encoder_model=..._...)
    Path runFile;
    try (var files = Files.list(out)) {
      runFile = files.filter(f -> f.getFileName().toString().startsWith("run.bm25+cross-encoder")).findFirst()
          .orElseThrow(() -> new AssertionError("no reranked run in " + out));
    }
    String label = runFile.getFileName().toString().replaceAll("^run\\.|\\.trec$", "");
    TrecRun reranked = TrecRun.read(runFile);
    int reordered = 0;
    for (String q : bm25.queries()) {
      List<String> first = bm25.ranked(q).stream().map(TrecRun.Entry::docId).toList();
      List<String> got = reranked.ranked(q).stream().map(TrecRun.Entry::docId).toList();
      int top = Math.min(DEPTH, first.size());
      assertEquals(new HashSet<>(first.subList(0, top)), new HashSet<>(got.subList(0, top)), q);
      assertEquals(first.subList(top, first.size()), got.subList(top, got.size()), q);
      if (!first.subList(0, top).equals(got.subList(0, top))) {
        reordered++;
      }
    }
    assertTrue(reordered > 0, "the cross-encoder reorders some query's top documents");
    List<Metric> metrics = Metrics.defaults();
    EvaluationResult rescored = Evaluator.evaluate(reranked, qrels, metrics, Evaluator.Averaging.ALL_JUDGED);
    Map<String, String> printed = SciFactRegressionTest.printedRow(r.out(), label);
    for (Metric m : metrics) {
      assertEquals(String.format(Locale.ROOT, "%.4f", rescored.mean(m.name())), printed.get(m.name()), m.name());
    }
    double forward = Evaluator.evaluate(bm25, qrels, metrics, Evaluator.Averaging.ALL_JUDGED).mean("nDCG@10");
    assertNotEquals(forward, rescored.mean("nDCG@10"), "the reranked run is not the BM25 run");
  }

  /** The first 100 documents of the sample, and the first 6 queries with a judged document among them. */
  static Path tinyBeir(Path dir) throws Exception {
    Files.createDirectories(dir.resolve("qrels"));
    List<String> docs = Files.readAllLines(SAMPLE.resolve("corpus.jsonl")).subList(0, 100);
    Files.write(dir.resolve("corpus.jsonl"), docs);
    Set<String> ids = new HashSet<>();
    for (String d : docs) {
      ids.add(d.substring(d.indexOf("\"_id\":\"") + 7, d.indexOf('"', d.indexOf("\"_id\":\"") + 7)));
    }
    List<String> qrels = Files.readAllLines(SAMPLE.resolve("qrels/test.tsv"));
    List<String> kept = new java.util.ArrayList<>(List.of(qrels.get(0)));
    Set<String> queries = new HashSet<>();
    for (String line : qrels.subList(1, qrels.size())) {
      String[] f = line.split("\t");
      if (ids.contains(f[1]) && (queries.contains(f[0]) || queries.size() < 6)) {
        queries.add(f[0]);
        kept.add(line);
      }
    }
    Files.write(dir.resolve("qrels/test.tsv"), kept);
    Files.write(dir.resolve("queries.jsonl"), Files.readAllLines(SAMPLE.resolve("queries.jsonl")).stream()
        .filter(l -> queries.contains(l.substring(l.indexOf("\"_id\":\"") + 7,
            l.indexOf('"', l.indexOf("\"_id\":\"") + 7))))
        .toList());
    return dir;
  }
}
