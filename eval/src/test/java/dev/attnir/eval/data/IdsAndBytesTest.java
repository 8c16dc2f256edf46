package dev.attnir.eval.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.Document;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ids a TREC file cannot carry are refused where they enter; bytes that are not UTF-8 are located and skippable. */
class IdsAndBytesTest {

  private static Path write(Path dir, String name, String contents) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, contents);
    return f;
  }

  private static void assertContains(String message, String... fragments) {
    for (String f : fragments) {
      assertTrue(message.contains(f), "expected '" + f + "' in: " + message);
    }
  }

  @Test
  void beirQrelsAreSplitOnTabsOnlySoASpaceInAnIdIsRefusedNotMisread(@TempDir Path dir) throws Exception {
    Path withHeader = write(dir, "test.tsv", "query-id\tcorpus-id\tscore\nq1\tdoc one\t1\n");
    InputException e = assertThrows(InputException.class, () -> Qrels.read(withHeader));
    assertEquals(2, e.line());
    assertContains(e.getMessage(), withHeader + ":2: document id 'doc one' contains whitespace (U+0020 at character 4)",
        "refused, not encoded");
    Path noHeader = write(dir, "plain.tsv", "q1\tdoc one\t1\n");
    assertContains(assertThrows(InputException.class, () -> Qrels.read(noHeader)).getMessage(),
        noHeader + ":1: document id 'doc one'");
    Path query = write(dir, "query.tsv", "q1\td1\t1\nq 2\td2\t1\n");
    assertContains(assertThrows(InputException.class, () -> Qrels.read(query)).getMessage(),
        query + ":2: query id 'q 2' contains whitespace");
    // a BEIR file stays BEIR: a space-separated line in it is an error, not a TREC line
    Path mixed = write(dir, "mixed.tsv", "q1\td1\t1\nq1 0 d2 1\n");
    assertContains(assertThrows(InputException.class, () -> Qrels.read(mixed)).getMessage(),
        mixed + ":2: expected 3 tab-separated columns", "got 1");
  }

  @Test
  void trecAndSpaceSeparatedQrelsStillRead(@TempDir Path dir) throws Exception {
    Qrels trec = Qrels.read(write(dir, "qrels.txt", "q1 0 d1 1\nq1\t0\td2\t0\nq2 0 d3 2\n"));
    assertEquals(Map.of("d1", 1, "d2", 0), trec.of("q1"));
    assertEquals(2, trec.of("q2").get("d3"));
    Qrels beir = Qrels.read(write(dir, "beir.tsv", "query-id\tcorpus-id\tscore\r\nq1\td1\t1\r\n\r\nq1\td2\t2 \n"));
    assertEquals(Map.of("d1", 1, "d2", 2), beir.of("q1"));
    Qrels spaces = Qrels.read(write(dir, "spaces.txt", "query-id corpus-id score\nq1 d1 1\n"));
    assertEquals(Map.of("d1", 1), spaces.of("q1"));
    Path ragged = write(dir, "ragged.txt", "q1 0 d1 1\nq1 0 doc two 1\n");
    assertContains(assertThrows(InputException.class, () -> Qrels.read(ragged)).getMessage(),
        ragged + ":2: expected 4 whitespace-separated columns as on the file's first line, got 5");
  }

  @Test
  void aRunWithAnIdItCannotCarryIsRefusedAndTheOldFileKept(@TempDir Path dir) throws Exception {
    Path file = write(dir, "run.trec", "q1 Q0 d1 1 1.0 old\n");
    TrecRun run = new TrecRun(Map.of("q1", List.of(new TrecRun.Entry("doc one", 0.48))));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run.write(file, "bm25"));
    assertContains(e.getMessage(), "cannot write run " + file + ": query 'q1': document id 'doc one' contains "
        + "whitespace", "refused, not encoded");
    assertEquals("q1 Q0 d1 1 1.0 old\n", Files.readString(file));
    TrecRun badQuery = new TrecRun(Map.of("q\t1", List.of(new TrecRun.Entry("d1", 1))));
    assertContains(assertThrows(IllegalArgumentException.class, () -> badQuery.write(file, "t")).getMessage(),
        "query id 'q\\u00091' contains whitespace (U+0009 at character 2)");
    TrecRun empty = new TrecRun(Map.of("q1", List.of(new TrecRun.Entry("", 1))));
    assertContains(assertThrows(IllegalArgumentException.class, () -> empty.write(file, "t")).getMessage(),
        "document id is empty");
    Qrels qrels = new Qrels(Map.of("q1", Map.of("doc one", 1)));
    assertContains(assertThrows(IllegalArgumentException.class, () -> qrels.writeTrec(dir.resolve("q.txt")))
        .getMessage(), "query 'q1': document id 'doc one'");
  }

  @Test
  void corpusIdsWithWhitespaceAreInvalidDocuments(@TempDir Path dir) throws Exception {
    Path f = write(dir, "corpus.jsonl", "{\"_id\": \"d1\", \"text\": \"x\"}\n{\"_id\": \"doc one\", \"text\": \"y\"}\n"
        + "{\"_id\": \"tab\\there\", \"text\": \"z\"}\n{\"_id\": \"\", \"text\": \"e\"}\n{\"_id\": \"d2\", \"text\": \"w\"}\n");
    InputException e = assertThrows(InputException.class, () -> CorpusReader.readAll(f,
        CorpusReader.InvalidPolicy.FAIL));
    assertEquals(2, e.line());
    assertContains(e.getMessage(), f + ":2: field '_id' 'doc one' contains whitespace (U+0020 at character 4); "
        + TrecIds.RULE);
    try (CorpusReader r = new CorpusReader(f, CorpusReader.InvalidPolicy.SKIP)) {
      assertEquals(List.of("d1", "d2"), r.stream().map(Document::id).toList());
      assertEquals(3, r.skipped());
      assertContains(r.skippedReasons().get(0), "corpus.jsonl:2: field '_id' 'doc one'");
      assertContains(r.skippedReasons().get(1), "corpus.jsonl:3: field '_id' 'tab\\u0009here' contains whitespace "
          + "(U+0009 at character 4)");
      assertContains(r.skippedReasons().get(2), "corpus.jsonl:4: field '_id' is empty");
    }
  }

  @Test
  void queryIdsWithWhitespaceAreRefused(@TempDir Path dir) throws Exception {
    Path jsonl = write(dir, "queries.jsonl", "{\"_id\": \"q1\", \"text\": \"a\"}\n{\"_id\": \"q 2\", \"text\": \"b\"}\n");
    assertContains(assertThrows(InputException.class, () -> Queries.read(jsonl)).getMessage(),
        jsonl + ":2: field '_id' 'q 2' contains whitespace");
    Path tsv = write(dir, "queries.tsv", "q1\ta\nq 2\tb\n");
    assertContains(assertThrows(InputException.class, () -> Queries.read(tsv)).getMessage(),
        tsv + ":2: query id 'q 2' contains whitespace");
  }

  private static Path invalidUtf8Corpus(Path dir) throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes("{\"_id\": \"a\", \"text\": \"ok\"}\n{\"_id\": \"b\", \"text\": \"bad ".getBytes(StandardCharsets.UTF_8));
    b.write(0xC3); // lead byte of a 2-byte sequence...
    b.write(0x28); // ...followed by a non-continuation byte
    b.writeBytes("\"}\n{\"_id\": \"c\", \"text\": \"fine\"}\n".getBytes(StandardCharsets.UTF_8));
    Path f = dir.resolve("corpus.jsonl");
    Files.write(f, b.toByteArray());
    return f;
  }

  @Test
  void invalidUtf8NamesTheByteOffsetAndCanBeSkipped(@TempDir Path dir) throws Exception {
    Path f = invalidUtf8Corpus(dir);
    // line 1 is 26 bytes and its newline; the bad byte comes after the 26 bytes that start line 2
    InputException e = assertThrows(InputException.class, () -> CorpusReader.readAll(f,
        CorpusReader.InvalidPolicy.FAIL));
    assertEquals(f + ":2: invalid UTF-8 at byte offset 53 of the file (offset 26 in the line, both counted from 0): "
        + "0xC3 does not form a valid UTF-8 sequence", e.getMessage());
    byte[] bytes = Files.readAllBytes(f);
    assertArrayEquals(new byte[] {(byte) 0xC3, 0x28}, new byte[] {bytes[53], bytes[54]});
    try (CorpusReader r = new CorpusReader(f, CorpusReader.InvalidPolicy.SKIP)) {
      assertEquals(List.of("a", "c"), r.stream().map(Document::id).toList());
      assertEquals(1, r.skipped());
      assertContains(r.skippedReasons().get(0), "corpus.jsonl:2: invalid UTF-8 at byte offset 53");
    }
  }

  @Test
  void aTitleWithoutTextIsADocumentWhetherTheTextIsEmptyOrMissing(@TempDir Path dir) throws Exception {
    Path f = write(dir, "corpus.jsonl", "{\"_id\": \"a\", \"title\": \"A title\", \"text\": \"\"}\n"
        + "{\"_id\": \"b\", \"title\": \"B title\"}\n{\"_id\": \"c\", \"title\": \"C title\", \"text\": null}\n");
    assertEquals(List.of(new Document("a", "A title", ""), new Document("b", "B title", ""),
        new Document("c", "C title", "")), CorpusReader.readAll(f, CorpusReader.InvalidPolicy.FAIL));
    try (CorpusReader r = new CorpusReader(f, CorpusReader.InvalidPolicy.FAIL)) {
      assertEquals(3, r.stream().count());
      assertEquals(3, r.titleOnly());
      assertEquals("corpus.jsonl:1: document 'a'", r.firstTitleOnly());
    }
    Path none = write(dir, "none.jsonl", "{\"_id\": \"a\", \"title\": \" \"}\n");
    assertContains(assertThrows(InputException.class, () -> CorpusReader.readAll(none,
        CorpusReader.InvalidPolicy.FAIL)).getMessage(), none + ":1: document 'a' has no field 'text' and no title: "
        + "nothing to index");
  }
}
