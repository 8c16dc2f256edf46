package dev.attnir.indexer.retrieve;

import dev.attnir.core.Ranking;
import java.util.List;

/** Combines several rankings of the same query into one. */
public interface Fusion {

  /** Short name for run tags, e.g. {@code rrf60}. */
  String name();

  /** Fuses the rankings (each best first) into the top {@code k} documents. */
  Ranking fuse(List<Ranking> rankings, int k);
}
