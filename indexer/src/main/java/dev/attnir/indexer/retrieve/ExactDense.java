package dev.attnir.indexer.retrieve;

import dev.attnir.analysis.Analyzers;
import dev.attnir.core.ProgressListener;
import dev.attnir.core.Ranking;
import dev.attnir.encoders.EmbeddingIdentity;
import dev.attnir.encoders.PrecomputedQueryEmbedder;
import dev.attnir.indexer.Passage;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.indexer.search.InMemorySearchBackend;
import dev.attnir.indexer.search.VectorSearch;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exact dense retrieval over vectors computed elsewhere (the experiments pool cached encoder outputs): the passages and
 * vectors go into an {@link InMemorySearchBackend} and the queries through the same {@link DenseRetriever}
 * (max-passage, adaptive depth) that searches an index on disk, so there is one exact search and one aggregation.
 */
public final class ExactDense {

  private ExactDense() {}

  /**
   * @param passageVectors final vectors (normalised when the identity says so), one per passage
   * @param identity what the vectors are
   * @param queryIds query ids
   * @param queryVectors final vectors, one per query id
   * @param k documents per query
   * @return each query's ranking, by query id in the given order
   */
  public static Map<String, Ranking> search(List<Passage> passages, float[][] passageVectors,
      EmbeddingIdentity identity, List<String> queryIds, float[][] queryVectors, int k) {
    // the vectors are looked up by query id: the id stands in for the text the embedder would have encoded
    Map<String, String> queries = new LinkedHashMap<>();
    queryIds.forEach(id -> queries.put(id, id));
    PassageSettings recorded = PassageSettings.wholeDocument(identity.model());
    try (InMemorySearchBackend backend = InMemorySearchBackend.create(passages, passageVectors, identity, recorded,
        Analyzers.DEFAULT)) {
      PrecomputedQueryEmbedder embedder = new PrecomputedQueryEmbedder(identity, queryIds, queryVectors);
      return new DenseRetriever(backend, embedder, VectorSearch.exhaustive()).retrieveAll(queries, k,
          ProgressListener.none());
    }
  }
}
