package dev.attnir.eval.data;

import java.nio.file.Path;

/** Bad input data; the message names the file, the line (1-based) and the field when known. */
public final class InputException extends RuntimeException {

  private final Path file;
  private final long line;

  public InputException(Path file, long line, String message, Throwable cause) {
    super(file + (line > 0 ? ":" + line : "") + ": " + message, cause);
    this.file = file;
    this.line = line;
  }

  public InputException(Path file, long line, String message) {
    this(file, line, message, null);
  }

  public Path file() {
    return file;
  }

  /** 1-based line number, or 0 when the problem is not tied to a line. */
  public long line() {
    return line;
  }
}
