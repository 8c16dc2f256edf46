package dev.attnir.eval.position;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * Writes position-bias results: {@code report.json} with every number (including paired tests between the systems of a
 * group, see {@link SystemPairs}), {@code queries.tsv} with every query's nDCG@10 per system, PNG charts drawn with
 * JFreeChart (nDCG@10 against relative position per length bucket, one line per system; PSI with bootstrap intervals)
 * and {@code report.md} with the summary tables. The JSON and the PNGs are the record; there is one chart renderer.
 */
public final class PositionBiasReport {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
      new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
      new Color(0xbcbd22), new Color(0x17becf)};

  /** Sign flips of the paired randomization tests between systems. */
  static final int PAIR_PERMUTATIONS = 10_000;

  private PositionBiasReport() {}

  /**
   * Writes the report.
   *
   * @param context free-form description of the run (sets, models, settings, machine) for the JSON and the summary
   * @return the Markdown summary
   */
  public static Path write(Path dir, List<SystemResult> results, Map<String, Object> context) {
    System.setProperty("java.awt.headless", "true");
    try {
      Files.createDirectories(dir);
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("context", context);
      json.put("results", results.stream().map(PositionBiasReport::toJson).toList());
      json.put("pairs", SystemPairs.compare(results, PAIR_PERMUTATIONS, 1).stream().map(PositionBiasReport::pairJson)
          .toList());
      JSON.writeValue(dir.resolve("report.json").toFile(), json);
      writeQueries(dir.resolve("queries.tsv"), results);
      List<String> images = writePngs(dir, results);
      Path md = dir.resolve("report.md");
      Files.writeString(md, markdown(results, context, images), StandardCharsets.UTF_8);
      return md;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write report to " + dir + ": " + e.getMessage(), e);
    }
  }

  private static Map<String, Object> pairJson(SystemPairs.Pair p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("group", p.group());
    m.put("a", p.a());
    m.put("b", p.b());
    m.put("queries", p.queries());
    m.put("meanA", p.meanA());
    m.put("meanB", p.meanB());
    m.put("difference", p.difference());
    m.put("randomizationP", p.randomizationP());
    return m;
  }

  /** One row per system and item, so that any other comparison can be made without rerunning. */
  private static void writeQueries(Path file, List<SystemResult> results) throws IOException {
    try (var w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write("group\tsystem\tquery\tset\trelative_position\tdoc_tokens\tndcg10\n");
      for (SystemResult r : results) {
        for (PositionBias.Item it : r.items()) {
          w.write(String.format(Locale.ROOT, "%s\t%s\t%s\t%s\t%.6f\t%d\t%.6f\n", r.group(), r.system(), it.query(),
              it.set(), it.relativePosition(), it.docTokens(), it.ndcg10()));
        }
      }
    }
  }

  private static Map<String, Object> toJson(SystemResult r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("group", r.group());
    m.put("system", r.system());
    m.put("queries", r.items().size());
    m.put("goldOnlyNdcg10", Double.isNaN(r.goldOnlyNdcg10()) ? null : r.goldOnlyNdcg10());
    m.put("goldOnlyQueries", r.goldOnlyQueries());
    m.put("seconds", r.seconds());
    Map<String, Object> s = new LinkedHashMap<>();
    r.summaries().forEach((k, v) -> s.put(k, summaryJson(v)));
    m.put("summaries", s);
    return m;
  }

  private static Map<String, Object> summaryJson(PositionBias.Summary v) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("queries", v.queries());
    m.put("ndcg10", num(v.ndcg10()));
    m.put("psi", num(v.psi()));
    m.put("psiCi95", Double.isFinite(v.psiLow()) && Double.isFinite(v.psiHigh()) ? List.of(v.psiLow(), v.psiHigh())
        : null);
    m.put("psiNoPositionEffect", num(v.psiNull()));
    m.put("psiPermutationP", num(v.psiNullP()));
    m.put("slope", num(v.slope()));
    m.put("pearson", num(v.pearson()));
    m.put("spearman", num(v.spearman()));
    m.put("spearmanP", num(v.spearmanP()));
    m.put("kendall", num(v.kendall()));
    List<Map<String, Object>> bins = new ArrayList<>();
    for (PositionBias.Bin b : v.bins()) {
      Map<String, Object> bm = new LinkedHashMap<>();
      bm.put("center", b.center());
      bm.put("count", b.count());
      bm.put("mean", num(b.mean()));
      bins.add(bm);
    }
    m.put("bins", bins);
    m.put("warnings", v.warnings());
    return m;
  }

  /** JSON has no NaN: a missing number is null, and the summary's warnings say why. */
  private static Double num(double x) {
    return Double.isFinite(x) ? x : null;
  }

  private static List<String> writePngs(Path dir, List<SystemResult> results) throws IOException {
    List<String> files = new ArrayList<>();
    for (String group : results.stream().map(SystemResult::group).distinct().toList()) {
      List<SystemResult> rs = results.stream().filter(r -> r.group().equals(group)).toList();
      for (String bucket : occupiedBuckets(rs)) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (SystemResult r : rs) {
          XYSeries series = new XYSeries(r.system());
          for (PositionBias.Bin b : r.summaries().get(bucket).bins()) {
            if (b.count() > 0) {
              series.add(b.center(), b.mean());
            }
          }
          data.addSeries(series);
        }
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < rs.size(); i++) {
          renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
          renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        NumberAxis x = new NumberAxis("relative position of the relevant passage");
        x.setRange(0, 1);
        NumberAxis y = new NumberAxis("nDCG@10");
        y.setRange(0, 1.05);
        JFreeChart chart = new JFreeChart(group + ", documents " + bucket, JFreeChart.DEFAULT_TITLE_FONT,
            new XYPlot(data, x, y, renderer), true);
        chart.setBackgroundPaint(Color.WHITE);
        String name = "position-" + slug(group) + "-" + slug(bucket) + ".png";
        ChartUtils.saveChartAsPNG(dir.resolve(name).toFile(), chart, 900, 500);
        files.add(name);
      }
      files.add(psiPng(dir, group, rs));
    }
    return files;
  }

  private static String psiPng(Path dir, String group, List<SystemResult> rs) throws IOException {
    XYSeriesCollection bars = new XYSeriesCollection();
    XYSeries psi = new XYSeries("PSI");
    YIntervalSeriesCollection intervals = new YIntervalSeriesCollection();
    YIntervalSeries ci = new YIntervalSeries("95% bootstrap interval");
    String[] labels = new String[rs.size()];
    for (int i = 0; i < rs.size(); i++) {
      PositionBias.Summary s = rs.get(i).summaries().get("all");
      labels[i] = rs.get(i).system();
      if (Double.isFinite(s.psi())) {
        psi.add(i, s.psi());
        if (Double.isFinite(s.psiLow())) {
          ci.add(i, s.psi(), s.psiLow(), s.psiHigh());
        }
      }
    }
    bars.addSeries(psi);
    intervals.addSeries(ci);
    SymbolAxis x = new SymbolAxis("system", labels);
    NumberAxis y = new NumberAxis("PSI = 1 - min(bin nDCG@10) / max(bin nDCG@10)");
    y.setRange(0, 1);
    XYPlot plot = new XYPlot(bars, x, y, new XYBarRenderer(0.4));
    plot.getRenderer().setSeriesPaint(0, PALETTE[0]);
    plot.setDataset(1, intervals);
    XYErrorRenderer err = new XYErrorRenderer();
    err.setSeriesPaint(0, Color.BLACK);
    err.setErrorPaint(Color.BLACK);
    err.setCapLength(10);
    plot.setRenderer(1, err);
    JFreeChart chart = new JFreeChart(group + ": position sensitivity (PSI), all queries", JFreeChart.DEFAULT_TITLE_FONT,
        plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    String name = "psi-" + slug(group) + ".png";
    ChartUtils.saveChartAsPNG(dir.resolve(name).toFile(), chart, 900, 500);
    return name;
  }

  private static List<String> occupiedBuckets(List<SystemResult> rs) {
    List<String> out = new ArrayList<>();
    for (String b : PositionBias.BUCKETS) {
      if (rs.get(0).summaries().get(b).queries() > 0) {
        out.add(b);
      }
    }
    return out;
  }

  private static String slug(String s) {
    return s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
  }

  /** The summary tables as Markdown, one per group, with links to the charts. */
  private static String markdown(List<SystemResult> results, Map<String, Object> context, List<String> images)
      throws IOException {
    StringBuilder md = new StringBuilder("# Position bias\n\n");
    md.append("nDCG@10 per relative-position bin of the relevant passage; PSI = 1 - min / max of the bin means (0: "
        + "position does not matter). \"PSI with no position effect\" is the noise floor (scores shuffled across "
        + "positions) and p how often the shuffles reach the observed PSI; intervals are 95% basic bootstrap "
        + "intervals over queries. Every number is in report.json.\n\n");
    md.append("```\n").append(JSON.writeValueAsString(context)).append("\n```\n");
    for (String group : results.stream().map(SystemResult::group).distinct().toList()) {
      md.append("\n## ").append(group).append("\n\n| system | queries | nDCG@10 | gold-only | ratio | PSI | 95% interval "
          + "| PSI with no position effect | p | slope | Spearman (p) | warnings |\n"
          + "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
      for (SystemResult r : results) {
        if (!r.group().equals(group)) {
          continue;
        }
        PositionBias.Summary s = r.summaries().get("all");
        md.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
            r.system(), r.items().size(), fmt(s.ndcg10()), fmt(r.goldOnlyNdcg10()),
            Double.isFinite(r.goldOnlyNdcg10()) ? fmt(s.ndcg10() / r.goldOnlyNdcg10()) : "",
            fmt(s.psi()), Double.isFinite(s.psiLow()) ? "[" + fmt(s.psiLow()) + ", " + fmt(s.psiHigh()) + "]" : "",
            fmt(s.psiNull()), Double.isFinite(s.psiNullP()) ? String.format(Locale.ROOT, "%.3g", s.psiNullP()) : "",
            fmt(s.slope()), Double.isFinite(s.spearman()) ? fmt(s.spearman()) + " (" + String.format(Locale.ROOT,
                "%.2g", s.spearmanP()) + ")" : "", String.join("; ", s.warnings())));
      }
      SystemResult first = results.stream().filter(r -> r.group().equals(group)).findFirst().orElseThrow();
      md.append("\nQueries per relative-position bin (every system sees the same queries): ");
      for (PositionBias.Bin b : first.summaries().get("all").bins()) {
        md.append(b.count()).append(b.index() < PositionBias.BINS - 1 ? ", " : "\n");
      }
    }
    md.append("\nCharts: ");
    for (String img : images) {
      md.append("[").append(img).append("](").append(img).append(") ");
    }
    return md.append("\n").toString();
  }

  private static String fmt(double x) {
    return Double.isFinite(x) ? String.format(Locale.ROOT, "%.4f", x) : "-";
  }
}
