package dev.attnir.indexer.search;

import java.util.Objects;

/**
 * Names one passage of an index.
 *
 * @param docId document id
 * @param ordinal passage ordinal within the document
 */
public record PassageRef(String docId, int ordinal) {
  public PassageRef {
    Objects.requireNonNull(docId, "docId");
  }
}
