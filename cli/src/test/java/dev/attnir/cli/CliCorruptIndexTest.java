package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Four bytes flipped inside the compound file of a one-segment index, at places spread over the whole file: {@code
 * search} and {@code evaluate} exit with the "corrupt or unreadable" error every time, never with a result (changed or
 * not) and never with a stack trace. Before checksums were verified on open, such damage gave changed scores, missing
 * hits, or LZ4 / read-past-EOF stack traces.
 */
class CliCorruptIndexTest {

  private static final Path SAMPLE = Path.of("../samples/nq-sample");
  private static final int PLACES = 9;

  @TempDir
  static Path tmp;

  private static Path pristine;

  @BeforeAll
  static void buildWithEvaluate() throws Exception {
    Cli r = evaluate(tmp.resolve("pristine-run"), tmp.resolve("pristine-run/index"));
    assertEquals(0, r.code(), r.out() + r.err());
    pristine = tmp.resolve("pristine-run/index");
    try (Stream<Path> files = Files.list(pristine)) {
      assertEquals(List.of("_0.cfs"), files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cfs"))
          .toList(), "one segment, as a compound file");
    }
  }

  private static Cli evaluate(Path output, Path index, String... more) {
    List<String> args = new ArrayList<>(List.of("evaluate", "--beir", SAMPLE.toString(), "--model", "none",
        "--output", output.toString(), "--index", index.toString(), "--permutations", "100"));
    args.addAll(List.of(more));
    return Cli.run(args.toArray(String[]::new));
  }

  private static Cli search(Path index, String... more) {
    List<String> args = new ArrayList<>(List.of("search", "--index", index.toString(), "--queries",
        SAMPLE.resolve("queries.jsonl").toString(), "-k", "100", "--run", index.resolveSibling("run.trec").toString()));
    args.addAll(List.of(more));
    return Cli.run(args.toArray(String[]::new));
  }

  private static Path damagedCopy(String name, int place) throws Exception {
    Path copy = tmp.resolve(name).resolve("index");
    Files.createDirectories(copy);
    try (Stream<Path> files = Files.list(pristine)) {
      for (Path f : files.toList()) {
        Files.copy(f, copy.resolve(f.getFileName()));
      }
    }
    Path cfs = copy.resolve("_0.cfs");
    byte[] bytes = Files.readAllBytes(cfs);
    int offset = (int) ((long) place * (bytes.length - 4) / (PLACES - 1));
    for (int i = 0; i < 4; i++) {
      bytes[offset + i] ^= (byte) 0x5A;
    }
    Files.write(cfs, bytes);
    return copy;
  }

  private static void assertCorrupt(Cli r, Path index) {
    assertEquals(AttnirCli.EXIT_USAGE, r.code(), r.out() + r.err());
    assertTrue(r.err().startsWith("error: index at " + index + " is corrupt or unreadable"), r.err());
    assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
  }

  @Test
  void searchAndEvaluateRefuseEveryDamagedPlace() throws Exception {
    for (int place = 0; place < PLACES; place++) {
      Path index = damagedCopy("verified-" + place, place);
      assertCorrupt(search(index), index);
      assertCorrupt(evaluate(index.getParent(), index), index);
    }
  }

  @Test
  void withNoVerifyADamagedIndexNeverGivesAStackTrace() throws Exception {
    for (int place = 0; place < PLACES; place++) {
      Path index = damagedCopy("unverified-" + place, place);
      Cli r = search(index, "--no-verify");
      assertNotEquals(1, r.code(), r.out() + r.err());
      assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
      if (r.code() != 0) {
        assertCorrupt(r, index);
      }
    }
  }
}
