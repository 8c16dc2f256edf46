package dev.attnir.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.ProgressListener;
import dev.attnir.indexer.search.Bm25Params;
import dev.attnir.indexer.search.LuceneSearchBackend;
import dev.attnir.indexer.search.PassageHit;
import dev.attnir.indexer.search.PassageRef;
import dev.attnir.indexer.search.StoredPassage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bytes flipped inside a compound file (postings, norms, stored fields, doc values are all slices of _0.cfs, none
 * checksummed when searched) are refused on open with the "corrupt or unreadable" message, never searched.
 */
class CorruptCompoundFileTest {

  private static final List<String> QUERIES = List.of("topic3", "document", "body about words", "title w17");
  private static final int PLACES = 12;

  @TempDir
  static Path tmp;

  private static Path pristine;
  private static long cfsLength;

  @BeforeAll
  static void buildASingleCompoundSegment() throws Exception {
    pristine = tmp.resolve("pristine");
    try (PassageIndexWriter w = PassageIndexWriter.open(pristine, "english-porter", TestCorpus.wholeDocs(), null,
        PassageIndexWriter.Mode.CREATE_OR_APPEND)) {
      w.add(TestCorpus.docs("d", 300), ProgressListener.none());
      w.commit();
    }
    assertTrue(Files.exists(pristine.resolve("_0.cfs")), "one flushed segment, as a compound file");
    cfsLength = Files.size(pristine.resolve("_0.cfs"));
  }

  /** Offsets spread over the whole compound file: its header, the slices, and its footer. */
  private static List<Long> offsets() {
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < PLACES; i++) {
      out.add(Math.min(cfsLength - 4, i * (cfsLength - 4) / (PLACES - 1)));
    }
    return out;
  }

  private static Path damagedCopy(String name, long offset) throws Exception {
    Path copy = tmp.resolve(name);
    Files.createDirectories(copy);
    try (Stream<Path> files = Files.list(pristine)) {
      for (Path f : files.toList()) {
        Files.copy(f, copy.resolve(f.getFileName()));
      }
    }
    Path cfs = copy.resolve("_0.cfs");
    byte[] bytes = Files.readAllBytes(cfs);
    for (int i = 0; i < 4; i++) {
      bytes[(int) offset + i] ^= (byte) 0x5A;
    }
    Files.write(cfs, bytes);
    return copy;
  }

  private static List<Object> results(LuceneSearchBackend b) {
    List<Object> out = new ArrayList<>();
    for (String q : QUERIES) {
      List<PassageHit> hits = b.lexical(q, 50, Bm25Params.anserini());
      out.add(hits);
      List<PassageRef> refs = hits.stream().map(h -> new PassageRef(h.docId(), h.ordinal())).toList();
      out.add(b.passages(refs).stream().map(StoredPassage::contents).toList());
    }
    return out;
  }

  @Test
  void everyDamagedPlaceIsRefusedOnOpenWithTheCorruptMessage() throws Exception {
    for (long offset : offsets()) {
      Path damaged = damagedCopy("verified-" + offset, offset);
      IndexException e = assertThrows(IndexException.class, () -> LuceneSearchBackend.open(damaged).close(),
          "4 bytes flipped at " + offset + " of " + cfsLength);
      assertEquals(IndexException.Reason.CORRUPT, e.reason(), e.getMessage());
      assertTrue(e.getMessage().startsWith("index at " + damaged + " is corrupt or unreadable: "), e.getMessage());
      assertTrue(e.getMessage().contains("_0.cfs"), "names the damaged file: " + e.getMessage());
    }
  }

  @Test
  void withoutVerificationADamagedSliceFailsWithTheSameMessageOrIsNotReadAtAll() throws Exception {
    List<Object> expected;
    try (LuceneSearchBackend b = LuceneSearchBackend.open(pristine)) {
      expected = results(b);
    }
    int refused = 0;
    int changed = 0;
    for (long offset : offsets()) {
      Path damaged = damagedCopy("unverified-" + offset, offset);
      try (LuceneSearchBackend b = LuceneSearchBackend.open(damaged, false)) {
        if (!expected.equals(results(b))) {
          changed++;
        }
      } catch (IndexException e) {
        // a decoder's exception (LZ4, read past EOF) is never what reaches the caller
        assertEquals(IndexException.Reason.CORRUPT, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("is corrupt or unreadable: "), e.getMessage());
        refused++;
      }
    }
    System.out.printf("without verification: %d of %d damaged places refused, %d changed results silently%n",
        refused, PLACES, changed);
    assertTrue(refused > 0);
  }
}
