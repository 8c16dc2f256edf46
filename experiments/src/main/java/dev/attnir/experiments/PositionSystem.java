package dev.attnir.experiments;

import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import dev.attnir.core.Retriever;
import dev.attnir.indexer.search.SearchBackend;
import java.util.List;

/**
 * A retrieval system under position-bias evaluation: it builds its {@link Retriever} over one corpus of long documents
 * (a position set). Systems compose: a hybrid of two systems, a system whose top documents a reranker reorders
 * ({@link PositionSystems}), so anything that is a retriever can be measured for position bias.
 */
public interface PositionSystem {

  /** Label in reports. */
  String label();

  /** The system's retriever over these documents; closing it releases its in-memory indexes. */
  Opened open(List<Document> documents, ProgressListener progress);

  /**
   * The system's reference on the queries' gold passages alone (the same encoder and pooling over a corpus of just the
   * gold passages), or null for a system with no such reference (BM25, which is blind to position).
   */
  default PositionSystem goldOnlyReference() {
    return null;
  }

  /**
   * A system opened over a corpus.
   *
   * @param retriever the retriever
   * @param passages the backend holding the passages the retriever's documents refer to (what a reranker reads), or
   *     null when there is no single one (a hybrid of systems that cut documents differently)
   * @param resources closed with it
   */
  record Opened(Retriever retriever, SearchBackend passages, List<? extends AutoCloseable> resources)
      implements AutoCloseable {
    @Override
    public void close() {
      RuntimeException failure = null;
      for (AutoCloseable c : resources) {
        try {
          c.close();
        } catch (Exception e) {
          if (failure == null) {
            failure = new IllegalStateException("closing " + retriever.name() + ": " + e.getMessage(), e);
          }
        }
      }
      if (failure != null) {
        throw failure;
      }
    }
  }
}
