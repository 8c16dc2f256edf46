package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code attention-report}: tables and charts from attention-profile outputs, and its refusals. */
class AttentionReportCliTest {

  private static void profile(Path dir, String reader, int k, String share) throws Exception {
    Files.createDirectories(dir);
    String errors = ("0.001,").repeat(k);
    Files.writeString(dir.resolve("profile.json"), "{\"format\": \"attnir-slot-profile/1\", \"reader\": \"" + reader
        + "\", \"focus\": \"QUERY\", \"k\": " + k + ", \"samples\": 10, \"share\": [" + share + "], \"stdError\": ["
        + errors.substring(0, errors.length() - 1) + "]}");
  }

  private static void attnrank(Path dir, String reader, int k, double gain) throws Exception {
    Files.writeString(dir.resolve("attnrank.json"), "{\"reader\": \"" + reader + "\", \"k\": " + k + ", \"orders\": ["
        + "{\"order\": \"retrieval\", \"mean\": 0.2, \"low\": 0.19, \"high\": 0.21},"
        + "{\"order\": \"u-shape\", \"mean\": 0.21, \"low\": 0.2, \"high\": 0.22},"
        + "{\"order\": \"attnrank\", \"mean\": " + (0.2 + gain) + ", \"low\": 0.2, \"high\": 0.3}]}");
  }

  @Test
  void tablesAndChartsPerListSize(@TempDir Path dir) throws Exception {
    profile(dir.resolve("a5"), "encoder:alpha,onnx-sha256=1", 3, "0.5, 0.2, 0.3");
    attnrank(dir.resolve("a5"), "encoder:alpha,onnx-sha256=1", 3, 0.05);
    profile(dir.resolve("b5"), "decoder:beta,weights=2", 3, "0.1, 0.3, 0.6");
    profile(dir.resolve("a2"), "encoder:alpha,onnx-sha256=1", 2, "0.4, 0.6");
    Path out = dir.resolve("report");
    Cli r = Cli.run("attention-report", dir.resolve("a5").toString(), dir.resolve("b5").toString(),
        dir.resolve("a2").toString(), "--output", out.toString());
    assertEquals(0, r.code(), r.out() + r.err());
    String md = Files.readString(out.resolve("report.md"));
    assertTrue(md.contains("| alpha | 0.500 0.200 0.300 | 1 / 2 | 2.50 |"), md);
    assertTrue(md.contains("| beta | 0.100 0.300 0.600 | 3 / 1 | 6.00 |"), md);
    assertTrue(md.contains("| alpha | 0.2000 [0.1900, 0.2100] | 0.2100 [0.2000, 0.2200] | 0.2500 [0.2000, 0.3000] |"),
        md);
    assertTrue(md.indexOf("## k = 2") < md.indexOf("## k = 3"), md);
    for (String png : new String[] {"basin-k2.png", "basin-k3.png", "attnrank-k3.png"}) {
      assertTrue(Files.size(out.resolve(png)) > 1000, png);
    }
    assertTrue(Files.notExists(out.resolve("attnrank-k2.png")), "no AttnRank chart without attnrank.json");
  }

  @Test
  void refusesDirectoriesThatAreNotProfilesAndMismatchedEvaluations(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("empty"));
    Cli empty = Cli.run("attention-report", dir.resolve("empty").toString(), "--output", dir.resolve("o").toString());
    assertTrue(empty.code() != 0 && empty.err().contains("no profile.json"), empty.err());
    profile(dir.resolve("a"), "encoder:alpha", 3, "0.5, 0.2, 0.3");
    attnrank(dir.resolve("a"), "encoder:other", 3, 0.05);
    Cli mismatch = Cli.run("attention-report", dir.resolve("a").toString(), "--output", dir.resolve("o").toString());
    assertTrue(mismatch.code() != 0 && mismatch.err().contains("reader, k or focus differ"), mismatch.err());
  }
}
