package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input at the command line: exit code 2, one clear line naming the file/line/field, nothing stored lost. */
class CliBadInputTest {

  private static Path corpus(Path dir, String contents) throws Exception {
    Path f = dir.resolve("corpus.jsonl");
    Files.writeString(f, contents);
    return f;
  }

  private static void assertError(Cli r, String... fragments) {
    assertEquals(AttnirCli.EXIT_USAGE, r.code(), r.out() + r.err());
    for (String f : fragments) {
      assertTrue(r.err().contains(f), "expected '" + f + "' in: " + r.err());
    }
    assertTrue(r.err().startsWith("error: "), r.err());
    assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
  }

  @Test
  void unknownModelListsTheKnownOnes(@TempDir Path dir) throws Exception {
    Path c = corpus(dir, "{\"_id\": \"1\", \"text\": \"x\"}\n");
    assertError(Cli.run("index", "--corpus", c.toString(), "--index", dir.resolve("i").toString(), "--model",
        "bert-huge"), "unknown model 'bert-huge'", "bge-small-en-v1.5", "all-MiniLM-L6-v2", "e5-small-v2");
  }

  @Test
  void malformedCorpusNamesFileAndLineAndKeepsTheCommittedIndex(@TempDir Path dir) throws Exception {
    Path index = dir.resolve("index");
    Path good = corpus(dir, "{\"_id\": \"1\", \"text\": \"first document\"}\n");
    assertEquals(0, Cli.run("index", "--corpus", good.toString(), "--index", index.toString(), "--model", "none")
        .code());
    Path bad = dir.resolve("more.jsonl");
    Files.writeString(bad, "{\"_id\": \"2\", \"text\": \"ok\"}\n{\"_id\": \"3\", \"text\": \"broken}\n");
    assertError(Cli.run("index", "--corpus", bad.toString(), "--index", index.toString(), "--model", "none"),
        bad + ":2: malformed JSON");
    Cli search = Cli.run("search", "--index", index.toString(), "--query", "first");
    assertEquals(0, search.code(), search.err());
    assertTrue(search.out().contains(" 1 "), "the committed document is still there: " + search.out());
    Cli skip = Cli.run("index", "--corpus", bad.toString(), "--index", index.toString(), "--model", "none",
        "--on-invalid", "skip");
    assertEquals(0, skip.code(), skip.err());
    assertTrue(skip.out().contains("Skipped 1 invalid documents") && skip.out().contains("more.jsonl:2"), skip.out());
  }

  @Test
  void denseSearchOnABm25OnlyIndexIsRefused(@TempDir Path dir) throws Exception {
    Path c = corpus(dir, "{\"_id\": \"1\", \"text\": \"alpha\"}\n");
    Path index = dir.resolve("index");
    assertEquals(0, Cli.run("index", "--corpus", c.toString(), "--index", index.toString(), "--model", "none").code());
    assertError(Cli.run("search", "--index", index.toString(), "--query", "alpha", "--retriever", "dense"),
        "no vectors");
  }

  @Test
  void anIndexBuiltDifferentlyIsRefusedAndLeftReadable(@TempDir Path dir) throws Exception {
    Path c = corpus(dir, "{\"_id\": \"1\", \"text\": \"alpha beta\"}\n");
    Path index = dir.resolve("index");
    assertEquals(0, Cli.run("index", "--corpus", c.toString(), "--index", index.toString(), "--model", "none").code());
    assertError(Cli.run("index", "--corpus", c.toString(), "--index", index.toString(), "--model", "none",
        "--analyzer", "standard"), "built differently", "analyzer");
    assertError(Cli.run("index", "--corpus", c.toString(), "--index", index.toString(), "--model", "none",
        "--analyzer", "klingon"), "unknown analyzer 'klingon'");
    assertEquals(0, Cli.run("search", "--index", index.toString(), "--query", "alpha").code());
  }

  @Test
  void badOptionsAreNamed(@TempDir Path dir) throws Exception {
    Path c = corpus(dir, "{\"_id\": \"1\", \"text\": \"alpha\"}\n");
    assertError(Cli.run("index", "--corpus", c.toString(), "--index", dir.resolve("i").toString(), "--model", "none",
        "--passages", "window", "--passage-length", "10", "--passage-stride", "20"), "stride");
    assertError(Cli.run("index", "--corpus", c.toString(), "--index", dir.resolve("j").toString(), "--pooling",
        "magic"), "unknown pooling 'magic'");
    assertError(Cli.run("rescore", "--qrels", dir.resolve("nope.tsv").toString(), "--run", c.toString()),
        "nope.tsv", "file not found");
    assertError(Cli.run("index", "--corpus", dir.resolve("missing.jsonl").toString(), "--index",
        dir.resolve("k").toString(), "--model", "none"), "missing.jsonl", "file not found");
  }

  @Test
  void overLongTextIsTruncatedCountedAndReported(@TempDir Path dir) throws Exception {
    String longText = "the quick brown fox jumps over the lazy dog ".repeat(120); // about 1,080 tokens
    Path c = corpus(dir, "{\"_id\": \"long\", \"text\": \"" + longText + "\"}\n"
        + "{\"_id\": \"short\", \"text\": \"a short one\"}\n");
    Cli r = Cli.run("index", "--corpus", c.toString(), "--index", dir.resolve("index").toString(),
        "--passages", "document");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("1 truncated at 512 tokens"), r.out());
    Cli auto = Cli.run("index", "--corpus", c.toString(), "--index", dir.resolve("auto").toString());
    assertEquals(0, auto.code(), auto.err());
    assertTrue(auto.out().contains("0 truncated at 512 tokens"), "the default never truncates: " + auto.out());
    assertTrue(auto.out().contains("1 document longer than the model reads was cut into windows"), auto.out());
    assertTrue(auto.out().contains("4 passages"), "3 windows of the long document and the short one: " + auto.out());
    Cli windows = Cli.run("index", "--corpus", c.toString(), "--index", dir.resolve("windows").toString(),
        "--passages", "window", "--passage-length", "256", "--passage-stride", "256");
    assertEquals(0, windows.code(), windows.err());
    assertTrue(windows.out().contains("0 truncated at 512 tokens"), "windows fit the model: " + windows.out());
    assertTrue(windows.out().contains("6 passages"), windows.out());
  }
}
