package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code reorder}: U-shape context orders from candidate lists, and its refusals. */
class ReorderCliTest {

  @Test
  void uShapeOrdersEachList(@TempDir Path dir) throws Exception {
    Path lists = dir.resolve("lists.jsonl");
    Files.writeString(lists, """
        {"qid": "q1", "query": "a", "candidates": [{"docid": "d1", "rank": 1, "text": "x"}, {"docid": "d2", "rank": 2, "text": "x"}, {"docid": "d3", "rank": 3, "text": "x"}, {"docid": "d4", "rank": 4, "text": "x"}]}
        """);
    Path out = dir.resolve("orders.jsonl");
    Cli r = Cli.run("reorder", "--candidates", lists.toString(), "--u-shape", "--output", out.toString());
    assertEquals(0, r.code(), r.out() + r.err());
    assertEquals("{\"qid\":\"q1\",\"slots\":[\"d1\",\"d3\",\"d4\",\"d2\"]}", Files.readString(out).strip());
  }

  @Test
  void needsExactlyOneOfProfileAndUShape(@TempDir Path dir) throws Exception {
    Path lists = dir.resolve("lists.jsonl");
    Files.writeString(lists, "{\"qid\": \"q1\", \"query\": \"a\", \"candidates\": [{\"docid\": \"d1\", \"rank\": 1, "
        + "\"text\": \"x\"}]}\n");
    Cli r = Cli.run("reorder", "--candidates", lists.toString(), "--output", dir.resolve("o").toString());
    assertEquals(AttnirCli.EXIT_USAGE, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("--profile FILE (AttnRank) or --u-shape"), r.err());
    Cli noReader = Cli.run("reorder", "--candidates", lists.toString(), "--profile", "p.json", "--output",
        dir.resolve("o").toString());
    assertTrue(noReader.err().contains("--profile needs --reader"), noReader.err());
  }
}
