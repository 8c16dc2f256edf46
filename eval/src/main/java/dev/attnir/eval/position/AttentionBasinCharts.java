package dev.attnir.eval.position;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * Charts of readers' attention-basin profiles (attention share per context slot) and of the gold passage's attention
 * share under different context orders (retrieval, U-shape, AttnRank), as PNG.
 */
public final class AttentionBasinCharts {

  private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
      new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b)};

  private AttentionBasinCharts() {}

  /** One reader's profile: mean share per slot (first slot first) and its standard error. */
  public record Basin(String reader, double[] share, double[] stdError) {}

  /** The gold share of one reader under named orders, each with a 95% interval. */
  public record OrderShares(String reader, List<String> orders, double[] mean, double[] low, double[] high) {}

  /** Share per slot for each reader, ±1.96 standard errors, on one chart. */
  public static void basins(Path png, String title, List<Basin> basins) {
    YIntervalSeriesCollection data = new YIntervalSeriesCollection();
    int k = 0;
    for (Basin b : basins) {
      YIntervalSeries s = new YIntervalSeries(b.reader());
      for (int slot = 0; slot < b.share().length; slot++) {
        double half = 1.96 * b.stdError()[slot];
        s.add(slot + 1, b.share()[slot], b.share()[slot] - half, b.share()[slot] + half);
      }
      k = Math.max(k, b.share().length);
      data.addSeries(s);
    }
    XYErrorRenderer renderer = new XYErrorRenderer();
    renderer.setDefaultLinesVisible(true);
    for (int i = 0; i < basins.size(); i++) {
      renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
      renderer.setSeriesStroke(i, new BasicStroke(2f));
    }
    renderer.setCapLength(6);
    NumberAxis x = new NumberAxis("context slot (1 = first)");
    x.setRange(0.5, k + 0.5);
    x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    NumberAxis y = new NumberAxis("share of the passages' attention");
    y.setAutoRangeIncludesZero(true);
    save(png, new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, new XYPlot(data, x, y, renderer), true));
  }

  /** For each reader, the gold share under each order with its interval, side by side. */
  public static void orders(Path png, String title, List<OrderShares> rows) {
    YIntervalSeriesCollection data = new YIntervalSeriesCollection();
    List<String> orders = rows.get(0).orders();
    for (int o = 0; o < orders.size(); o++) {
      YIntervalSeries s = new YIntervalSeries(orders.get(o));
      for (int r = 0; r < rows.size(); r++) {
        double offset = (o - (orders.size() - 1) / 2.0) * 0.15;
        s.add(r + offset, rows.get(r).mean()[o], rows.get(r).low()[o], rows.get(r).high()[o]);
      }
      data.addSeries(s);
    }
    XYErrorRenderer renderer = new XYErrorRenderer();
    renderer.setDefaultLinesVisible(false);
    for (int o = 0; o < orders.size(); o++) {
      renderer.setSeriesPaint(o, PALETTE[o % PALETTE.length]);
    }
    renderer.setCapLength(6);
    SymbolAxis x = new SymbolAxis("reader", rows.stream().map(OrderShares::reader).toArray(String[]::new));
    NumberAxis y = new NumberAxis("gold passage's share of attention (95% interval)");
    y.setAutoRangeIncludesZero(false);
    save(png, new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, new XYPlot(data, x, y, renderer), true));
  }

  private static void save(Path png, JFreeChart chart) {
    System.setProperty("java.awt.headless", "true");
    chart.setBackgroundPaint(Color.WHITE);
    try {
      ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 500);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write chart " + png + ": " + e.getMessage(), e);
    }
  }
}
