package dev.attnir.indexer;

import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EmbeddingIdentity;
import dev.attnir.encoders.EncodingReport;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Documents to passages with vectors: the half of indexing that does not depend on where passages are stored. It cuts
 * every document with the {@link PassageSplitter} and embeds the passages' contents with the {@link Embedder} (in one
 * encoder call per batch of documents, so length sorting works across documents). A sink writes the result: the Lucene
 * index ({@link PassageIndexWriter}) or another backend.
 */
public final class PassageEncoder {

  /**
   * Passages of a batch of documents, grouped by document in input order, with their vectors.
   *
   * @param passages every passage; a document's passages are consecutive and in ordinal order
   * @param vectors one vector per passage, or null when there is no embedder
   * @param encoding what the encoder did (texts, tokens, truncations)
   * @param digests each document's {@link CorpusFingerprint#digest(Document)} by id, or null when unknown
   */
  public record Encoded(List<Passage> passages, float[][] vectors, EncodingReport encoding,
      Map<String, byte[]> digests) {

    /** Passages without their documents' digests (the index then cannot know its corpus fingerprint). */
    public Encoded(List<Passage> passages, float[][] vectors, EncodingReport encoding) {
      this(passages, vectors, encoding, null);
    }
  }

  private final PassageSplitter splitter;
  private final Embedder embedder;

  /**
   * @param splitter how documents become passages
   * @param embedder the passage embedder, or null for passages without vectors (BM25 only)
   */
  public PassageEncoder(PassageSplitter splitter, Embedder embedder) {
    this.splitter = splitter;
    this.embedder = embedder;
  }

  public PassageSplitter splitter() {
    return splitter;
  }

  /** The embedder, or null. */
  public Embedder embedder() {
    return embedder;
  }

  public PassageSettings settings() {
    return splitter.settings();
  }

  /** What determines the vectors, or null without an embedder. */
  public EmbeddingIdentity identity() {
    return embedder == null ? null : embedder.identity();
  }

  /**
   * Splits and embeds documents. A document id repeated within the batch keeps its last occurrence (as a later
   * batch would replace an earlier one). The listener is told how many passages will be encoded, then advanced per
   * encoded batch.
   */
  public Encoded encode(List<Document> documents, ProgressListener progress) {
    Map<String, List<Passage>> byDoc = new LinkedHashMap<>();
    Map<String, byte[]> digests = new HashMap<>();
    for (Document d : documents) {
      byDoc.remove(d.id());
      byDoc.put(d.id(), splitter.split(d));
      digests.put(d.id(), CorpusFingerprint.digest(d));
    }
    List<Passage> all = new ArrayList<>();
    byDoc.values().forEach(all::addAll);
    progress.expect(all.size());
    if (embedder == null) {
      progress.advance(all.size());
      return new Encoded(all, null, EncodingReport.empty(), digests);
    }
    List<String> contents = new ArrayList<>(all.size());
    for (Passage p : all) {
      contents.add(p.contents());
    }
    float[][] vectors = embedder.embedPassages(contents, progress);
    return new Encoded(all, vectors, embedder.lastReport(), digests);
  }
}
