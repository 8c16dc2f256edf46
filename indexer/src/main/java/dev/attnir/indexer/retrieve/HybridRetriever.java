package dev.attnir.indexer.retrieve;

import dev.attnir.core.ProgressListener;
import dev.attnir.core.Ranking;
import dev.attnir.core.Retriever;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Lexical and dense retrieval fused into one ranking; each side contributes its top {@code depth} documents. */
public final class HybridRetriever implements Retriever {

  private final Retriever lexical;
  private final Retriever dense;
  private final Fusion fusion;
  private final int depth;

  /**
   * @param depth documents taken from each side before fusion (at least the requested k is always taken)
   */
  public HybridRetriever(Retriever lexical, Retriever dense, Fusion fusion, int depth) {
    if (depth < 1) {
      throw new IllegalArgumentException("hybrid depth must be >= 1, got " + depth);
    }
    this.lexical = lexical;
    this.dense = dense;
    this.fusion = fusion;
    this.depth = depth;
  }

  @Override
  public String name() {
    return "hybrid-" + fusion.name();
  }

  @Override
  public Ranking retrieve(String query, int k) {
    int d = Math.max(k, depth);
    return fusion.fuse(List.of(lexical.retrieve(query, d), dense.retrieve(query, d)), k);
  }

  @Override
  public Map<String, Ranking> retrieveAll(Map<String, String> queries, int k, ProgressListener progress) {
    int d = Math.max(k, depth);
    Map<String, Ranking> lex = lexical.retrieveAll(queries, d, ProgressListener.none());
    Map<String, Ranking> den = dense.retrieveAll(queries, d, ProgressListener.none());
    Map<String, Ranking> out = new LinkedHashMap<>();
    for (String id : queries.keySet()) {
      out.put(id, fusion.fuse(List.of(lex.get(id), den.get(id)), k));
      progress.advance(1);
    }
    return out;
  }
}
