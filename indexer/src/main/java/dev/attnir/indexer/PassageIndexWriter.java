package dev.attnir.indexer;

import dev.attnir.analysis.Analyzers;
import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EmbeddingIdentity;
import dev.attnir.encoders.EncodingReport;
import dev.attnir.encoders.StatefulPooling;
import dev.attnir.indexer.search.LuceneVectors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.lucene.document.BinaryDocValuesField;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.CorruptIndexException;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexFormatTooNewException;
import org.apache.lucene.index.IndexFormatTooOldException;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.LockObtainFailedException;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/**
 * Builds a passage index: documents are split into passages, embedded (when the index has vectors) and written with
 * their BM25 text, stored offsets and vector. Nothing is visible until {@link #commit()}, which writes the data and the
 * {@link IndexManifest} atomically: a crash mid-build leaves the previous commit intact and readable. Adding a document
 * whose id is already indexed replaces all of its passages. Each document's {@link CorpusFingerprint#digest} is stored
 * with its first passage, and every commit records the fingerprint of the documents then in the index.
 */
public final class PassageIndexWriter implements AutoCloseable {

  /** Whether an existing index is appended to or replaced. */
  public enum Mode {
    /** Create the index, or add to an existing index built the same way (refused otherwise). */
    CREATE_OR_APPEND,
    /** Replace whatever is there; the old index stays readable until the first commit of the new one. */
    OVERWRITE
  }

  private final String where;
  private final Directory directory;
  private final IndexWriter writer;
  private final PassageEncoder encoder;
  private final VectorSimilarityFunction similarity;
  private IndexManifest manifest;
  /** False only for indexes built before hits were read from doc values (a field cannot gain doc values later). */
  private boolean hitDocValues;
  private EncodingReport encoding = EncodingReport.empty();

  private boolean ownsDirectory;

  private PassageIndexWriter(String where, Directory directory, IndexWriter writer, PassageEncoder encoder,
      IndexManifest manifest) {
    this.where = where;
    this.directory = directory;
    this.writer = writer;
    this.encoder = encoder;
    this.manifest = manifest;
    this.similarity = manifest.hasVectors() ? LuceneVectors.function(manifest.embedding()) : null;
  }

  /**
   * Opens (creating if needed) the index at {@code path}.
   *
   * @param analyzer BM25 analyzer name
   * @param splitter how documents become passages
   * @param embedder the embedder for passage vectors, or null for a BM25-only index
   * @throws IndexException when the index is locked by another writer, corrupt, or was built differently
   */
  public static PassageIndexWriter open(Path path, String analyzer, PassageSplitter splitter, Embedder embedder,
      Mode mode) {
    return open(path, analyzer, new PassageEncoder(splitter, embedder), mode);
  }

  /**
   * Opens (creating if needed) the index at {@code path}, with the passage encoder documents are added through.
   *
   * @throws IndexException when the index is locked by another writer, corrupt, or was built differently
   */
  public static PassageIndexWriter open(Path path, String analyzer, PassageEncoder encoder, Mode mode) {
    Directory dir = null;
    try {
      Files.createDirectories(path);
      dir = FSDirectory.open(path);
      PassageIndexWriter w = open(dir, "index at " + path, analyzer, encoder.settings(), encoder.identity(), encoder,
          mode);
      w.ownsDirectory = true;
      if (encoder.embedder() != null && encoder.embedder().pooling() instanceof StatefulPooling stateful) {
        // written (and synced) while the writer holds the lock, before any commit can reference it
        try {
          PoolingStateFiles.write(path, stateful.state());
        } catch (RuntimeException e) {
          w.close();
          throw e;
        }
      }
      return w;
    } catch (IOException e) {
      closeQuietly(dir);
      throw new UncheckedIOException("cannot open index at " + path + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(dir);
      throw e;
    }
  }

  /**
   * Opens a writer on any Lucene directory (e.g. a {@code ByteBuffersDirectory} for an index held in memory); the
   * caller keeps the directory and closes it (a failure to open closes it, though). Documents are added as already encoded passages
   * ({@link #write(List, float[][])}), or through {@code encoder} when one is given.
   *
   * @param where how messages name the index, e.g. "index at /path"
   * @param identity the embedding identity of the vectors, or null for BM25 only
   * @param encoder the passage encoder of {@link #add}, or null when passages come encoded
   */
  public static PassageIndexWriter open(Directory dir, String where, String analyzer, PassageSettings settings,
      EmbeddingIdentity identity, PassageEncoder encoder, Mode mode) {
    IndexManifest requested = IndexManifest.create(analyzer, settings, identity);
    try {
      IndexManifest existing = mode == Mode.OVERWRITE ? null : readManifest(dir, where);
      if (existing != null) {
        List<String> differences = existing.buildDifferences(requested);
        if (!differences.isEmpty()) {
          throw new IndexException(IndexException.Reason.INCOMPATIBLE, where
              + " was built differently; it was not modified. Differences: " + String.join("; ", differences)
              + ". Use a new directory, or overwrite it explicitly.");
        }
        requested = requested.withContents(existing.documents(), existing.passageCount(),
            existing.corpusFingerprint());
      }
      IndexWriterConfig config = new IndexWriterConfig(Analyzers.create(analyzer))
          .setOpenMode(mode == Mode.OVERWRITE ? IndexWriterConfig.OpenMode.CREATE
              : IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
          .setCommitOnClose(false)
          .setSimilarity(new BM25Similarity())
          .setRAMBufferSizeMB(256);
      IndexWriter writer;
      try {
        writer = new IndexWriter(dir, config);
      } catch (LockObtainFailedException e) {
        throw new IndexException(IndexException.Reason.LOCKED, where
            + " is locked by another writer (write.lock is held); it was not modified. Wait for that writer to "
            + "finish; remove write.lock only if no process is using the index.", e);
      }
      PassageIndexWriter w = new PassageIndexWriter(where, dir, writer, encoder, requested);
      w.hitDocValues = hasHitDocValuesOrEmpty(writer);
      return w;
    } catch (CorruptIndexException | IndexFormatTooOldException | IndexFormatTooNewException
        | NoSuchFileException | java.io.EOFException e) {
      closeQuietly(dir);
      throw new IndexException(IndexException.Reason.CORRUPT, where + " is corrupt or unreadable ("
          + e.getMessage() + "); it was not modified", e);
    } catch (IOException e) {
      closeQuietly(dir);
      throw new UncheckedIOException("cannot open " + where + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(dir);
      throw e;
    }
  }

  /** Whether {@code dir} holds a Lucene commit (an index, attnir's or not). */
  public static boolean indexExists(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (var s = Files.list(dir)) {
      return s.anyMatch(p -> p.getFileName().toString().startsWith("segments_"));
    } catch (IOException e) {
      return false;
    }
  }

  /** The manifest of the last commit at {@code dir}, or null when there is no index. */
  static IndexManifest readManifest(Directory dir, String where) throws IOException {
    if (!DirectoryReader.indexExists(dir)) {
      return null;
    }
    SegmentInfos infos = SegmentInfos.readLatestCommit(dir);
    String json = infos.getUserData().get(IndexManifest.COMMIT_KEY);
    if (json == null) {
      throw new IndexException(IndexException.Reason.INCOMPATIBLE, where
          + " is a Lucene index without an attnir manifest; it was not modified");
    }
    return IndexManifest.fromJson(json);
  }

  private static void closeQuietly(Directory dir) {
    if (dir != null) {
      try {
        dir.close();
      } catch (IOException ignored) {
        // the original failure is the one to report
      }
    }
  }


  /** The manifest as the next commit will write it. */
  public IndexManifest manifest() {
    return manifest;
  }

  /** Encoding work done so far (texts, tokens, truncations). */
  public EncodingReport encodingReport() {
    return encoding;
  }

  /**
   * Splits, embeds and adds documents; each replaces any indexed document with the same id. Not visible until
   * {@link #commit()}. The listener is told how many passages this call writes, then advanced as they are encoded.
   *
   * @return the number of passages written
   */
  public int add(List<Document> documents, ProgressListener passageProgress) {
    if (encoder == null) {
      throw new IllegalStateException(where + " was opened for encoded passages; add them with write()");
    }
    PassageEncoder.Encoded encoded = encoder.encode(documents, passageProgress);
    encoding = encoding.plus(encoded.encoding());
    write(encoded.passages(), encoded.vectors(), encoded.digests());
    return encoded.passages().size();
  }

  /**
   * The sink: writes encoded passages, each document's passages replacing whatever the index holds for it. A
   * document's passages must be consecutive. Not visible until {@link #commit()}.
   *
   * @param vectors one vector per passage (in the index's embedding space), or null for a BM25-only index
   */
  public void write(List<Passage> passages, float[][] vectors) {
    write(passages, vectors, null);
  }

  /**
   * As {@link #write(List, float[][])}, storing each document's {@link CorpusFingerprint#digest} with its first
   * passage so the commit can fingerprint the corpus the index holds.
   *
   * @param digests digest by document id, or null (the index's corpus fingerprint then becomes unknown)
   */
  public void write(List<Passage> passages, float[][] vectors, Map<String, byte[]> digests) {
    if ((vectors != null) != manifest.hasVectors()) {
      throw new IllegalArgumentException(where + (manifest.hasVectors() ? " needs a vector per passage"
          : " has no vectors (BM25 only) but vectors were given"));
    }
    if (vectors != null && vectors.length != passages.size()) {
      throw new IllegalArgumentException(passages.size() + " passages but " + vectors.length + " vectors");
    }
    try {
      java.util.Set<String> written = new java.util.HashSet<>();
      int from = 0;
      while (from < passages.size()) {
        String docId = passages.get(from).docId();
        if (!written.add(docId)) {
          // a second group would replace the first one's passages (updates are by document id)
          throw new IllegalArgumentException("the passages of document " + docId + " are not consecutive");
        }
        int to = from;
        List<org.apache.lucene.document.Document> luceneDocs = new ArrayList<>();
        while (to < passages.size() && passages.get(to).docId().equals(docId)) {
          float[] v = vectors == null ? null : vectors[to];
          if (v != null && v.length != manifest.embedding().dimension()) {
            throw new IllegalArgumentException("passage " + to + " of document " + docId + " has a vector of "
                + v.length + " dimensions; " + where + " has " + manifest.embedding().dimension());
          }
          org.apache.lucene.document.Document d = toLucene(passages.get(to), v);
          byte[] digest = digests == null ? null : digests.get(docId);
          if (digest != null && passages.get(to).ordinal() == 0) {
            d.add(new BinaryDocValuesField(IndexFields.DOC_DIGEST, new BytesRef(digest)));
          }
          luceneDocs.add(d);
          to++;
        }
        writer.updateDocuments(new Term(IndexFields.DOC_ID, docId), luceneDocs);
        from = to;
      }
    } catch (IOException ex) {
      throw new UncheckedIOException("writing to " + where + " failed: " + ex.getMessage(), ex);
    }
  }

  private static boolean hasHitDocValuesOrEmpty(IndexWriter writer) throws IOException {
    try (DirectoryReader reader = DirectoryReader.open(writer)) {
      org.apache.lucene.index.FieldInfo docId =
          org.apache.lucene.index.FieldInfos.getMergedFieldInfos(reader).fieldInfo(IndexFields.DOC_ID);
      return docId == null || docId.getDocValuesType() != org.apache.lucene.index.DocValuesType.NONE;
    }
  }

  /** Writes documents the way indexes before doc-value hits were written (tests of the reading fallback). */
  void writeLegacyHitFields() {
    if (writer.getDocStats().maxDoc > 0) {
      throw new IllegalStateException("legacy hit fields only for an empty index");
    }
    hitDocValues = false;
  }

  private org.apache.lucene.document.Document toLucene(Passage p, float[] vector) {
    org.apache.lucene.document.Document d = new org.apache.lucene.document.Document();
    d.add(new StringField(IndexFields.DOC_ID, p.docId(), Field.Store.YES));
    if (p.ordinal() == 0) {
      d.add(new StringField(IndexFields.FIRST_PASSAGE, "1", Field.Store.NO));
    }
    d.add(new StoredField(IndexFields.ORDINAL, p.ordinal()));
    if (hitDocValues) {
      // Hits read doc id and ordinal from doc values: a stored-fields read decompresses a whole block of stored
      // contents per hit, which dominated deep (k=100+) searches.
      d.add(new SortedDocValuesField(IndexFields.DOC_ID, new BytesRef(p.docId())));
      d.add(new NumericDocValuesField(IndexFields.ORDINAL, p.ordinal()));
    }
    d.add(new StoredField(IndexFields.START, p.start()));
    d.add(new StoredField(IndexFields.END, p.end()));
    d.add(new TextField(IndexFields.CONTENTS, p.contents(), Field.Store.YES));
    if (vector != null) {
      d.add(new KnnFloatVectorField(IndexFields.VECTOR, vector, similarity));
    }
    return d;
  }

  /** Makes everything added so far durable and visible, together with the updated manifest. */
  public IndexManifest commit() {
    try {
      long passages;
      long docs;
      String fingerprint;
      try (DirectoryReader reader = DirectoryReader.open(writer)) {
        passages = reader.numDocs();
        docs = new IndexSearcher(reader).count(new TermQuery(new Term(IndexFields.FIRST_PASSAGE, "1")));
        fingerprint = corpusFingerprint(reader);
      }
      manifest = manifest.withContents(docs, passages, fingerprint);
      writer.setLiveCommitData(Map.of(IndexManifest.COMMIT_KEY, manifest.toJson()).entrySet());
      writer.commit();
      return manifest;
    } catch (IOException e) {
      throw new UncheckedIOException("commit of " + where + " failed (the previous commit is intact): "
          + e.getMessage(), e);
    }
  }

  /**
   * Sums the digests stored with every live document's first passage (recomputed at each commit, so replaced and
   * deleted documents drop out); null when any document has none.
   */
  private static String corpusFingerprint(DirectoryReader reader) throws IOException {
    CorpusFingerprint fingerprint = new CorpusFingerprint();
    Term first = new Term(IndexFields.FIRST_PASSAGE, "1");
    for (LeafReaderContext leaf : reader.leaves()) {
      PostingsEnum docs = leaf.reader().postings(first, PostingsEnum.NONE);
      if (docs == null) {
        continue;
      }
      BinaryDocValues digests = leaf.reader().getBinaryDocValues(IndexFields.DOC_DIGEST);
      Bits live = leaf.reader().getLiveDocs();
      for (int doc = docs.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = docs.nextDoc()) {
        if (live != null && !live.get(doc)) {
          continue;
        }
        if (digests == null || !digests.advanceExact(doc)) {
          return null;
        }
        BytesRef b = digests.binaryValue();
        fingerprint.add(java.util.Arrays.copyOfRange(b.bytes, b.offset, b.offset + b.length));
      }
    }
    return fingerprint.value();
  }

  /**
   * Writes buffered passages to disk as new segments that stay invisible until {@link #commit()}; bounds memory
   * during long builds.
   */
  public void flush() {
    try {
      writer.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("flush of " + where + " failed: " + e.getMessage(), e);
    }
  }

  /** Merges segments down to {@code maxSegments} (fewer segments search faster) and commits. */
  public IndexManifest forceMerge(int maxSegments) {
    try {
      writer.forceMerge(maxSegments);
    } catch (IOException e) {
      throw new UncheckedIOException("merge of " + where + " failed: " + e.getMessage(), e);
    }
    return commit();
  }

  /** Closes without committing: changes since the last {@link #commit()} are discarded. */
  @Override
  public void close() {
    try {
      writer.rollback();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (ownsDirectory) {
        closeQuietly(directory);
      }
    }
  }
}
