package dev.attnir.cli;

/**
 * A line of context attached to a failure (as a suppressed exception) that the command line prints after the error
 * line, e.g. what a failed build left in the index. Never thrown on its own.
 */
final class CliNote extends RuntimeException {

  CliNote(String message) {
    super(message, null, false, false);
  }

  /** Attaches {@code message} to {@code failure}, to be printed after its error line. */
  static void attach(Throwable failure, String message) {
    failure.addSuppressed(new CliNote(message));
  }
}
