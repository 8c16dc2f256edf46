package dev.attnir.eval.position;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.InputStream;
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
 * group, see {@link SystemPairs}), {@code queries.tsv} with every query's nDCG@10 per system, a self-contained
 * {@code report.html} (Chart.js inlined from its WebJar: nDCG@10 against relative position per length bucket, one
 * line per system; PSI bars with bootstrap intervals) and PNG images of the same plots drawn with JFreeChart.
 */
public final class PositionBiasReport {

  private static final String CHART_JS = "META-INF/resources/webjars/chart.js/4.5.1/dist/chart.umd.min.js";
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
   * @param context free-form description of the run (sets, models, settings, machine) for the JSON and the page
   * @return the HTML file
   */
  public static Path write(Path dir, List<PositionBiasRun.Result> results, Map<String, Object> context) {
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
      Path html = dir.resolve("report.html");
      Files.writeString(html, html(results, context, images), StandardCharsets.UTF_8);
      return html;
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
  private static void writeQueries(Path file, List<PositionBiasRun.Result> results) throws IOException {
    try (var w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write("group\tsystem\tquery\tset\trelative_position\tdoc_tokens\tndcg10\n");
      for (PositionBiasRun.Result r : results) {
        for (PositionBias.Item it : r.items()) {
          w.write(String.format(Locale.ROOT, "%s\t%s\t%s\t%s\t%.6f\t%d\t%.6f\n", r.group(), r.system(), it.query(),
              it.set(), it.relativePosition(), it.docTokens(), it.ndcg10()));
        }
      }
    }
  }

  private static Map<String, Object> toJson(PositionBiasRun.Result r) {
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

  private static List<String> writePngs(Path dir, List<PositionBiasRun.Result> results) throws IOException {
    List<String> files = new ArrayList<>();
    for (String group : results.stream().map(PositionBiasRun.Result::group).distinct().toList()) {
      List<PositionBiasRun.Result> rs = results.stream().filter(r -> r.group().equals(group)).toList();
      for (String bucket : occupiedBuckets(rs)) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (PositionBiasRun.Result r : rs) {
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

  private static String psiPng(Path dir, String group, List<PositionBiasRun.Result> rs) throws IOException {
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

  private static List<String> occupiedBuckets(List<PositionBiasRun.Result> rs) {
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

  private static String html(List<PositionBiasRun.Result> results, Map<String, Object> context, List<String> images)
      throws IOException {
    String chartJs;
    try (InputStream in = PositionBiasReport.class.getClassLoader().getResourceAsStream(CHART_JS)) {
      if (in == null) {
        throw new IllegalStateException("Chart.js is not on the classpath (" + CHART_JS + ")");
      }
      chartJs = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("results", results.stream().map(PositionBiasReport::toJson).toList());
    data.put("buckets", PositionBias.BUCKETS);
    String dataJson = new ObjectMapper().writeValueAsString(data).replace("</", "<\\/");
    StringBuilder tables = new StringBuilder();
    for (String group : results.stream().map(PositionBiasRun.Result::group).distinct().toList()) {
      tables.append("<h2>").append(esc(group)).append("</h2>\n<table><tr><th>system</th><th>queries</th>"
          + "<th>nDCG@10</th><th>nDCG@10, gold passages alone</th><th>ratio</th><th>PSI</th><th>95% interval</th>"
          + "<th>PSI with no position effect</th><th>p</th><th>slope</th><th>Spearman &rho; (p)</th><th>warnings</th>"
          + "</tr>\n");
      for (PositionBiasRun.Result r : results) {
        if (!r.group().equals(group)) {
          continue;
        }
        PositionBias.Summary s = r.summaries().get("all");
        tables.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td>"
                + "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>%n",
            esc(r.system()), r.items().size(), fmt(s.ndcg10()), fmt(r.goldOnlyNdcg10()),
            Double.isFinite(r.goldOnlyNdcg10()) ? fmt(s.ndcg10() / r.goldOnlyNdcg10()) : "",
            fmt(s.psi()), Double.isFinite(s.psiLow()) ? "[" + fmt(s.psiLow()) + ", " + fmt(s.psiHigh()) + "]" : "",
            fmt(s.psiNull()), Double.isFinite(s.psiNullP()) ? String.format(Locale.ROOT, "%.3g", s.psiNullP()) : "",
            fmt(s.slope()), Double.isFinite(s.spearman()) ? fmt(s.spearman()) + " (" + String.format(Locale.ROOT,
                "%.2g", s.spearmanP()) + ")" : "", esc(String.join("; ", s.warnings()))));
      }
      tables.append("</table>\n");
      PositionBiasRun.Result first = results.stream().filter(r -> r.group().equals(group)).findFirst().orElseThrow();
      tables.append("<p class=\"counts\">Queries per relative-position bin (all systems see the same queries): ");
      for (PositionBias.Bin b : first.summaries().get("all").bins()) {
        tables.append(b.count()).append(b.index() < PositionBias.BINS - 1 ? " &middot; " : "");
      }
      tables.append("</p>\n");
    }
    StringBuilder imgs = new StringBuilder();
    for (String img : images) {
      imgs.append("<a href=\"").append(img).append("\">").append(esc(img)).append("</a> ");
    }
    return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Position bias report</title>
        <style>
          body { font-family: sans-serif; margin: 24px; max-width: 1100px; color: #222; }
          table { border-collapse: collapse; margin: 12px 0; font-size: 13px; }
          td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
          td:first-child, th:first-child, td:last-child { text-align: left; }
          .chart { width: 1000px; height: 420px; margin: 16px 0 32px; }
          .counts, .note { font-size: 12px; color: #555; }
        </style></head>
        <body>
        <h1>Position bias</h1>
        <p class="note">Each query has one relevant passage placed at a known position in a long document. nDCG@10 is
        averaged per relative-position bin (20 bins of the relevant span's midpoint / document length). PSI =
        1 - min / max of the bin means: 0 means position does not matter; 0.3 means the worst position scores 30%%
        below the best. A negative slope or Spearman &rho; means passages near the start are found better (primacy).
        Noise alone makes PSI positive: with few queries per bin, even a position-blind system shows a sizeable PSI. The
        column "PSI with no position effect" is that noise floor (scores shuffled across positions), and p is how often
        the shuffles reach the observed PSI. Intervals are 95%% basic bootstrap intervals over queries.</p>
        <pre class="note">%s</pre>
        %s
        <div id="charts"></div>
        <p class="note">PNG images: %s</p>
        <script type="application/json" id="report-data">%s</script>
        <script>window.__reportErrors = [];
          window.addEventListener('error', e => window.__reportErrors.push(String(e.message)));
          const __origError = console.error;
          console.error = function() { window.__reportErrors.push(Array.from(arguments).join(' '));
            __origError.apply(console, arguments); };</script>
        <script>%s</script>
        <script>
        (function () {
          const data = JSON.parse(document.getElementById('report-data').textContent);
          const palette = ['#1f77b4','#d62728','#2ca02c','#ff7f0e','#9467bd','#8c564b','#e377c2','#7f7f7f','#bcbd22',
            '#17becf'];
          const groups = [...new Set(data.results.map(r => r.group))];
          const host = document.getElementById('charts');
          let rendered = 0;
          function canvas(title) {
            const h = document.createElement('h3'); h.textContent = title; host.appendChild(h);
            const div = document.createElement('div'); div.className = 'chart'; host.appendChild(div);
            const c = document.createElement('canvas'); div.appendChild(c); return c;
          }
          Chart.defaults.animation = false;
          for (const g of groups) {
            const rs = data.results.filter(r => r.group === g);
            for (const b of data.buckets) {
              if (!rs[0].summaries[b] || rs[0].summaries[b].queries === 0) continue;
              new Chart(canvas(g + ': nDCG@10 by relative position, documents ' + b), {
                type: 'line',
                data: { datasets: rs.map((r, i) => ({
                  label: r.system, borderColor: palette[i %% palette.length],
                  backgroundColor: palette[i %% palette.length], tension: 0,
                  data: r.summaries[b].bins.filter(x => x.count > 0).map(x => ({x: x.center, y: x.mean, n: x.count}))
                })) },
                options: { responsive: true, maintainAspectRatio: false, parsing: false,
                  scales: { x: { type: 'linear', min: 0, max: 1, title: { display: true,
                    text: 'relative position of the relevant passage' } },
                    y: { min: 0, max: 1.05, title: { display: true, text: 'nDCG@10' } } },
                  plugins: { tooltip: { callbacks: { afterLabel: c => 'queries in bin: ' + c.raw.n } } } }
              });
              rendered++;
            }
            new Chart(canvas(g + ': PSI with 95%% bootstrap interval (all queries)'), {
              data: { labels: rs.map(r => r.system), datasets: [
                { type: 'bar', label: '95%% interval', backgroundColor: 'rgba(31,119,180,0.25)',
                  data: rs.map(r => r.summaries.all.psiCi95) },
                { type: 'scatter', label: 'PSI', backgroundColor: '#d62728', pointRadius: 6,
                  data: rs.map(r => r.summaries.all.psi) } ] },
              options: { responsive: true, maintainAspectRatio: false,
                scales: { y: { min: 0, max: 1, title: { display: true, text: 'PSI' } } } }
            });
            rendered++;
          }
          const boxes = [...document.querySelectorAll('canvas')].map(c => {
            const r = c.getBoundingClientRect();
            return {x: Math.round(r.left + window.scrollX), y: Math.round(r.top + window.scrollY),
              w: Math.round(r.width), h: Math.round(r.height)}; });
          document.body.setAttribute('data-charts-rendered', String(rendered));
          document.body.setAttribute('data-chart-boxes', JSON.stringify(boxes));
          document.body.setAttribute('data-errors', JSON.stringify(window.__reportErrors));
        })();
        </script>
        </body></html>
        """.formatted(esc(JSON.writeValueAsString(context)), tables, imgs, dataJson, chartJs.replace("</script",
        "<\\/script"));
  }

  private static String fmt(double x) {
    return Double.isFinite(x) ? String.format(Locale.ROOT, "%.4f", x) : "&mdash;";
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
