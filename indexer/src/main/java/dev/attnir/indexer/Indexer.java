package dev.attnir.indexer;

import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EncodingReport;
import dev.attnir.indexer.embedding.EmbedderFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Builds a passage index: the library's entry point for indexing. Documents are buffered, cut into passages and
 * embedded in chunks, and written to the Lucene index at a path.
 *
 * <pre>{@code
 * try (Indexer indexer = Indexer.create(Path.of("my-index"), IndexConfig.defaults())) {
 *   indexer.add(new Document("d1", "Title", "Body text ..."));
 * } // close() commits
 * }</pre>
 *
 * <p>{@link #close()} commits what was added, so forgetting {@link #commit()} loses nothing; {@link #rollback()}
 * discards everything since the last commit instead. Commits are atomic: a crash leaves the previous commit intact.
 * Adding a document whose id is indexed replaces all of its passages. An existing index is only added to when it was
 * built the same way (model and weights, pooling, passages, analyzer; the differences are listed otherwise), and its
 * fitted pooling state is reused, never refitted.
 */
public final class Indexer implements AutoCloseable {

  /**
   * What an indexer did so far.
   *
   * @param documents documents added
   * @param passages passages written
   * @param documentsSplit documents cut into more than one passage
   * @param windowsShortened WINDOW: windows cut shorter than the window length so they fit the model with their
   *     title and prefix (see {@link PassageSplitter#windowsShortened()})
   * @param encoding encoder work (texts, tokens, truncations)
   * @param seconds wall time since the indexer was created
   */
  public record Report(long documents, long passages, long documentsSplit, long windowsShortened,
      EncodingReport encoding, double seconds) {}

  private final Path path;
  private final IndexConfig config;
  private final Embedder embedder;
  private final PassageEncoder encoder;
  private final PassageIndexWriter writer;
  private final List<Document> pending = new ArrayList<>();
  private final long started = System.nanoTime();
  private long documents;
  private long passages;
  private long documentsSplit;
  private long sinceCommit;
  private long plannedPassages;
  private long plannedDocuments;
  private EncodingReport encoding = EncodingReport.empty();
  private IndexManifest manifest;
  private boolean closed;

  private Indexer(Path path, IndexConfig config, Embedder embedder, PassageEncoder encoder,
      PassageIndexWriter writer) {
    this.path = path;
    this.config = config;
    this.embedder = embedder;
    this.encoder = encoder;
    this.writer = writer;
    this.manifest = writer.manifest();
  }

  /**
   * Opens (creating if needed) the index at {@code path}.
   *
   * @throws IllegalArgumentException for a pooling that must be fitted on a corpus ({@code whiten}): use
   *     {@link #create(Path, IndexConfig, Supplier)}
   * @throws IndexException when the index is locked, corrupt, or was built differently
   */
  public static Indexer create(Path path, IndexConfig config) {
    return create(path, config, null);
  }

  /**
   * Opens (creating if needed) the index at {@code path}; a pooling fitted on the corpus ({@code whiten}) is fitted on
   * a sample of {@code corpus}, unless the existing index already holds one fitted the same way.
   *
   * @param corpus a fresh pass over the documents per call (read once, to fit), or null
   */
  public static Indexer create(Path path, IndexConfig config, Supplier<Stream<Document>> corpus) {
    return create(path, config, corpus, ProgressListener.none());
  }

  /** As {@link #create(Path, IndexConfig, Supplier)}, reporting the fitting pass's progress. */
  public static Indexer create(Path path, IndexConfig config, Supplier<Stream<Document>> corpus,
      ProgressListener fitProgress) {
    if (config.pooling().needsCorpus() && corpus == null) {
      throw new IllegalArgumentException("pooling '" + config.pooling().name() + "' is fitted on the corpus: pass "
          + "the documents to Indexer.create(path, config, corpus)");
    }
    Embedder embedder = config.hasModel() ? EmbedderFactory.forBuild(config.model(), config.pooling(),
        config.encoderOptions(), config.overwrite() ? null : path, corpus, config.passages(), fitProgress) : null;
    try {
      PassageSplitter splitter = embedder == null ? PassageSplitter.whitespace(config.passages())
          : PassageSplitter.forEncoder(config.passages(), embedder.encoder());
      PassageEncoder encoder = new PassageEncoder(splitter, embedder);
      PassageIndexWriter writer = PassageIndexWriter.open(path, config.analyzer(), encoder,
          config.overwrite() ? PassageIndexWriter.Mode.OVERWRITE : PassageIndexWriter.Mode.CREATE_OR_APPEND);
      return new Indexer(path, config, embedder, encoder, writer);
    } catch (RuntimeException e) {
      if (embedder != null) {
        embedder.close();
      }
      throw e;
    }
  }

  public Path path() {
    return path;
  }

  public IndexConfig config() {
    return config;
  }

  /** The passage embedder, or null for a BM25-only index. */
  public Embedder embedder() {
    return embedder;
  }

  /** Adds a document (buffered: encoded when a chunk is full, and at the latest by {@link #commit()}). */
  public void add(Document document) {
    requireOpen();
    pending.add(document);
    documents++;
    if (pending.size() >= chunkLimit()) {
      flushPending(ProgressListener.none());
    }
  }

  /**
   * Adds every document of a stream (consumed, not closed) in chunks, reporting passage progress.
   *
   * @param expectedDocuments documents the stream is expected to hold (e.g. a corpus file's line count), to
   *     extrapolate the total number of passages for the progress listener; 0 when unknown
   */
  public void addAll(Stream<Document> stream, long expectedDocuments, ProgressListener passageProgress) {
    requireOpen();
    flushPending(ProgressListener.none());
    Iterator<Document> it = stream.iterator();
    while (it.hasNext()) {
      pending.add(it.next());
      documents++;
      if (pending.size() >= chunkLimit() || !it.hasNext()) {
        int chunkDocs = pending.size();
        flushPending(new ProgressListener() {
          @Override
          public void advance(long count) {
            passageProgress.advance(count);
          }

          @Override
          public void expect(long chunkPassages) {
            plannedPassages += chunkPassages;
            plannedDocuments += chunkDocs;
            long remaining = Math.max(0, expectedDocuments - plannedDocuments);
            passageProgress.expect(plannedPassages + remaining * plannedPassages / Math.max(1, plannedDocuments));
          }
        });
      }
    }
  }

  /** Documents buffered before they are encoded: a chunk, or fewer when the next periodic commit is due sooner. */
  private long chunkLimit() {
    long limit = config.chunkDocuments();
    return config.commitEvery() > 0 ? Math.min(limit, config.commitEvery() - sinceCommit) : limit;
  }

  private void flushPending(ProgressListener progress) {
    if (pending.isEmpty()) {
      return;
    }
    PassageEncoder.Encoded encoded = encoder.encode(pending, progress);
    writer.write(encoded.passages(), encoded.vectors(), encoded.digests());
    sinceCommit += pending.size();
    pending.clear();
    passages += encoded.passages().size();
    for (Passage p : encoded.passages()) {
      if (p.ordinal() == 1) {
        documentsSplit++;
      }
    }
    encoding = encoding.plus(encoded.encoding());
    if (config.commitEvery() > 0 && sinceCommit >= config.commitEvery()) {
      manifest = writer.commit();
      sinceCommit = 0;
    }
  }

  /** Makes everything added so far durable and visible, with the updated manifest. */
  public IndexManifest commit() {
    requireOpen();
    flushPending(ProgressListener.none());
    manifest = writer.commit();
    sinceCommit = 0;
    return manifest;
  }

  /** Commits, then merges the index into at most {@code maxSegments} segments (fewer search faster). */
  public IndexManifest forceMerge(int maxSegments) {
    commit();
    manifest = writer.forceMerge(maxSegments);
    return manifest;
  }

  /** Discards everything added since the last commit and closes the indexer. */
  public void rollback() {
    if (closed) {
      return;
    }
    pending.clear();
    closeResources();
  }

  /** The manifest of the last commit. */
  public IndexManifest manifest() {
    return manifest;
  }

  public Report report() {
    return new Report(documents, passages, documentsSplit, encoder.splitter().windowsShortened(), encoding, (System.nanoTime() - started) / 1e9);
  }

  /** Commits what was added (see {@link #rollback()} to discard it instead) and releases the index and the model. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    try {
      commit();
    } finally {
      closeResources();
    }
  }

  private void closeResources() {
    closed = true;
    try {
      writer.close();
    } finally {
      if (embedder != null) {
        embedder.close();
      }
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("the indexer of " + path + " is closed");
    }
  }
}
