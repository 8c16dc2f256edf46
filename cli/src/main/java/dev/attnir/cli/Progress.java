package dev.attnir.cli;

import dev.attnir.core.ProgressListener;
import java.io.Console;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar for a long step (indexing, encoding, evaluating) on stderr: redrawn in place on a terminal, one plain
 * line every ten seconds when stderr goes to a log.
 */
final class Progress implements ProgressListener, AutoCloseable {

  private final ProgressBar bar;
  private long partStart;

  Progress(String task, long total, String unit) {
    boolean terminal = isTerminal();
    ProgressBarBuilder b = new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(total)
        .setUnit(" " + unit, 1)
        .setStyle(ProgressBarStyle.ASCII)
        .showSpeed();
    if (terminal) {
      b.setUpdateIntervalMillis(500).continuousUpdate().setConsumer(new ConsoleProgressBarConsumer(System.err));
    } else {
      b.setUpdateIntervalMillis(10_000).setMaxRenderedLength(100)
          .setConsumer(new DelegatingProgressBarConsumer(line -> System.err.println(line.strip()), 100));
    }
    this.bar = b.build();
  }

  private static boolean isTerminal() {
    Console c = System.console();
    if (c == null) {
      return false;
    }
    try {
      // JDK 22+ returns a Console even for redirected streams; isTerminal() tells them apart.
      return (Boolean) Console.class.getMethod("isTerminal").invoke(c);
    } catch (ReflectiveOperationException e) {
      return true;
    }
  }

  @Override
  public void advance(long count) {
    bar.stepBy(count);
  }

  /**
   * A step made of parts (one encoder call per set, say) announces each part's size when it starts, possibly more
   * than once; the bar's maximum is the count at the start of the current part plus its size, so it never runs past
   * 100%.
   */
  @Override
  public void expect(long total) {
    long current = bar.getCurrent();
    if (current >= bar.getMax()) {
      partStart = current;
    }
    bar.maxHint(partStart + total);
  }

  /** Text shown after the bar (e.g. the current loss). */
  void message(String text) {
    bar.setExtraMessage(text);
  }

  /** The bar's current maximum (for tests). */
  long max() {
    return bar.getMax();
  }

  @Override
  public void close() {
    bar.close();
  }
}
