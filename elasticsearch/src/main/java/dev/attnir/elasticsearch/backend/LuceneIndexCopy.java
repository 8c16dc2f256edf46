package dev.attnir.elasticsearch.backend;

import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.EmbeddingIdentity;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.StatefulPooling;
import dev.attnir.encoders.pooling.Poolings;
import dev.attnir.indexer.IndexException;
import dev.attnir.indexer.IndexManifest;
import dev.attnir.indexer.Passage;
import dev.attnir.indexer.PassageIndexWriter;
import dev.attnir.indexer.search.IndexedDocument;
import dev.attnir.indexer.search.LuceneSearchBackend;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Copies a Lucene passage index into an Elasticsearch index without encoding anything again: the same passages,
 * vectors, document digests and fitted pooling state, under a manifest with the same analyzer, passage settings and
 * embedding identity, so the copy answers as the original (BM25 to Elasticsearch's scoring, dense within HNSW's
 * approximation) and its manifest's corpus fingerprint equals the original's. This is how an index outgrows one
 * machine, and how vector index types are compared on identical vectors.
 */
public final class LuceneIndexCopy {

  /** What a copy did. */
  public record Report(long documents, long passages, double seconds, IndexManifest manifest) {}

  private LuceneIndexCopy() {}

  /**
   * Copies every live document of {@code from} (the commit it opened).
   *
   * @param batchDocuments documents handed to the writer at once
   * @param progress advanced by one per document copied
   * @throws IndexException when the target exists and was built differently, when the nodes lack the analyzer, or
   *     when the source's fitted pooling state is missing
   * @throws PartialWriteException after committing the rest, naming every document the cluster rejected
   */
  public static Report copy(LuceneSearchBackend from, ElasticsearchConnection connection, String index,
      ElasticsearchIndexOptions options, PassageIndexWriter.Mode mode, int batchDocuments,
      ProgressListener progress) {
    if (batchDocuments < 1) {
      throw new IllegalArgumentException("batchDocuments must be >= 1, got " + batchDocuments);
    }
    long started = System.nanoTime();
    IndexManifest source = from.manifest();
    byte[] state = poolingState(from, source.embedding());
    long[] counts = new long[2];
    try (ElasticsearchIndexWriter writer = ElasticsearchIndexWriter.openForCopy(connection, index, source, options,
        mode)) {
      if (state != null) {
        PoolingStateStore.write(connection, index, state);
      }
      progress.expect(source.documents());
      List<Passage> passages = new ArrayList<>();
      List<float[]> vectors = new ArrayList<>();
      Map<String, byte[]> digests = new HashMap<>();
      int[] inBatch = {0};
      Runnable flush = () -> {
        if (!passages.isEmpty()) {
          writer.write(passages, source.hasVectors() ? vectors.toArray(float[][]::new) : null, digests);
          progress.advance(inBatch[0]);
        }
        passages.clear();
        vectors.clear();
        digests.clear();
        inBatch[0] = 0;
      };
      from.forEachDocument((IndexedDocument d) -> {
        passages.addAll(d.passages());
        if (d.vectors() != null) {
          vectors.addAll(List.of(d.vectors()));
        }
        if (d.digest() != null) {
          digests.put(d.docId(), d.digest());
        }
        counts[0]++;
        counts[1] += d.passages().size();
        if (++inBatch[0] >= batchDocuments) {
          flush.run();
        }
      });
      flush.run();
      IndexManifest copied = writer.commit();
      return new Report(counts[0], counts[1], (System.nanoTime() - started) / 1e9, copied);
    }
  }

  /** The fitted or trained state the source's pooling names, checked by restoring the pooling; null when none. */
  private static byte[] poolingState(LuceneSearchBackend from, EmbeddingIdentity embedding) {
    if (embedding == null) {
      return null;
    }
    Pooling pooling;
    try {
      pooling = Poolings.restore(embedding.pooling(), embedding.poolingParameters(), from::poolingState);
    } catch (IllegalArgumentException e) {
      throw new IndexException(IndexException.Reason.CORRUPT, "the pooling of " + from.where()
          + " cannot be restored, so its state cannot be copied: " + e.getMessage(), e);
    }
    return pooling instanceof StatefulPooling stateful ? stateful.state() : null;
  }
}
