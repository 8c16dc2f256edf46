package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ids a TREC run cannot carry, bytes that are not UTF-8, title-only documents and an --index that is a file. */
class CliIdsAndBytesTest {

  private static void assertError(Cli r, String... fragments) {
    assertEquals(AttnirCli.EXIT_USAGE, r.code(), r.out() + r.err());
    for (String f : fragments) {
      assertTrue(r.err().contains(f), "expected '" + f + "' in: " + r.err());
    }
    assertTrue(r.err().startsWith("error: "), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
  }

  private static Cli index(Path corpus, Path index, String... more) {
    String[] args = {"index", "--corpus", corpus.toString(), "--index", index.toString(), "--model", "none"};
    String[] all = new String[args.length + more.length];
    System.arraycopy(args, 0, all, 0, args.length);
    System.arraycopy(more, 0, all, args.length, more.length);
    return Cli.run(all);
  }

  @Test
  void aBeirDatasetWithASpaceInADocumentIdIsRefusedNotScoredZero(@TempDir Path dir) throws Exception {
    Path beir = dir.resolve("beir");
    Files.createDirectories(beir.resolve("qrels"));
    Files.writeString(beir.resolve("corpus.jsonl"), "{\"_id\": \"doc one\", \"text\": \"alpha beta\"}\n"
        + "{\"_id\": \"d2\", \"text\": \"gamma\"}\n");
    Files.writeString(beir.resolve("queries.jsonl"), "{\"_id\": \"q1\", \"text\": \"alpha\"}\n");
    Path qrels = beir.resolve("qrels/test.tsv");
    Files.writeString(qrels, "query-id\tcorpus-id\tscore\nq1\tdoc one\t1\n");
    assertError(Cli.run("evaluate", "--beir", beir.toString(), "--output", dir.resolve("out").toString(),
        "--retriever", "bm25", "--model", "none"), qrels + ":2: document id 'doc one' contains whitespace",
        "refused, not encoded");
    Path run = dir.resolve("run.trec");
    Files.writeString(run, "q1 Q0 other 1 0.48 bm25\n");
    assertError(Cli.run("rescore", "--qrels", qrels.toString(), "--run", run.toString()), qrels + ":2: document id");
  }

  @Test
  void aCorpusIdWithWhitespaceIsRefusedOrSkipped(@TempDir Path dir) throws Exception {
    Path corpus = dir.resolve("corpus.jsonl");
    Files.writeString(corpus, "{\"_id\": \"d1\", \"text\": \"alpha\"}\n{\"_id\": \"doc one\", \"text\": \"beta\"}\n");
    assertError(index(corpus, dir.resolve("index")), corpus + ":2: field '_id' 'doc one' contains whitespace "
        + "(U+0020 at character 4); ids with whitespace or control characters are refused, not encoded");
    Cli skip = index(corpus, dir.resolve("index"), "--on-invalid", "skip");
    assertEquals(0, skip.code(), skip.err());
    assertTrue(skip.out().contains("Skipped 1 invalid documents") && skip.out().contains("corpus.jsonl:2: field '_id' "
        + "'doc one'"), skip.out());
  }

  @Test
  void invalidUtf8IsLocatedAndCanBeSkipped(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes("{\"_id\": \"a\", \"text\": \"ok\"}\n{\"_id\": \"b\", \"text\": \"bad ".getBytes(StandardCharsets.UTF_8));
    b.write(0xC3);
    b.write(0x28);
    b.writeBytes("\"}\n{\"_id\": \"c\", \"text\": \"fine\"}\n".getBytes(StandardCharsets.UTF_8));
    Path corpus = dir.resolve("corpus.jsonl");
    Files.write(corpus, b.toByteArray());
    assertError(index(corpus, dir.resolve("index")), corpus + ":2: invalid UTF-8 at byte offset 53 of the file "
        + "(offset 26 in the line, both counted from 0): 0xC3 does not form a valid UTF-8 sequence");
    Cli skip = index(corpus, dir.resolve("index"), "--on-invalid", "skip");
    assertEquals(0, skip.code(), skip.err());
    assertTrue(skip.out().contains("Indexed 2 documents read") && skip.out().contains("Skipped 1 invalid documents")
        && skip.out().contains("corpus.jsonl:2: invalid UTF-8 at byte offset 53"), skip.out());
  }

  @Test
  void anIndexPathThatIsAFileIsNamedAndLeftAlone(@TempDir Path dir) throws Exception {
    Path corpus = dir.resolve("corpus.jsonl");
    Files.writeString(corpus, "{\"_id\": \"d1\", \"text\": \"alpha\"}\n");
    Path file = dir.resolve("notes.txt");
    Files.writeString(file, "keep me");
    assertError(index(corpus, file), "error: --index " + file + " is a file, not a directory");
    assertError(index(corpus, file.resolve("index")), "error: --index " + file.resolve("index") + ": " + file
        + " is a file, not a directory");
    assertEquals("keep me", Files.readString(file));
  }

  @Test
  void aTitleWithoutTextIsIndexedAsItsTitle(@TempDir Path dir) throws Exception {
    Path corpus = dir.resolve("corpus.jsonl");
    Files.writeString(corpus, "{\"_id\": \"missing\", \"title\": \"alpha report\"}\n"
        + "{\"_id\": \"empty\", \"title\": \"alpha summary\", \"text\": \"\"}\n{\"_id\": \"other\", \"text\": \"beta\"}\n");
    Path index = dir.resolve("index");
    Cli r = index(corpus, index);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("Indexed 3 documents read"), r.out());
    assertTrue(r.out().contains("2 documents have a title and no text, indexed as their title (first: corpus.jsonl:1: "
        + "document 'missing')"), r.out());
    Cli search = Cli.run("search", "--index", index.toString(), "--query", "alpha", "--retriever", "bm25");
    assertEquals(0, search.code(), search.err());
    assertTrue(search.out().contains("missing") && search.out().contains("empty"), search.out());
  }
}
