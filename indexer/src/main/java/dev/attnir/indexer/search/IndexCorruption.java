package dev.attnir.indexer.search;

import dev.attnir.indexer.IndexException;
import java.io.EOFException;
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
