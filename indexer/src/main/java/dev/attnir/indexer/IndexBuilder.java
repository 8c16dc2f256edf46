package dev.attnir.indexer;

import dev.attnir.core.Document;

import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EncodingReport;
import dev.attnir.core.ProgressListener;
import dev.attnir.indexer.IndexManifest;
import dev.attnir.indexer.PassageIndexWriter;
import dev.attnir.indexer.PassageSplitter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Documents to a committed index: streams them, splits, embeds and writes them in chunks, committing at the end (and
 * every {@code commitEvery} documents if asked), so memory stays bounded and a crash leaves the last commit.
 */
public final class IndexBuilder {

  /**
   * What a build did.
   *
   * @param manifest manifest of the final commit
   * @param documentsRead documents read from the stream
   * @param encoding encoder work, including truncated passages
   * @param seconds wall time
   */
  public record Report(IndexManifest manifest, long documentsRead, EncodingReport encoding, double seconds) {}

  private final int chunkDocuments;
  private final long commitEvery;

  /**
   * @param chunkDocuments documents split and embedded together (bounds memory; longer chunks sort better)
   * @param commitEvery commit after this many documents (0 = only at the end)
   */
  public IndexBuilder(int chunkDocuments, long commitEvery) {
    if (chunkDocuments < 1) {
      throw new IllegalArgumentException("chunk size must be >= 1, got " + chunkDocuments);
    }
    this.chunkDocuments = chunkDocuments;
    this.commitEvery = commitEvery;
  }

  /**
   * Builds (or adds to) the index at {@code indexDir}.
   *
   * @param estimatedDocuments documents expected in the corpus (e.g. its line count), to extrapolate the passage total
   * @param passageProgress advanced per encoded batch of passages; told the extrapolated passage total
   */
  public Report build(Stream<Document> documents, Path indexDir, String analyzer, PassageSplitter splitter,
      Embedder embedder, PassageIndexWriter.Mode mode, long estimatedDocuments, ProgressListener passageProgress) {
    long start = System.nanoTime();
    long read = 0;
    long sinceCommit = 0;
    long[] planned = new long[2]; // passages and documents split so far
    Iterator<Document> reader = documents.iterator();
    try (PassageIndexWriter writer = PassageIndexWriter.open(indexDir, analyzer, splitter, embedder, mode)) {
      List<Document> chunk = new ArrayList<>(chunkDocuments);
      for (Document d = next(reader); ; d = next(reader)) {
        if (d != null) {
          chunk.add(d);
          read++;
        }
        if (chunk.size() == chunkDocuments || (d == null && !chunk.isEmpty())) {
          int chunkDocs = chunk.size();
          writer.add(chunk, new ProgressListener() {
            @Override
            public void advance(long count) {
              passageProgress.advance(count);
            }

            @Override
            public void expect(long chunkPassages) {
              planned[0] += chunkPassages;
              planned[1] += chunkDocs;
              long remainingDocs = Math.max(0, estimatedDocuments - planned[1]);
              passageProgress.expect(planned[0] + remainingDocs * planned[0] / Math.max(1, planned[1]));
            }
          });
          sinceCommit += chunk.size();
          chunk.clear();
          if (commitEvery > 0 && sinceCommit >= commitEvery) {
            writer.commit();
            sinceCommit = 0;
          }
        }
        if (d == null) {
          break;
        }
      }
      IndexManifest manifest = writer.commit();
      return new Report(manifest, read, writer.encodingReport(), (System.nanoTime() - start) / 1e9);
    }
  }

  private static Document next(Iterator<Document> it) {
    return it.hasNext() ? it.next() : null;
  }
}
