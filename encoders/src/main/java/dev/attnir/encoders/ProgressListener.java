package dev.attnir.encoders;

/** Receives progress of a long step; the CLI renders it as a progress bar. */
@FunctionalInterface
public interface ProgressListener {
  /** Called after {@code count} more items were processed. */
  void advance(long count);

  /** A listener that ignores progress. */
  static ProgressListener none() {
    return count -> {};
  }
}
