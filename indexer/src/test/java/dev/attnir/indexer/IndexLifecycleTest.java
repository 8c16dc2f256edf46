package dev.attnir.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import dev.attnir.core.Ranking;
import dev.attnir.indexer.retrieve.Bm25Retriever;
import dev.attnir.indexer.search.Bm25Params;
import dev.attnir.indexer.search.LuceneSearchBackend;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IndexLifecycleTest {

  private static PassageIndexWriter open(Path dir) {
    return PassageIndexWriter.open(dir, "english-porter", TestCorpus.wholeDocs(), null,
        PassageIndexWriter.Mode.CREATE_OR_APPEND);
  }

  private static long docs(Path dir) {
    try (LuceneSearchBackend b = LuceneSearchBackend.open(dir)) {
      return b.manifest().documents();
    }
  }

  /** Name and SHA-256 of every file, to prove a failed operation changed nothing. */
  private static Map<String, String> snapshot(Path dir) throws Exception {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        files.put(p.getFileName().toString(),
            HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
      }
    }
    return files;
  }

  @Test
  void nothingIsVisibleBeforeCommitAndUncommittedWorkIsDiscardedOnClose(@TempDir Path dir) {
    try (PassageIndexWriter w = open(dir)) {
      w.add(TestCorpus.docs("a", 10), ProgressListener.none());
      IndexManifest m = w.commit();
      assertEquals(10, m.documents());
      assertEquals(10, m.passageCount());
      w.add(TestCorpus.docs("b", 5), ProgressListener.none());
      assertEquals(10, docs(dir), "uncommitted documents are invisible");
    }
    assertEquals(10, docs(dir), "close without commit discards");
  }

  @Test
  void aCrashMidBuildLeavesTheLastCommitReadable(@TempDir Path dir) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        CrashingIndexer.class.getName(), dir.toString())
        .redirectErrorStream(true).redirectOutput(new File(dir.getParent().toFile(), "crash.log")).start();
    assertEquals(7, p.waitFor(), "the child JVM halted mid-build");
    assertTrue(Files.exists(dir.resolve("write.lock")), "the dead writer left its lock file");
    assertEquals(50, docs(dir), "the committed batch survives, the uncommitted one is not visible");
    try (PassageIndexWriter w = open(dir)) {
      w.add(TestCorpus.docs("b", 50), ProgressListener.none());
      assertEquals(100, w.commit().documents(), "a new writer can resume after the crash");
    }
  }

  @Test
  void hitsAreTheSameFromDocValuesAndFromTheStoredFieldsOfOlderIndexes(@TempDir Path dir) {
    PassageSplitter windows = new PassageSplitter(PassageSettings.windows(4, 3, "whitespace"),
        TokenSpanner.whitespace());
    java.util.Random random = new java.util.Random(11);
    String[] words = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"};
    List<List<Document>> batches = new java.util.ArrayList<>();
    for (int b = 0; b < 3; b++) {
      List<Document> batch = new java.util.ArrayList<>();
      for (int d = 0; d < 40; d++) {
        StringBuilder text = new StringBuilder();
        for (int t = 0, n = 1 + random.nextInt(15); t < n; t++) {
          text.append(words[random.nextInt(words.length)]).append(' ');
        }
        batch.add(new Document("d" + random.nextInt(70), "", text.toString().trim()));
      }
      batches.add(batch);
    }
    Map<String, List<dev.attnir.indexer.search.PassageHit>> results = new TreeMap<>();
    for (boolean legacy : new boolean[] {false, true}) {
      Path index = dir.resolve(legacy ? "legacy" : "docvalues");
      for (List<Document> batch : batches) {
        // One commit per batch: several segments, and ids re-indexed across them.
        try (PassageIndexWriter w = PassageIndexWriter.open(index, "english-porter", windows, null,
            PassageIndexWriter.Mode.CREATE_OR_APPEND)) {
          if (legacy && batch == batches.get(0)) {
            w.writeLegacyHitFields();
          }
          w.add(batch, ProgressListener.none());
          w.commit();
        }
      }
      try (LuceneSearchBackend b = LuceneSearchBackend.open(index)) {
        for (String q : List.of("alpha", "beta gamma", "kappa theta eta")) {
          List<dev.attnir.indexer.search.PassageHit> hits = b.lexical(q, 1000, Bm25Params.anserini());
          assertTrue(hits.size() > 10);
          List<dev.attnir.indexer.search.PassageHit> previous = results.putIfAbsent(q, hits);
          if (previous != null) {
            assertEquals(previous, hits, "legacy and doc-values hits differ for " + q);
          }
        }
      }
    }
  }

  @Test
  void reindexingAnIdReplacesAllItsPassages(@TempDir Path dir) {
    PassageIndexWriter.Mode mode = PassageIndexWriter.Mode.CREATE_OR_APPEND;
    PassageSplitter windows = new PassageSplitter(PassageSettings.windows(3, 3, "whitespace"),
        TokenSpanner.whitespace());
    try (PassageIndexWriter w = PassageIndexWriter.open(dir, "english-porter", windows, null, mode)) {
      w.add(List.of(new Document("x", "", "alpha beta gamma delta epsilon zeta eta"),
          new Document("y", "", "other text")), ProgressListener.none());
      IndexManifest m = w.commit();
      assertEquals(2, m.documents());
      assertEquals(4, m.passageCount());
    }
    try (PassageIndexWriter w = PassageIndexWriter.open(dir, "english-porter", windows, null, mode)) {
      w.add(List.of(new Document("x", "", "omega")), ProgressListener.none());
      IndexManifest m = w.commit();
      assertEquals(2, m.documents());
      assertEquals(2, m.passageCount(), "the three old passages of x were replaced by one");
    }
    try (LuceneSearchBackend b = LuceneSearchBackend.open(dir)) {
      Ranking hits = new Bm25Retriever(b, Bm25Params.anserini()).retrieve("alpha", 10);
      assertTrue(hits.isEmpty(), "old text of x is gone");
      assertEquals("x", new Bm25Retriever(b, Bm25Params.anserini()).retrieve("omega", 10).get(0).docId());
    }
  }

  @Test
  void aLockedIndexIsRefusedAndTheHolderIsUnaffected(@TempDir Path dir) throws Exception {
    try (PassageIndexWriter first = open(dir)) {
      first.add(TestCorpus.docs("a", 5), ProgressListener.none());
      first.commit();
      Map<String, String> before = snapshot(dir);
      IndexException e = assertThrows(IndexException.class, () -> open(dir));
      assertEquals(IndexException.Reason.LOCKED, e.reason());
      assertTrue(e.getMessage().contains("locked") && e.getMessage().contains(dir.toString()), e.getMessage());
      assertEquals(before, snapshot(dir), "the refused writer changed nothing");
      first.add(TestCorpus.docs("b", 5), ProgressListener.none());
      assertEquals(10, first.commit().documents());
    }
  }

  @Test
  void aCorruptIndexIsReportedAndLeftAsItWas(@TempDir Path dir) throws Exception {
    try (PassageIndexWriter w = open(dir)) {
      w.add(TestCorpus.docs("a", 5), ProgressListener.none());
      w.commit();
    }
    Path segments;
    try (Stream<Path> s = Files.list(dir)) {
      segments = s.filter(p -> p.getFileName().toString().startsWith("segments_")).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(segments);
    bytes[bytes.length / 2] ^= 0x5A;
    Files.write(segments, bytes);
    Map<String, String> before = snapshot(dir);
    IndexException read = assertThrows(IndexException.class, () -> LuceneSearchBackend.open(dir));
    assertEquals(IndexException.Reason.CORRUPT, read.reason());
    IndexException write = assertThrows(IndexException.class, () -> open(dir));
    assertEquals(IndexException.Reason.CORRUPT, write.reason());
    assertTrue(write.getMessage().contains("not modified"), write.getMessage());
    assertEquals(before, snapshot(dir), "no file was deleted or rewritten");

    Files.write(segments, java.util.Arrays.copyOf(bytes, bytes.length - 9));
    assertEquals(IndexException.Reason.CORRUPT, assertThrows(IndexException.class, () -> open(dir)).reason());
  }

  @Test
  void anIndexBuiltDifferentlyIsNotAppendedTo(@TempDir Path dir) throws Exception {
    try (PassageIndexWriter w = open(dir)) {
      w.add(TestCorpus.docs("a", 3), ProgressListener.none());
      w.commit();
    }
    Map<String, String> before = snapshot(dir);
    PassageSplitter windows = new PassageSplitter(PassageSettings.windows(64, 32, "whitespace"),
        TokenSpanner.whitespace());
    IndexException e = assertThrows(IndexException.class, () -> PassageIndexWriter.open(dir, "english-porter",
        windows, null, PassageIndexWriter.Mode.CREATE_OR_APPEND));
    assertEquals(IndexException.Reason.INCOMPATIBLE, e.reason());
    assertTrue(e.getMessage().contains("passages"), e.getMessage());
    IndexException a = assertThrows(IndexException.class, () -> PassageIndexWriter.open(dir, "standard",
        TestCorpus.wholeDocs(), null, PassageIndexWriter.Mode.CREATE_OR_APPEND));
    assertTrue(a.getMessage().contains("analyzer"), a.getMessage());
    assertEquals(before, snapshot(dir));
    // overwriting is explicit, and the old index stays readable until the new one commits
    try (PassageIndexWriter w = PassageIndexWriter.open(dir, "english-porter", windows, null,
        PassageIndexWriter.Mode.OVERWRITE)) {
      w.add(TestCorpus.docs("z", 2), ProgressListener.none());
      assertEquals(3, docs(dir));
      w.commit();
    }
    assertEquals(2, docs(dir));
  }

  @Test
  void missingIndexIsReported(@TempDir Path dir) {
    IndexException e = assertThrows(IndexException.class, () -> LuceneSearchBackend.open(dir.resolve("nope")));
    assertEquals(IndexException.Reason.MISSING, e.reason());
    IndexException empty = assertThrows(IndexException.class, () -> LuceneSearchBackend.open(dir));
    assertEquals(IndexException.Reason.MISSING, empty.reason());
  }
}
