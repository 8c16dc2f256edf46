package dev.attnir.eval.position;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report: every number in JSON, one TSV row per system and query, PNG charts drawn, and the Markdown summary. */
class PositionBiasReportTest {

  static List<SystemResult> synthetic() {
    Random r = new Random(1);
    List<SystemResult> out = new ArrayList<>();
    for (String system : List.of("bm25", "dense (whole document)", "dense (passages)")) {
      List<PositionBias.Item> items = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        double rel = r.nextDouble();
        double p = system.contains("whole") ? 0.9 - 0.8 * rel : 0.8;
        int start = (int) (rel * 9000);
        items.add(new PositionBias.Item("q" + i, start, start + 500, 10_000, 2000,
            r.nextDouble() < p ? 1.0 : 0.0));
      }
      out.add(new SystemResult("n20", system, items, PositionBias.analyze(items, 200, 1),
          system.equals("bm25") ? Double.NaN : 0.85, system.equals("bm25") ? 0 : 40, 1.0));
    }
    return out;
  }

  @Test
  void pngsAreDrawnAndJsonHasEveryNumber(@TempDir Path dir) throws Exception {
    PositionBiasReport.write(dir, synthetic(), Map.of("test", "synthetic"));
    JsonNode json = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
    assertEquals(3, json.get("results").size());
    JsonNode whole = json.get("results").get(1).get("summaries").get("all");
    assertTrue(whole.get("psi").asDouble() > 0.5, "the whole-document system is built position-sensitive");
    assertTrue(whole.get("slope").asDouble() < 0);
    assertEquals(3, json.get("pairs").size(), "each pair of the three systems once");
    JsonNode wholeVsPassages = json.get("pairs").get(2);
    assertEquals("dense (whole document)", wholeVsPassages.get("a").asText());
    assertEquals(400, wholeVsPassages.get("queries").asInt());
    List<String> rows = Files.readAllLines(dir.resolve("queries.tsv"));
    assertEquals(1 + 3 * 400, rows.size(), "a header and one row per system and item");
    assertEquals("n20\tbm25\tq0\t", rows.get(1).substring(0, rows.get(1).indexOf("\tq0\t") + 4));
    for (String png : List.of("position-n20-q4-1536.png", "psi-n20.png")) {
      BufferedImage img = ImageIO.read(dir.resolve(png).toFile());
      assertTrue(colors(img, 0, 0, img.getWidth(), img.getHeight()) > 10, png + " is drawn");
    }
    String md = Files.readString(dir.resolve("report.md"));
    assertTrue(md.contains("| dense (whole document) | 400 | "), md);
    assertTrue(md.contains("[psi-n20.png](psi-n20.png)"), "the summary links the charts");
  }

  private static int colors(BufferedImage img, int x0, int y0, int w, int h) {
    Set<Integer> seen = new HashSet<>();
    for (int y = y0; y < y0 + h; y += 2) {
      for (int x = x0; x < x0 + w; x += 2) {
        seen.add(img.getRGB(x, y) & 0xFFFFFF);
      }
    }
    return seen.size();
  }
}
