package dev.attnir.elasticsearch.backend;

import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EncodingReport;
import dev.attnir.indexer.IndexConfig;
import dev.attnir.indexer.IndexManifest;
import dev.attnir.indexer.PassageEncoder;
import dev.attnir.indexer.PassageIndexWriter;
import dev.attnir.indexer.PassageSplitter;
import dev.attnir.indexer.embedding.EmbedderFactory;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Builds an Elasticsearch passage index from an {@link IndexConfig}, as {@code Indexer} builds a Lucene one: the same
 * embedder, splitter and {@link PassageEncoder}, documents encoded in chunks of {@link IndexConfig#chunkDocuments()}
 * and sent through an {@link ElasticsearchIndexWriter}, committed every {@link IndexConfig#commitEvery()} documents
 * and at the end. A pooling fitted on the corpus ({@code whiten}) is fitted anew (an Elasticsearch index keeps no
 * state to reuse across builds other than what it stores, see {@link PoolingStateStore}).
 */
public final class ElasticsearchIndexer implements AutoCloseable {

  private final IndexConfig config;
  private final Embedder embedder;
  private final ElasticsearchIndexWriter writer;
  private long documents;
  private long passages;
  private long sinceCommit;
  private final long started = System.nanoTime();

  private ElasticsearchIndexer(IndexConfig config, Embedder embedder, ElasticsearchIndexWriter writer) {
    this.config = config;
    this.embedder = embedder;
    this.writer = writer;
  }

  /**
   * Opens (creating if needed) the index.
   *
   * @param corpus a fresh pass over the documents (read once to fit a corpus-fitted pooling), or null
   * @throws dev.attnir.indexer.IndexException when the index exists and was built differently
   */
  public static ElasticsearchIndexer create(ElasticsearchConnection connection, String index, IndexConfig config,
      ElasticsearchIndexOptions options, Supplier<Stream<Document>> corpus, ProgressListener fitProgress) {
    Embedder embedder = config.hasModel() ? EmbedderFactory.forBuild(config.model(), config.pooling(),
        config.encoderOptions(), null, corpus, config.passages(), fitProgress) : null;
    try {
      PassageSplitter splitter = embedder == null ? PassageSplitter.whitespace(config.passages())
          : PassageSplitter.forEncoder(config.passages(), embedder.encoder());
      ElasticsearchIndexWriter writer = ElasticsearchIndexWriter.open(connection, index, config.analyzer(),
          new PassageEncoder(splitter, embedder), options,
          config.overwrite() ? PassageIndexWriter.Mode.OVERWRITE : PassageIndexWriter.Mode.CREATE_OR_APPEND);
      return new ElasticsearchIndexer(config, embedder, writer);
    } catch (RuntimeException e) {
      if (embedder != null) {
        embedder.close();
      }
      throw e;
    }
  }

  /** How messages name the index. */
  public String where() {
    return writer.where();
  }

  /**
   * Adds every document of a stream in chunks and commits at the end.
   *
   * @throws PartialWriteException after the final commit, naming every document the cluster rejected
   */
  public IndexManifest addAllAndCommit(Stream<Document> stream, ProgressListener passageProgress) {
    Iterator<Document> it = stream.iterator();
    List<Document> chunk = new ArrayList<>();
    while (it.hasNext()) {
      chunk.add(it.next());
      if (chunk.size() >= config.chunkDocuments() || !it.hasNext()) {
        passages += writer.add(chunk, passageProgress);
        documents += chunk.size();
        sinceCommit += chunk.size();
        chunk.clear();
        if (config.commitEvery() > 0 && sinceCommit >= config.commitEvery()) {
          writer.commit();
          sinceCommit = 0;
        }
      }
    }
    return writer.commit();
  }

  /** The manifest of the last commit (of an existing index: as it was opened). */
  public IndexManifest manifest() {
    return writer.manifest();
  }

  /** Documents and passages sent so far. */
  public long documents() {
    return documents;
  }

  public long passages() {
    return passages;
  }

  public EncodingReport encoding() {
    return writer.encodingReport();
  }

  public double seconds() {
    return (System.nanoTime() - started) / 1e9;
  }

  @Override
  public void close() {
    try {
      writer.close();
    } finally {
      if (embedder != null) {
        embedder.close();
      }
    }
  }
}
