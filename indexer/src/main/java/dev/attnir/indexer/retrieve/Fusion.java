package dev.attnir.indexer.retrieve;

import java.util.List;

/** Combines several rankings of the same query into one. */
public interface Fusion {

  /** Short name for run tags, e.g. {@code rrf60}. */
  String name();

  /** Fuses the rankings (each best first) into the top {@code k} documents. */
  List<ScoredDoc> fuse(List<List<ScoredDoc>> rankings, int k);
}
