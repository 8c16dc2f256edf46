package dev.attnir.core;

/** Receives progress of a long step; the CLI renders it as a progress bar. */
@FunctionalInterface
public interface ProgressListener {
  /** Called after {@code count} more items were processed. */
  void advance(long count);

  /** Called when the step learns how many items it will process in all (or in its current part). */
  default void expect(long total) {}

  /** A listener that ignores progress. */
  static ProgressListener none() {
    return count -> {};
  }
}
