package dev.attnir.indexer;

/** An index cannot be used as asked; the message says why and what was left untouched. */
public class IndexException extends RuntimeException {

  /** Why an index operation was refused. */
  public enum Reason {
    /** Another writer holds the index's write lock. */
    LOCKED,
    /** The index files are damaged or unreadable. */
    CORRUPT,
    /** The index was built with settings that do not match the request. */
    INCOMPATIBLE,
    /** No index exists at the path. */
    MISSING
  }

  private final Reason reason;

  public IndexException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public IndexException(Reason reason, String message) {
    this(reason, message, null);
  }

  public Reason reason() {
    return reason;
  }
}
