package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Limits are enforced where they bind, and named: option values out of range are refused by option name before a
 * model loads, a max length above the graph's positions is refused at load, window passages fit the model with their
 * title, and {@code search --model} reports what is wrong with the model given.
 */
class CliLimitsTest {

  private static void assertError(Cli r, String... fragments) {
    assertEquals(AttnirCli.EXIT_USAGE, r.code(), r.out() + r.err());
    for (String f : fragments) {
      assertTrue(r.err().contains(f), "expected '" + f + "' in: " + r.err());
    }
    assertTrue(r.err().startsWith("error: "), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
  }

  private static String[] args(String... a) {
    return a;
  }

  @Test
  void outOfRangeValuesAreNamedBeforeAnyModelLoads(@TempDir Path dir) throws Exception {
    Path c = dir.resolve("corpus.jsonl");
    Files.writeString(c, "{\"_id\": \"1\", \"text\": \"alpha beta\"}\n");
    Path bm25 = dir.resolve("bm25");
    assertEquals(0, Cli.run("index", "--corpus", c.toString(), "--index", bm25.toString(), "--model", "none").code());
    String i = dir.resolve("never").toString();
    String b = dir.resolve("no-beir").toString();
    List<Object[]> cases = new ArrayList<>(List.of(
        new Object[] {args("index", "--corpus", c.toString(), "--index", i, "--threads", "0"),
            "--threads must be at least 1, got 0"},
        new Object[] {args("index", "--corpus", c.toString(), "--index", i, "--batch-tokens", "0"),
            "--batch-tokens must be at least 8, got 0"},
        new Object[] {args("index", "--corpus", c.toString(), "--index", i, "--chunk", "0"),
            "--chunk must be at least 1, got 0"},
        new Object[] {args("index", "--corpus", c.toString(), "--index", i, "--model", "none", "--commit-every", "-1"),
            "--commit-every must be at least 0, got -1"},
        new Object[] {args("index", "--corpus", c.toString(), "--index", i, "--passages", "window",
            "--passage-length", "0"), "--passage-length must be at least 1, got 0"},
        new Object[] {args("search", "--index", bm25.toString(), "--query", "alpha", "-k", "-1"),
            "-k must be at least 1, got -1"},
        new Object[] {args("search", "--index", bm25.toString(), "--query", "alpha", "--rrf-k", "-1"),
            "--rrf-k must be at least 0, got -1"},
        new Object[] {args("search", "--index", bm25.toString(), "--query", "alpha", "--threads", "0"),
            "--threads must be at least 1, got 0"},
        new Object[] {args("evaluate", "--beir", b, "--rrf-k", "-1"), "--rrf-k must be at least 0, got -1"},
        new Object[] {args("evaluate", "--beir", b, "--threads", "0"), "--threads must be at least 1, got 0"},
        new Object[] {args("evaluate", "--beir", b, "--dense-weight", "2"), "--dense-weight must be between 0 and 1"}));
    for (Object[] k : cases) {
      assertError(Cli.run((String[]) k[0]), (String) k[1]);
    }
    assertFalse(Files.exists(Path.of(i)), "no index directory is created for a refused option");
  }

  @Test
  void aMaxLengthAboveTheModelsPositionsIsRefusedBeforeAnIndexExists(@TempDir Path dir) throws Exception {
    Path c = dir.resolve("corpus.jsonl");
    Files.writeString(c, "{\"_id\": \"1\", \"text\": \"" + "word ".repeat(700) + "\"}\n");
    Path index = dir.resolve("index");
    assertError(Cli.run("index", "--corpus", c.toString(), "--index", index.toString(), "--model", "all-MiniLM-L6-v2",
        "--max-length", "1024"), "--max-length", "at most 512");
    assertFalse(Files.exists(index) && Files.list(index).findAny().isPresent(), "nothing left in " + index);
  }

  private static Path corpusWithTitles(Path dir) throws Exception {
    Path c = dir.resolve("corpus.jsonl");
    String title = "A title of several words that the encoder reads in front of every window";
    Files.writeString(c, "{\"_id\": \"long\", \"title\": \"" + title + "\", \"text\": \""
        + "the quick brown fox jumps over the lazy dog ".repeat(120) + "\"}\n"
        + "{\"_id\": \"short\", \"title\": \"" + title + "\", \"text\": \"a short one\"}\n");
    return c;
  }

  @Test
  void windowsAtTheLargestAcceptedLengthFitTheModelWithTheirTitle(@TempDir Path dir) throws Exception {
    Cli r = Cli.run("index", "--corpus", corpusWithTitles(dir).toString(), "--index", dir.resolve("i").toString(),
        "--model", "all-MiniLM-L6-v2", "--passages", "window", "--passage-length", "254", "--passage-stride", "254");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains(" 0 truncated at 256 tokens"), "windows shrink for the title: " + r.out());
    assertTrue(r.out().contains("windows were cut shorter than 254 tokens to fit the model with the title and prefix"),
        "and the summary says so: " + r.out());
  }

  @Test
  void theDefaultWindowLengthIsClampedToTheModelAndSaid(@TempDir Path dir) throws Exception {
    Cli r = Cli.run("index", "--corpus", corpusWithTitles(dir).toString(), "--index", dir.resolve("i").toString(),
        "--model", "all-MiniLM-L6-v2", "--passages", "window");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("note: --passages window: the default --passage-length 256 does not fit "
        + "all-MiniLM-L6-v2's max length 256 (minus 2 special tokens); using 254 with stride 191"), r.err());
    assertTrue(r.out().contains(" 0 truncated at 256 tokens"), r.out());
  }

  @Test
  void searchNamesWhatIsWrongWithTheModelGiven(@TempDir Path dir) throws Exception {
    Path c = dir.resolve("corpus.jsonl");
    Files.writeString(c, "{\"_id\": \"1\", \"text\": \"the quick brown fox\"}\n");
    Path index = dir.resolve("index");
    assertEquals(0, Cli.run("index", "--corpus", c.toString(), "--index", index.toString(), "--model",
        "all-MiniLM-L6-v2").code());
    Cli unknown = Cli.run("search", "--index", index.toString(), "--query", "fox", "--model", "bert-huge");
    assertError(unknown, "--model bert-huge: unknown model 'bert-huge'; known models: ", "all-MiniLM-L6-v2");
    Path incomplete = Files.createDirectories(dir.resolve("local-model"));
    Files.writeString(incomplete.resolve("model.onnx"), "");
    Cli missing = Cli.run("search", "--index", index.toString(), "--query", "fox", "--model", incomplete.toString());
    assertError(missing, "model directory " + incomplete + " has no tokenizer.json");
    for (Cli r : List.of(unknown, missing)) {
      assertFalse(r.err().contains("not a built-in model"), r.err());
    }
  }
}
