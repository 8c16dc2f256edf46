package dev.attnir.indexer.retrieve;

import dev.attnir.core.Ranking;
import dev.attnir.core.Retriever;
import dev.attnir.indexer.search.Bm25Params;
import dev.attnir.indexer.search.SearchBackend;

/** BM25 over passages, aggregated to documents by their best passage. */
public final class Bm25Retriever implements Retriever {

  private final SearchBackend backend;
  private final Bm25Params params;

  public Bm25Retriever(SearchBackend backend, Bm25Params params) {
    this.backend = backend;
    this.params = params;
  }

  @Override
  public String name() {
    return "bm25";
  }

  @Override
  public Ranking retrieve(String query, int k) {
    return MaxPassage.topDocuments(depth -> backend.lexical(query, depth, params), k,
        MaxPassage.passagesPerHit(backend), MaxPassage.searchablePassages(backend));
  }
}
