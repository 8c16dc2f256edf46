package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.attnir.indexer.IndexManifest;
import dev.attnir.indexer.retrieve.RetrievalConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code evaluate} never answers silently wrong: a stale index is not reused, inputs that would score 0 are refused or
 * warned about, and a refused run leaves the previous results alone. BM25 only (--model none), on the NQ sample.
 */
class EvaluateChecksTest {

  static final Path SAMPLE = Path.of("../samples/nq-sample");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Copies the sample to {@code dir}, with the corpus lines {@code corpus} keeps (and edits). */
  private static Path dataset(Path dir, java.util.function.UnaryOperator<List<String>> corpus) throws Exception {
    Files.createDirectories(dir.resolve("qrels"));
    Files.copy(SAMPLE.resolve("queries.jsonl"), dir.resolve("queries.jsonl"));
    Files.copy(SAMPLE.resolve("qrels/test.tsv"), dir.resolve("qrels/test.tsv"));
    Files.write(dir.resolve("corpus.jsonl"), corpus.apply(Files.readAllLines(SAMPLE.resolve("corpus.jsonl"))));
    return dir;
  }

  /** Ids of the documents the sample's qrels judge relevant. */
  private static Set<String> relevant() throws Exception {
    Set<String> ids = new HashSet<>();
    for (String line : Files.readAllLines(SAMPLE.resolve("qrels/test.tsv")).subList(1, 201)) {
      ids.add(line.split("\t")[1]);
    }
    return ids;
  }

  /** The corpus with the texts of {@code n} relevant documents replaced: same ids, same count. */
  private static List<String> replaceRelevantTexts(List<String> lines, int n) {
    try {
      Set<String> rel = relevant();
      List<String> out = new ArrayList<>();
      int replaced = 0;
      for (String line : lines) {
        ObjectNode doc = (ObjectNode) JSON.readTree(line);
        if (replaced < n && rel.contains(doc.get("_id").asText())) {
          doc.put("text", "nothing to see here");
          doc.put("title", "");
          replaced++;
        }
        out.add(JSON.writeValueAsString(doc));
      }
      return out;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Cli evaluate(Path beir, Path output, String... more) {
    List<String> args = new ArrayList<>(List.of("evaluate", "--beir", beir.toString(), "--output", output.toString(),
        "--model", "none", "-k", "10", "--metrics", "nDCG@10"));
    args.addAll(List.of(more));
    return Cli.run(args.toArray(String[]::new));
  }

  private static void assertRefused(Cli r, String... fragments) {
    assertEquals(AttnirCli.EXIT_USAGE, r.code(), r.out() + r.err());
    for (String f : fragments) {
      assertTrue(r.err().contains(f), "expected '" + f + "' in: " + r.err());
    }
  }

  @Test
  void anIndexOfAnotherCorpusWithTheSameIdsIsNotReused(@TempDir Path dir) throws Exception {
    Path d1 = dataset(dir.resolve("d1/mini"), l -> l);
    Path d3 = dataset(dir.resolve("d3/mini"), l -> replaceRelevantTexts(l, 20));
    Path out = dir.resolve("out");
    Cli first = evaluate(d1, out);
    assertEquals(0, first.code(), first.err());
    String summary = Files.readString(out.resolve("summary.json"));

    Cli stale = evaluate(d3, out);
    assertRefused(stale, "does not hold corpus", "ids, titles or texts differ from the corpus's", "--overwrite");
    assertFalse(stale.out().contains("Reusing index"), stale.out());
    assertEquals(summary, Files.readString(out.resolve("summary.json")), "the refused run wrote no results");

    Cli rebuilt = evaluate(d3, out, "--overwrite");
    assertEquals(0, rebuilt.code(), rebuilt.err());
    Cli reused = evaluate(d3, out);
    assertEquals(0, reused.code(), reused.err());
    assertTrue(reused.out().contains("Reusing index"), reused.out());
  }

  @Test
  void anIndexBuiltInSeveralAddsWithReplacementsIsRecognised(@TempDir Path dir) throws Exception {
    Path d1 = dataset(dir.resolve("d1/mini"), l -> l);
    Path d3 = dataset(dir.resolve("d3/mini"), l -> replaceRelevantTexts(l, 20));
    List<String> lines = Files.readAllLines(d1.resolve("corpus.jsonl"));
    Path firstHalf = dir.resolve("a.jsonl");
    Path secondHalf = dir.resolve("b.jsonl");
    Files.write(firstHalf, lines.subList(495, 990));
    Files.write(secondHalf, lines.subList(0, 495));
    Path index = dir.resolve("index");
    // another order, in three runs, with the d3 texts in between: the index then holds exactly d1's documents
    for (Path part : List.of(firstHalf, d3.resolve("corpus.jsonl"), secondHalf, firstHalf)) {
      Cli r = Cli.run("index", "--corpus", part.toString(), "--index", index.toString(), "--model", "none");
      assertEquals(0, r.code(), r.err());
    }
    Cli reused = evaluate(d1, dir.resolve("out1"), "--index", index.toString());
    assertEquals(0, reused.code(), reused.err());
    assertTrue(reused.out().contains("Reusing index"), reused.out());
    assertRefused(evaluate(d3, dir.resolve("out3"), "--index", index.toString()),
        "ids, titles or texts differ from the corpus's");
  }

  @Test
  void anIndexWithoutAFingerprintIsNotReused(@TempDir Path dir) throws Exception {
    Path d1 = dataset(dir.resolve("d1/mini"), l -> l);
    Path out = dir.resolve("out");
    assertEquals(0, evaluate(d1, out).code());
    // what an index written before fingerprints looks like: the same manifest without the field
    try (Directory fs = FSDirectory.open(out.resolve("index"));
        IndexWriter w = new IndexWriter(fs, new IndexWriterConfig().setOpenMode(IndexWriterConfig.OpenMode.APPEND))) {
      ObjectNode m = (ObjectNode) JSON.readTree(
          SegmentInfos.readLatestCommit(fs).getUserData().get(IndexManifest.COMMIT_KEY));
      assertTrue(m.hasNonNull("corpusFingerprint"), m.toString());
      m.remove("corpusFingerprint");
      w.setLiveCommitData(Map.of(IndexManifest.COMMIT_KEY, m.toString()).entrySet());
      w.commit();
    }
    assertRefused(evaluate(d1, out), "records no corpus fingerprint", "--overwrite");
  }

  @Test
  void zeroHitsAreRefusedAndKeepThePreviousResults(@TempDir Path dir) throws Exception {
    Path d1 = dataset(dir.resolve("mini"), l -> l);
    Path out = dir.resolve("out");
    assertEquals(0, evaluate(d1, out).code());
    String summary = Files.readString(out.resolve("summary.json"));
    assertRefused(Cli.run("evaluate", "--beir", d1.toString(), "--output", out.toString(), "--model", "none",
        "-k", "0"), "-k/--hits must be at least 1");
    assertEquals(summary, Files.readString(out.resolve("summary.json")));

    // every query only stopwords: the run retrieves nothing at all, and is refused after retrieval, not before
    List<String> stopwords = new ArrayList<>();
    for (String line : Files.readAllLines(d1.resolve("queries.jsonl"))) {
      stopwords.add("{\"_id\":" + JSON.readTree(line).get("_id") + ",\"text\":\"the of\"}");
    }
    Files.write(d1.resolve("queries.jsonl"), stopwords);
    assertRefused(evaluate(d1, out), "BM25 had no terms for 200 of 200 queries",
        "retriever bm25 returned no documents for any of the 200 queries; no results were written");
    assertEquals(summary, Files.readString(out.resolve("summary.json")));
    try (var s = Files.list(out)) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".staging")), "no staging left behind");
    }
  }

  @Test
  void anEmptyCorpusIsRefused(@TempDir Path dir) throws Exception {
    Path empty = dataset(dir.resolve("mini"), l -> List.of());
    assertRefused(evaluate(empty, dir.resolve("out")), "has no documents");
    assertFalse(Files.exists(dir.resolve("out/index")), "no index was built");
  }

  @Test
  void judgedDocumentsMissingFromTheCorpusAreCountedOrRefused(@TempDir Path dir) throws Exception {
    Set<String> rel = relevant();
    // drop 10 of the 200 relevant documents: 10 queries can only score 0
    Path partial = dataset(dir.resolve("partial"), l -> {
      List<String> kept = new ArrayList<>();
      int dropped = 0;
      for (String line : l) {
        String id = line.substring(line.indexOf("\"_id\":\"") + 7, line.indexOf("\",\""));
        if (dropped < 10 && rel.contains(id)) {
          dropped++;
        } else {
          kept.add(line);
        }
      }
      return kept;
    });
    Cli r = evaluate(partial, dir.resolve("out"));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("name 10 documents absent from"), r.err());
    assertTrue(r.err().contains("10 of 200 queries have no relevant document in the corpus"), r.err());

    Path none = dataset(dir.resolve("none"), l -> l.stream().filter(line -> rel.stream()
        .noneMatch(id -> line.contains("\"_id\":\"" + id + "\""))).toList());
    assertRefused(evaluate(none, dir.resolve("out2")), "none of the 200 queries of split 'test' has a relevant "
        + "document in corpus");
  }

  @Test
  void queriesWithoutBm25TermsAreNamed(@TempDir Path dir) throws Exception {
    Path d = dataset(dir.resolve("mini"), l -> l);
    List<String> queries = new ArrayList<>(Files.readAllLines(d.resolve("queries.jsonl")));
    queries.set(0, "{\"_id\":\"q2364\",\"text\":\"the of and\"}");
    queries.set(1, "{\"_id\":\"q857\",\"text\":\"\"}");
    Files.write(d.resolve("queries.jsonl"), queries);
    Cli r = evaluate(d, dir.resolve("out"));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("BM25 had no terms for 2 of 200 queries"), r.err());
    assertTrue(r.err().contains("q2364, q857"), r.err());
    assertNotEquals(-1, r.err().indexOf("bm25 returns no documents for them"), r.err());
  }

  @Test
  void hybridSaysItRanksQueriesWithoutTermsByDenseAloneAndEmptyQueriesAreNamed() {
    StringWriter err = new StringWriter();
    Map<String, String> queries = new LinkedHashMap<>();
    queries.put("q1", "who wrote hamlet");
    queries.put("q2", "  ");
    queries.put("q3", "it is the");
    QueryTermCheck.warn(queries, "english-porter", List.of(RetrievalConfig.defaults(RetrievalConfig.Kind.DENSE),
        RetrievalConfig.defaults(RetrievalConfig.Kind.HYBRID)), new PrintWriter(err));
    assertEquals("warning: BM25 had no terms for 2 of 3 queries (empty, or only stopwords for analyzer "
        + "english-porter): q2, q3; hybrid ranks them by dense similarity alone\n"
        + "warning: 1 of 3 queries are empty: q2; dense and hybrid rank arbitrary documents for them",
        err.toString().strip().replace(System.lineSeparator(), "\n"));
    StringWriter dense = new StringWriter();
    QueryTermCheck.warn(queries, "english-porter", List.of(RetrievalConfig.defaults(RetrievalConfig.Kind.DENSE)),
        new PrintWriter(dense));
    assertEquals("warning: 1 of 3 queries are empty: q2; dense ranks arbitrary documents for them",
        dense.toString().strip(), "dense alone does not use BM25 terms; only the empty query is meaningless to it");
  }
}
