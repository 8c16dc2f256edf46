package dev.attnir.indexer;

import dev.attnir.core.ProgressListener;
import java.nio.file.Path;

/**
 * Run in a child JVM by {@link IndexLifecycleTest}: commits a first batch, writes a second batch to disk without
 * committing, then dies without any cleanup, as a killed process would.
 */
public final class CrashingIndexer {
  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    PassageIndexWriter w = PassageIndexWriter.open(dir, "english-porter", TestCorpus.wholeDocs(), null,
        PassageIndexWriter.Mode.CREATE_OR_APPEND);
    w.add(TestCorpus.docs("a", 50), ProgressListener.none());
    w.commit();
    w.add(TestCorpus.docs("b", 50), ProgressListener.none());
    w.flush();
    Runtime.getRuntime().halt(7);
  }
}
