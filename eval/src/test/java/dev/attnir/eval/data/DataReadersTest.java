package dev.attnir.eval.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.Document;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataReadersTest {

  private static Path corpus(Path dir, String contents) throws Exception {
    Path f = dir.resolve("corpus.jsonl");
    Files.writeString(f, contents);
    return f;
  }

  private static InputException fails(Path f) {
    return assertThrows(InputException.class, () -> CorpusReader.readAll(f, CorpusReader.InvalidPolicy.FAIL));
  }

  @Test
  void validCorpusReads(@TempDir Path dir) throws Exception {
    Path f = corpus(dir, "{\"_id\": \"1\", \"title\": \"T\", \"text\": \"x\"}\n\n{\"_id\": 2, \"text\": \"y\"}\n"
        + "{\"_id\": \"3\", \"title\": \"only a title\", \"text\": \"\"}\n");
    List<Document> docs = CorpusReader.readAll(f, CorpusReader.InvalidPolicy.FAIL);
    assertEquals(List.of(new Document("1", "T", "x"), new Document("2", "", "y"), new Document("3", "only a title", "")),
        docs);
  }

  @Test
  void malformedJsonNamesFileAndLine(@TempDir Path dir) throws Exception {
    Path f = corpus(dir, "{\"_id\": \"1\", \"text\": \"x\"}\n{\"_id\": \"2\", \"text\": \"unterminated}\n");
    InputException e = fails(f);
    assertEquals(2, e.line());
    assertTrue(e.getMessage().startsWith(f + ":2: malformed JSON"), e.getMessage());
  }

  @Test
  void missingFieldsAndEmptyText(@TempDir Path dir) throws Exception {
    InputException id = fails(corpus(dir, "{\"text\": \"x\"}\n"));
    assertTrue(id.getMessage().contains(":1: missing required field '_id'"), id.getMessage());
    InputException text = fails(corpus(dir, "{\"_id\": \"a\"}\n")); // with a title it is valid: IdsAndBytesTest
    assertTrue(text.getMessage().contains("document 'a' has no field 'text'"), text.getMessage());
    InputException empty = fails(corpus(dir, "{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"b\", \"text\": \"  \"}\n"));
    assertEquals(2, empty.line());
    assertTrue(empty.getMessage().contains("document 'b' has empty 'text'"), empty.getMessage());
    InputException type = fails(corpus(dir, "{\"_id\": \"a\", \"text\": [1, 2]}\n"));
    assertTrue(type.getMessage().contains("field 'text' must be a string"), type.getMessage());
  }

  @Test
  void duplicateIdsNameBothLines(@TempDir Path dir) throws Exception {
    InputException e = fails(corpus(dir, "{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"b\", \"text\": \"y\"}\n"
        + "{\"_id\": \"a\", \"text\": \"z\"}\n"));
    assertEquals(3, e.line());
    assertTrue(e.getMessage().contains("duplicate _id 'a' (first seen at line 1)"), e.getMessage());
  }

  @Test
  void invalidUtf8NamesTheLine(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("corpus.jsonl");
    byte[] good = "{\"_id\": \"a\", \"text\": \"ok\"}\n{\"_id\": \"b\", \"text\": \"bad ".getBytes("UTF-8");
    byte[] tail = "\"}\n".getBytes("UTF-8");
    byte[] all = new byte[good.length + 2 + tail.length];
    System.arraycopy(good, 0, all, 0, good.length);
    all[good.length] = (byte) 0xC3; // lead byte of a 2-byte sequence...
    all[good.length + 1] = (byte) 0x28; // ...followed by a non-continuation byte
    System.arraycopy(tail, 0, all, good.length + 2, tail.length);
    Files.write(f, all);
    InputException e = fails(f);
    assertEquals(2, e.line());
    assertTrue(e.getMessage().contains("invalid UTF-8"), e.getMessage());
  }

  @Test
  void skipPolicyCountsAndReportsInvalidDocuments(@TempDir Path dir) throws Exception {
    Path f = corpus(dir, "{\"_id\": \"a\", \"text\": \"x\"}\nnot json\n{\"text\": \"no id\"}\n{\"_id\": \"b\", \"text\": \"y\"}\n");
    try (CorpusReader r = new CorpusReader(f, CorpusReader.InvalidPolicy.SKIP)) {
      assertEquals("a", r.next().id());
      assertEquals("b", r.next().id());
      assertEquals(null, r.next());
      assertEquals(2, r.skipped());
      assertTrue(r.skippedReasons().get(0).contains("corpus.jsonl:2: malformed JSON"), r.skippedReasons().toString());
    }
  }

  @Test
  void qrelsAndQueries(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("qrels"));
    Files.writeString(dir.resolve("qrels/test.tsv"), "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\n");
    Files.writeString(dir.resolve("queries.jsonl"), "{\"_id\": \"q1\", \"text\": \"one\"}\n"
        + "{\"_id\": \"q2\", \"text\": \"two\"}\n{\"_id\": \"q3\", \"text\": \"unjudged\"}\n");
    Files.writeString(dir.resolve("corpus.jsonl"), "{\"_id\": \"d1\", \"text\": \"x\"}\n");
    BeirDataset ds = BeirDataset.open(dir, "test");
    assertEquals(List.of("q1", "q2"), List.copyOf(ds.queries().keySet()));
    assertEquals(2, ds.qrels().of("q2").get("d2"));
    Files.writeString(dir.resolve("qrels/test.tsv"), "q1\td1\t1\nq9\td2\tx\n");
    InputException bad = assertThrows(InputException.class, () -> BeirDataset.open(dir, "test"));
    assertTrue(bad.getMessage().contains("test.tsv:2: relevance 'x' is not an integer"), bad.getMessage());
    Files.writeString(dir.resolve("qrels/test.tsv"), "q1\td1\t1\nq9\td2\t1\n");
    InputException missing = assertThrows(InputException.class, () -> BeirDataset.open(dir, "test"));
    assertTrue(missing.getMessage().contains("judges query 'q9'"), missing.getMessage());
    InputException split = assertThrows(InputException.class, () -> BeirDataset.open(dir, "dev"));
    assertTrue(split.getMessage().contains("dev.tsv"), split.getMessage());
  }
}
