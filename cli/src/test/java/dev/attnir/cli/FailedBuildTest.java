package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.indexer.search.LuceneSearchBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A build that fails part-way is rolled back, not committed, and the user is told what the index holds: nothing (and
 * the directory this run created is gone), its periodic commits, or the index as it was before a failed rebuild.
 */
class FailedBuildTest {

  /** {@code valid} documents, then one without an id. */
  private static Path corpus(Path dir, String name, int valid) throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < valid; i++) {
      lines.add("{\"_id\": \"d" + i + "\", \"text\": \"document number " + i + " about mitochondria\"}");
    }
    lines.add("{\"text\": \"no id here\"}");
    return Files.write(dir.resolve(name), lines);
  }

  private static long documents(Path index) {
    try (LuceneSearchBackend b = LuceneSearchBackend.open(index)) {
      return b.manifest().documents();
    }
  }

  @Test
  void aFailedFirstBuildLeavesNoDirectory(@TempDir Path dir) throws Exception {
    Path index = dir.resolve("index");
    Cli r = Cli.run("index", "--corpus", corpus(dir, "c.jsonl", 5).toString(), "--index", index.toString(),
        "--model", "none");
    assertEquals(AttnirCli.EXIT_USAGE, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("c.jsonl:6"), r.err());
    assertTrue(r.err().contains("nothing was committed and " + index + " was removed."), r.err());
    assertFalse(Files.exists(index), "no directory holding only a lock file");
  }

  @Test
  void aFailedBuildKeepsItsPeriodicCommitsAndSaysHowMany(@TempDir Path dir) throws Exception {
    Path index = dir.resolve("index");
    Cli r = Cli.run("index", "--corpus", corpus(dir, "c.jsonl", 5).toString(), "--index", index.toString(),
        "--model", "none", "--commit-every", "2");
    assertEquals(AttnirCli.EXIT_USAGE, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("the index at " + index + " keeps its last commit: 4 documents"), r.err());
    assertEquals(4, documents(index), "the fifth document, read after the last commit, is not committed");
  }

  @Test
  void aFailedRebuildLeavesTheIndexAsItWas(@TempDir Path dir) throws Exception {
    Path index = dir.resolve("index");
    Path good = dir.resolve("good.jsonl");
    Files.writeString(good, "{\"_id\": \"a\", \"text\": \"alpha\"}\n{\"_id\": \"b\", \"text\": \"beta\"}\n");
    assertEquals(0, Cli.run("index", "--corpus", good.toString(), "--index", index.toString(), "--model", "none")
        .code());
    Cli r = Cli.run("index", "--corpus", corpus(dir, "c.jsonl", 5).toString(), "--index", index.toString(),
        "--model", "none", "--overwrite");
    assertEquals(AttnirCli.EXIT_USAGE, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("was discarded; the index at " + index + " is as it was"), r.err());
    assertEquals(2, documents(index));
    // appending a failing corpus commits nothing either
    Cli append = Cli.run("index", "--corpus", corpus(dir, "c2.jsonl", 3).toString(), "--index", index.toString(),
        "--model", "none");
    assertEquals(AttnirCli.EXIT_USAGE, append.code());
    assertTrue(append.err().contains("keeps its last commit: 2 documents"), append.err());
    assertEquals(2, documents(index));
  }
}
