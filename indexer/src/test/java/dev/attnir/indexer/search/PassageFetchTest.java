package dev.attnir.indexer.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import dev.attnir.indexer.PassageIndexWriter;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.indexer.PassageSplitter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fetching a passage costs the same whatever the index's size: it used to run a query for the document id with a hit
 * queue of maxDoc entries and load every passage of the document. Measured as bytes allocated by this thread (exact
 * and repeatable, unlike time on a shared machine), on a small and a 20-times larger index.
 */
class PassageFetchTest {

  @Test
  void fetchingAPassageDoesNotScaleWithTheIndex(@TempDir Path dir) {
    long small = bytesPerFetch(dir.resolve("small"), 1_000);
    long large = bytesPerFetch(dir.resolve("large"), 20_000);
    long oldSmall = bytesPerQueryFetch(dir.resolve("small"), 1_000);
    long oldLarge = bytesPerQueryFetch(dir.resolve("large"), 20_000);
    System.out.printf("passage fetch, bytes allocated per call: postings %,d (1,000 docs) %,d (20,000 docs); "
        + "the old search(TermQuery, MAX_VALUE) %,d / %,d%n", small, large, oldSmall, oldLarge);
    assertTrue(large < 2 * small + 4096, "bytes per fetch: " + small + " on 1,000 documents, " + large
        + " on 20,000 (a hit queue of maxDoc entries alone would be ~1 MB)");
    assertTrue(oldLarge > 5 * oldSmall, "the measurement sees the old way grow with the index: " + oldSmall + " vs "
        + oldLarge);
  }

  /** What {@code passage()} used to do: a query for the document id with a hit queue of maxDoc entries. */
  private static long bytesPerQueryFetch(Path dir, int docs) {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    try (org.apache.lucene.index.DirectoryReader reader = org.apache.lucene.index.DirectoryReader.open(
        org.apache.lucene.store.FSDirectory.open(dir))) {
      org.apache.lucene.search.IndexSearcher searcher = new org.apache.lucene.search.IndexSearcher(reader);
      int fetches = 100;
      long before = 0;
      for (int i = -50; i < fetches; i++) { // the first 50 warm up
        if (i == 0) {
          before = threads.getCurrentThreadAllocatedBytes();
        }
        var q = new org.apache.lucene.search.TermQuery(new org.apache.lucene.index.Term(
            dev.attnir.indexer.IndexFields.DOC_ID, "d" + (Math.abs(i) * 104729 % docs)));
        var top = searcher.search(q, Integer.MAX_VALUE);
        var stored = searcher.storedFields();
        for (var sd : top.scoreDocs) {
          stored.document(sd.doc);
        }
      }
      return (threads.getCurrentThreadAllocatedBytes() - before) / fetches;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void passagesComeBackInTheOrderAskedAndAMissingOneIsNamed(@TempDir Path dir) {
    build(dir, 50);
    try (LuceneSearchBackend b = LuceneSearchBackend.open(dir)) {
      List<PassageRef> refs = List.of(new PassageRef("d42", 2), new PassageRef("d3", 0), new PassageRef("d42", 0));
      List<StoredPassage> got = b.passages(refs);
      for (int i = 0; i < refs.size(); i++) {
        assertEquals(refs.get(i).docId(), got.get(i).docId());
        assertEquals(refs.get(i).ordinal(), got.get(i).ordinal());
        assertEquals(text(Integer.parseInt(refs.get(i).docId().substring(1)), refs.get(i).ordinal()),
            got.get(i).contents());
      }
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.passage("d42", 3));
      assertTrue(e.getMessage().endsWith("has no passage 3 of document d42"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> b.passage("nope", 0));
    }
  }

  private static long bytesPerFetch(Path dir, int docs) {
    build(dir, docs);
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    try (LuceneSearchBackend b = LuceneSearchBackend.open(dir)) {
      for (int i = 0; i < 200; i++) { // warm-up: class loading, lazily opened readers
        b.passage("d" + (i * 7919 % docs), 1);
      }
      int fetches = 500;
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < fetches; i++) {
        StoredPassage p = b.passage("d" + (i * 104729 % docs), i % 3);
        assertEquals(i % 3, p.ordinal());
      }
      return (threads.getCurrentThreadAllocatedBytes() - before) / fetches;
    }
  }

  /** Documents of three passages each (word windows of 4). */
  private static void build(Path dir, int docs) {
    PassageSplitter windows = PassageSplitter.whitespace(PassageSettings.windows(4, 4, "whitespace"));
    try (PassageIndexWriter w = PassageIndexWriter.open(dir, "english-porter", windows, null,
        PassageIndexWriter.Mode.OVERWRITE)) {
      List<Document> batch = new ArrayList<>();
      for (int d = 0; d < docs; d++) {
        batch.add(new Document("d" + d, "", text(d, 0) + " " + text(d, 1) + " " + text(d, 2)));
        if (batch.size() == 5000) {
          w.add(batch, ProgressListener.none());
          batch.clear();
        }
      }
      w.add(batch, ProgressListener.none());
      w.forceMerge(1);
    }
  }

  private static String text(int doc, int passage) {
    return "alpha" + doc + " beta" + passage + " gamma delta";
  }
}
