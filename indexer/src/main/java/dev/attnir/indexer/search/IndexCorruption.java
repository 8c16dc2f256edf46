package dev.attnir.indexer.search;

import dev.attnir.indexer.IndexException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import org.apache.lucene.index.CorruptIndexException;
import org.apache.lucene.index.IndexFormatTooNewException;
import org.apache.lucene.index.IndexFormatTooOldException;

/** Recognises the ways Lucene fails on damaged index files and turns them into one clear {@link IndexException}. */
final class IndexCorruption {

  private IndexCorruption() {}

  /**
   * Whether {@code e} is how a damaged index shows itself. Besides Lucene's own exceptions this includes the index
   * errors of decoders (LZ4, packed ints, vectors) fed corrupt bytes: a slice is not checksummed when it is read, so
   * without verification on open these are the only sign. Causes are followed because some Lucene readers wrap an
   * {@code IOException} in a plain {@code RuntimeException} (packed-int doc values).
   */
  static boolean isCorruption(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (isCorruptionItself(t)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isCorruptionItself(Throwable e) {
    return e instanceof CorruptIndexException || e instanceof IndexFormatTooOldException
        || e instanceof IndexFormatTooNewException || e instanceof NoSuchFileException || e instanceof EOFException
        || e instanceof IndexOutOfBoundsException || e instanceof NegativeArraySizeException;
  }

  /** A checksum verification of the index's files, run only to diagnose a failure. */
  interface Verification {
    void run() throws IOException;
  }

  /**
   * The corrupt-index error {@code e} stands for, or null when it is not a sign of damage. Garbage decoded from a
   * damaged slice can fail in any way (a null field info, a negative length), so an unrecognised failure is diagnosed
   * by verifying the checksums: it is damage only when a file is.
   */
  static IndexException diagnose(String where, Exception e, Verification verification) {
    if (isCorruption(e)) {
      return corrupt(where, e);
    }
    try {
      verification.run();
    } catch (IOException | RuntimeException damaged) {
      if (isCorruption(damaged)) {
        damaged.addSuppressed(e);
        return corrupt(where, damaged);
      }
    }
    return null;
  }

  /** The message every corruption gets, whether found on open or during a search. */
  static IndexException corrupt(String where, Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getCause() != cause && !isCorruptionItself(cause)) {
      cause = cause.getCause();
    }
    String detail = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return new IndexException(IndexException.Reason.CORRUPT, where + " is corrupt or unreadable: " + detail, e);
  }
}
