package dev.attnir.eval.position;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report's charts render: PNGs are drawn, and the HTML draws its charts in headless Chromium without errors. */
class PositionBiasReportTest {

  static List<PositionBiasRun.Result> synthetic() {
    Random r = new Random(1);
    List<PositionBiasRun.Result> out = new ArrayList<>();
    for (String system : List.of("bm25", "dense (whole document)", "dense (passages)")) {
      List<PositionBias.Item> items = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        double rel = r.nextDouble();
        double p = system.contains("whole") ? 0.9 - 0.8 * rel : 0.8;
        int start = (int) (rel * 9000);
        items.add(new PositionBias.Item("q" + i, start, start + 500, 10_000, 2000,
            r.nextDouble() < p ? 1.0 : 0.0));
      }
      out.add(new PositionBiasRun.Result("n20", system, items, PositionBias.analyze(items, 200, 1),
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
  }

  @Test
  void htmlChartsRenderInHeadlessChromium(@TempDir Path dir) throws Exception {
    Path chromium = chromium();
    Path html = PositionBiasReport.write(dir, synthetic(), Map.of("test", "synthetic"));
    List<String> base = List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--hide-scrollbars", "--user-data-dir=" + dir.resolve("profile"), "--virtual-time-budget=10000",
        "--window-size=1100,2600");
    List<String> dump = new ArrayList<>(base);
    dump.add("--dump-dom");
    dump.add(html.toUri().toString());
    String dom = run(dump, dir.resolve("dom.txt"));
    Matcher rendered = Pattern.compile("data-charts-rendered=\"(\\d+)\"").matcher(dom);
    assertTrue(rendered.find(), "the page's script ran to the end");
    assertEquals(2, Integer.parseInt(rendered.group(1)), "one position chart (one bucket) and one PSI chart");
    Matcher errors = Pattern.compile("data-errors=\"([^\"]*)\"").matcher(dom);
    assertTrue(errors.find());
    assertEquals("[]", errors.group(1).replace("&quot;", "\""), "no console or script errors");
    Matcher boxes = Pattern.compile("data-chart-boxes=\"([^\"]*)\"").matcher(dom);
    assertTrue(boxes.find());
    JsonNode rects = new ObjectMapper().readTree(boxes.group(1).replace("&quot;", "\""));

    List<String> shot = new ArrayList<>(base);
    Path png = dir.resolve("screenshot.png");
    shot.add("--screenshot=" + png);
    shot.add(html.toUri().toString());
    run(shot, dir.resolve("shot.txt"));
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(2, rects.size());
    for (JsonNode rect : rects) {
      int x = rect.get("x").asInt();
      int y = rect.get("y").asInt();
      int w = Math.min(rect.get("w").asInt(), img.getWidth() - x);
      int h = Math.min(rect.get("h").asInt(), img.getHeight() - y);
      assertTrue(w > 200 && h > 200, "chart area " + rect + " is inside the screenshot");
      assertTrue(colors(img, x, y, w, h) > 20, "plot area at " + rect + " is not blank");
      assertTrue(nonWhite(img, x, y, w, h) > 0.01, "lines and axes cover part of the plot area at " + rect);
    }
  }

  private static Path chromium() {
    String configured = System.getenv("ATTNIR_CHROMIUM");
    for (String c : new String[] {configured, "/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
      if (c != null && new File(c).canExecute()) {
        return Path.of(c);
      }
    }
    Assumptions.abort("skipped: no headless Chromium (Debian package 'chromium'; .ci/run installs it)");
    return null;
  }

  private static String run(List<String> cmd, Path log) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium finished");
    assertEquals(0, p.exitValue(), "chromium exit code; log: " + Files.readString(log));
    return new String(out, StandardCharsets.UTF_8);
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

  private static double nonWhite(BufferedImage img, int x0, int y0, int w, int h) {
    long n = 0;
    long total = 0;
    for (int y = y0; y < y0 + h; y++) {
      for (int x = x0; x < x0 + w; x++) {
        total++;
        if ((img.getRGB(x, y) & 0xFFFFFF) != 0xFFFFFF) {
          n++;
        }
      }
    }
    return (double) n / total;
  }
}
