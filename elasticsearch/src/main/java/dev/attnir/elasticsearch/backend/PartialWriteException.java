package dev.attnir.elasticsearch.backend;

import dev.attnir.indexer.IndexManifest;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Some documents were rejected by the cluster while the others were committed. Thrown by
 * {@link ElasticsearchIndexWriter#commit()} after the commit, so a failed document is never silently dropped.
 */
public final class PartialWriteException extends RuntimeException {

  private static final int NAMED_IN_MESSAGE = 20;

  private final transient Map<String, String> failures;
  private final transient IndexManifest committed;

  PartialWriteException(String where, Map<String, String> failures, IndexManifest committed) {
    super(failures.size() + " document(s) were not written to " + where + " (the other " + committed.documents()
        + " are committed): " + failures.entrySet().stream().limit(NAMED_IN_MESSAGE)
            .map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining("; "))
        + (failures.size() > NAMED_IN_MESSAGE ? "; ..." : ""));
    this.failures = Map.copyOf(failures);
    this.committed = committed;
  }

  /** Reason for each rejected document, by document id. */
  public Map<String, String> failures() {
    return failures;
  }

  /** The manifest as committed (counts and fingerprint of the documents that were written). */
  public IndexManifest committed() {
    return committed;
  }
}
