package dev.attnir.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manifest's corpus fingerprint is that of the documents the index holds, however they were added. */
class CorpusFingerprintTest {

  private static final Document A = new Document("a", "Title", "alpha text");
  private static final Document B = new Document("b", "", "beta text");
  private static final Document B2 = new Document("b", "", "beta text, edited");

  private static String of(Document... docs) {
    CorpusFingerprint f = new CorpusFingerprint();
    for (Document d : docs) {
      f.add(d);
    }
    return f.value();
  }

  private static IndexManifest add(Path dir, Document... docs) {
    try (PassageIndexWriter w = PassageIndexWriter.open(dir, "english-porter", TestCorpus.wholeDocs(), null,
        PassageIndexWriter.Mode.CREATE_OR_APPEND)) {
      w.add(List.of(docs), ProgressListener.none());
      return w.commit();
    }
  }

  @Test
  void dependsOnContentsNotOrder() {
    assertEquals(of(A, B), of(B, A));
    assertNotEquals(of(A, B), of(A, B2));
    // field boundaries are part of the digest: moving text between title and body changes it
    assertNotEquals(of(new Document("x", "ab", "c")), of(new Document("x", "a", "bc")));
  }

  @Test
  void anIndexBuiltInSeveralCommitsWithReplacementsMatchesItsCorpus(@TempDir Path dir) {
    assertEquals(of(B2), add(dir, B2).corpusFingerprint());
    assertEquals(of(A, B2), add(dir, A).corpusFingerprint());
    assertEquals(of(A, B), add(dir, B).corpusFingerprint(), "the replaced document's digest is gone");
  }

  @Test
  void passagesWrittenWithoutTheirDocumentsLeaveTheFingerprintUnknown(@TempDir Path dir) {
    add(dir, A);
    try (PassageIndexWriter w = PassageIndexWriter.open(dir, "english-porter", TestCorpus.wholeDocs(), null,
        PassageIndexWriter.Mode.CREATE_OR_APPEND)) {
      w.write(List.of(new Passage("b", 0, 0, 4, "beta")), null);
      assertNull(w.commit().corpusFingerprint());
    }
  }
}
