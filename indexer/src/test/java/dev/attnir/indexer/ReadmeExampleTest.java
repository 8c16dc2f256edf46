package dev.attnir.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.Document;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's library example, verbatim: it compiles, runs, and finds the document the query is about. The test also
 * checks that the README still shows exactly this code, so the two cannot drift apart.
 */
class ReadmeExampleTest {

  @Test
  void theReadmeExampleRunsAsWritten(@TempDir Path tmp) throws IOException {
    Path dir = tmp.resolve("my-index");
    PrintStream original = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    try {
      // README example start
      try (Indexer indexer = Indexer.create(dir, IndexConfig.defaults())) {
        indexer.add(new Document("d1", "Mitochondria", "The mitochondrion is the powerhouse of the cell."));
        indexer.add(new Document("d2", "Lucene", "Apache Lucene is a search library written in Java."));
      }
      try (Searcher searcher = Searcher.open(dir)) {
        for (SearchHit hit : searcher.search("which search library is written in Java?", 10)) {
          System.out.println(hit.rank() + " " + hit.docId() + " " + hit.score() + " " + hit.text());
        }
      }
      // README example end
    } finally {
      System.setOut(original);
    }
    List<String> lines = printed.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(2, lines.size(), printed.toString(StandardCharsets.UTF_8));
    assertTrue(lines.get(0).startsWith("1 d2 "), lines.get(0));
    assertTrue(lines.get(0).endsWith(" Lucene Apache Lucene is a search library written in Java."), lines.get(0));

    String readme = Files.readString(Path.of("..", "README.md"));
    String self = Files.readString(Path.of("src/test/java/dev/attnir/indexer/ReadmeExampleTest.java"));
    String code = self.substring(self.indexOf("// README example start\n") + "// README example start\n".length(),
        self.indexOf("      // README example end")).stripTrailing().stripIndent();
    assertTrue(readme.contains(code), "README.md shows the example exactly as this test runs it:\n" + code);
  }
}
