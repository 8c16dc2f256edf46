package dev.attnir.indexer.retrieve;

import dev.attnir.core.ProgressListener;
import dev.attnir.core.Ranking;
import dev.attnir.core.Retriever;
import dev.attnir.encoders.QueryEmbedder;
import dev.attnir.indexer.IndexException;
import dev.attnir.indexer.IndexManifest;
import dev.attnir.indexer.search.SearchBackend;
import dev.attnir.indexer.search.VectorSearch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Dense retrieval: the query is embedded with the same model, pooling and settings the index was built with (checked
 * at construction), passages are found by HNSW or brute force, and documents score as their best passage.
 */
public final class DenseRetriever implements Retriever {

  private final SearchBackend backend;
  private final QueryEmbedder embedder;
  private final VectorSearch mode;

  /**
   * @throws IndexException when the index has no vectors or was built with a different embedding
   */
  public DenseRetriever(SearchBackend backend, QueryEmbedder embedder, VectorSearch mode) {
    IndexManifest m = backend.manifest();
    if (!m.hasVectors()) {
      throw new IndexException(IndexException.Reason.INCOMPATIBLE,
          "the index has no vectors (it was built BM25-only); dense retrieval needs an index built with a model");
    }
    List<String> differences = m.embedding().differencesFrom(embedder.identity());
    if (!differences.isEmpty()) {
      throw new IndexException(IndexException.Reason.INCOMPATIBLE,
          "the query embedder does not match the index: " + String.join("; ", differences));
    }
    this.backend = backend;
    this.embedder = embedder;
    this.mode = mode;
  }

  @Override
  public String name() {
    return "dense";
  }

  @Override
  public Ranking retrieve(String query, int k) {
    return retrieveByVector(embedder.embedQuery(query), k);
  }

  /** Retrieval for an already embedded query. */
  public Ranking retrieveByVector(float[] vector, int k) {
    return MaxPassage.topDocuments(depth -> backend.vector(vector, depth, mode), k,
        MaxPassage.passagesPerHit(backend), MaxPassage.searchablePassages(backend));
  }

  /** Embeds all queries in batches first, then searches. */
  @Override
  public Map<String, Ranking> retrieveAll(Map<String, String> queries, int k, ProgressListener progress) {
    List<String> ids = new ArrayList<>(queries.keySet());
    float[][] vectors = embedder.embedQueries(new ArrayList<>(queries.values()));
    Map<String, Ranking> out = new LinkedHashMap<>();
    for (int i = 0; i < ids.size(); i++) {
      out.put(ids.get(i), retrieveByVector(vectors[i], k));
      progress.advance(1);
    }
    return out;
  }
}
