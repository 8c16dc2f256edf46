package dev.attnir.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.analysis.Analyzers;
import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.EmbeddingIdentity;
import dev.attnir.encoders.VectorSimilarity;
import dev.attnir.indexer.search.Bm25Params;
import dev.attnir.indexer.search.LuceneSearchBackend;
import dev.attnir.indexer.search.PassageHit;
import dev.attnir.indexer.search.PassageRef;
import dev.attnir.indexer.search.StoredPassage;
import dev.attnir.indexer.search.VectorSearch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bytes flipped inside a compound file (postings, norms, stored fields, doc values, vectors and the HNSW graph are
 * all slices of _0.cfs, none checksummed when searched) are refused on open with the "corrupt or unreadable" message,
 * never searched; opened without verification, a failure they cause is reported with the same message.
 */
class CorruptCompoundFileTest {

  private static final List<String> QUERIES = List.of("topic3", "document", "body about words", "title w17");
  private static final int PLACES = 12;
  private static final int DIMS = 32;

  @TempDir
  static Path tmp;

  private static Path bm25;
  private static Path dense;

  @BeforeAll
  static void buildSingleCompoundSegments() throws Exception {
    bm25 = tmp.resolve("bm25");
    try (PassageIndexWriter w = PassageIndexWriter.open(bm25, "english-porter", TestCorpus.wholeDocs(), null,
        PassageIndexWriter.Mode.CREATE_OR_APPEND)) {
      w.add(TestCorpus.docs("d", 300), ProgressListener.none());
      w.commit();
    }
    dense = tmp.resolve("dense");
    EmbeddingIdentity identity = new EmbeddingIdentity("random", "0".repeat(64), "cls", Map.of(), true, 512, "", "",
        VectorSimilarity.COSINE, DIMS);
    List<Passage> passages = new ArrayList<>();
    Random random = new Random(15);
    float[][] vectors = new float[300][];
    for (int i = 0; i < vectors.length; i++) {
      var d = TestCorpus.docs("d", 300).get(i);
      passages.add(new Passage(d.id(), 0, 0, d.text().length(), d.text()));
      vectors[i] = randomVector(random);
    }
    try (FSDirectory dir = FSDirectory.open(dense);
        PassageIndexWriter w = PassageIndexWriter.open(dir, "index at " + dense, Analyzers.DEFAULT,
            PassageSettings.wholeDocument("whitespace"), identity, null, PassageIndexWriter.Mode.OVERWRITE)) {
      w.write(passages, vectors);
      w.commit();
    }
    for (Path index : List.of(bm25, dense)) {
      assertTrue(Files.exists(index.resolve("_0.cfs")), "one flushed segment, as a compound file: " + index);
    }
  }

  private static float[] randomVector(Random random) {
    float[] v = new float[DIMS];
    for (int i = 0; i < DIMS; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }

  /** Offsets spread over the whole compound file: its header, the slices, and its footer. */
  private static List<Long> offsets(Path index) throws Exception {
    long length = Files.size(index.resolve("_0.cfs"));
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < PLACES; i++) {
      out.add(i * (length - 4) / (PLACES - 1));
    }
    return out;
  }

  private static Path damagedCopy(Path pristine, String name, long offset) throws Exception {
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

  /** Everything a search reads: hits (postings, norms, doc values), vectors and graph, stored passages. */
  private static List<Object> results(LuceneSearchBackend b) {
    List<Object> out = new ArrayList<>();
    Random random = new Random(4);
    for (String q : QUERIES) {
      List<List<PassageHit>> all = new ArrayList<>();
      all.add(b.lexical(q, 50, Bm25Params.anserini()));
      if (b.manifest().hasVectors()) {
        float[] v = randomVector(random);
        all.add(b.vector(v, 20, VectorSearch.hnsw(2)));
        all.add(b.vector(v, 20, VectorSearch.exhaustive()));
      }
      for (List<PassageHit> hits : all) {
        out.add(hits);
        List<PassageRef> refs = hits.stream().map(h -> new PassageRef(h.docId(), h.ordinal())).toList();
        out.add(b.passages(refs).stream().map(StoredPassage::contents).toList());
      }
    }
    return out;
  }

  @Test
  void everyDamagedPlaceIsRefusedOnOpenWithTheCorruptMessage() throws Exception {
    for (Path pristine : List.of(bm25, dense)) {
      for (long offset : offsets(pristine)) {
        Path damaged = damagedCopy(pristine, "verified-" + pristine.getFileName() + "-" + offset, offset);
        IndexException e = assertThrows(IndexException.class, () -> LuceneSearchBackend.open(damaged).close(),
            "4 bytes flipped at " + offset + " of " + pristine + "/_0.cfs");
        assertEquals(IndexException.Reason.CORRUPT, e.reason(), e.getMessage());
        assertTrue(e.getMessage().startsWith("index at " + damaged + " is corrupt or unreadable: "), e.getMessage());
        assertTrue(e.getMessage().contains("_0.cfs"), "names the damaged file: " + e.getMessage());
      }
    }
  }

  @Test
  void withoutVerificationAFailureADamagedSliceCausesHasTheSameMessage() throws Exception {
    for (Path pristine : List.of(bm25, dense)) {
      List<Object> expected;
      try (LuceneSearchBackend b = LuceneSearchBackend.open(pristine)) {
        expected = results(b);
      }
      int refused = 0;
      int changed = 0;
      for (long offset : offsets(pristine)) {
        Path damaged = damagedCopy(pristine, "unverified-" + pristine.getFileName() + "-" + offset, offset);
        try (LuceneSearchBackend b = LuceneSearchBackend.open(damaged, false)) {
          if (!expected.equals(results(b))) {
            changed++;
          }
        } catch (IndexException e) {
          // a decoder's exception (LZ4, read past EOF, a null field info) is never what reaches the caller
          assertEquals(IndexException.Reason.CORRUPT, e.reason(), e.getMessage());
          assertTrue(e.getMessage().contains("is corrupt or unreadable: "), e.getMessage());
          refused++;
        }
      }
      // what verification on open prevents: damage that is searched, with results that may differ
      System.out.printf("%s without verification: %d of %d damaged places refused, %d changed results silently%n",
          pristine.getFileName(), refused, PLACES, changed);
      assertTrue(refused > 0);
    }
  }
}
