package dev.attnir.indexer;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.encoders.EmbeddingIdentity;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How an index was built, stored in every Lucene commit (so it is atomic with the data it describes): the analyzer,
 * the passage settings, the embedding identity (model, weights digest, pooling and its parameters, prefixes,
 * normalisation, dimension), plus counts. Searching with anything incompatible is refused.
 *
 * @param formatVersion version of this manifest's layout
 * @param luceneVersion Lucene version that wrote the index
 * @param analyzer analyzer of the BM25 field (see {@code Analyzers})
 * @param passages passage settings
 * @param embedding what determines the vectors, or null for a BM25-only index
 * @param documents documents in the committed index
 * @param passageCount passages in the committed index
 * @param corpusFingerprint the {@link CorpusFingerprint} of the documents in the committed index, or null when it
 *     cannot be known (an index written before fingerprints, or with passages added without their documents)
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record IndexManifest(
    int formatVersion,
    String luceneVersion,
    String analyzer,
    PassageSettings passages,
    EmbeddingIdentity embedding,
    long documents,
    long passageCount,
    String corpusFingerprint) {

  /** Current manifest layout. */
  public static final int FORMAT_VERSION = 1;

  /** Key of the manifest in the commit user data. */
  public static final String COMMIT_KEY = "attnir.manifest";

  private static final ObjectMapper JSON = new ObjectMapper()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public IndexManifest {
    Objects.requireNonNull(analyzer, "analyzer");
    Objects.requireNonNull(passages, "passages");
  }

  /** A manifest for a new index. */
  public static IndexManifest create(String analyzer, PassageSettings passages, EmbeddingIdentity embedding) {
    return new IndexManifest(FORMAT_VERSION, org.apache.lucene.util.Version.LATEST.toString(), analyzer, passages,
        embedding, 0, 0, new CorpusFingerprint().value());
  }

  /** The same build settings with new counts (and the same fingerprint). */
  public IndexManifest withCounts(long newDocuments, long newPassages) {
    return withContents(newDocuments, newPassages, corpusFingerprint);
  }

  /** The same build settings with new counts and corpus fingerprint (null when unknown). */
  public IndexManifest withContents(long newDocuments, long newPassages, String newFingerprint) {
    return new IndexManifest(formatVersion, luceneVersion, analyzer, passages, embedding, newDocuments, newPassages,
        newFingerprint);
  }

  /** Whether the index holds vectors. */
  public boolean hasVectors() {
    return embedding != null;
  }

  /** Passages per document, at least 1. */
  public double passagesPerDocument() {
    return documents == 0 ? 1.0 : Math.max(1.0, (double) passageCount / documents);
  }

  /**
   * Differences in build settings (not counts) between this index and {@code other}; empty when documents built with
   * {@code other} can be added to this index.
   */
  public List<String> buildDifferences(IndexManifest other) {
    List<String> d = new ArrayList<>();
    if (!analyzer.equals(other.analyzer)) {
      d.add("analyzer: index has " + analyzer + ", requested " + other.analyzer);
    }
    if (!passages.equals(other.passages)) {
      d.add("passages: index has " + passages + ", requested " + other.passages);
    }
    if ((embedding == null) != (other.embedding == null)) {
      d.add("vectors: index " + (embedding == null ? "has none" : "has " + embedding.model()) + ", requested "
          + (other.embedding == null ? "none" : other.embedding.model()));
    } else if (embedding != null) {
      d.addAll(embedding.differencesFrom(other.embedding));
    }
    return d;
  }

  /** JSON form stored in the commit. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses the stored JSON form. */
  public static IndexManifest fromJson(String json) {
    try {
      return JSON.readValue(json, IndexManifest.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("index manifest is not valid: " + e.getOriginalMessage(), e);
    }
  }
}
