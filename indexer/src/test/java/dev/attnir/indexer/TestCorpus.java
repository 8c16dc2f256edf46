package dev.attnir.indexer;

import dev.attnir.core.Document;
import java.util.ArrayList;
import java.util.List;

/** Small deterministic corpora for index tests. */
final class TestCorpus {
  private TestCorpus() {}

  static List<Document> docs(String prefix, int n) {
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      docs.add(new Document(prefix + i, "title " + i, "body of document " + prefix + i + " about topic" + (i % 7)
          + " and more words " + "w" + i));
    }
    return docs;
  }

  static PassageSplitter wholeDocs() {
    return new PassageSplitter(PassageSettings.wholeDocument("whitespace"), TokenSpanner.whitespace());
  }
}
