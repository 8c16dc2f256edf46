package dev.attnir.cli;

import dev.attnir.analysis.Analyzers;
import dev.attnir.indexer.IndexFields;
import dev.attnir.indexer.retrieve.RetrievalConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;

/**
 * Finds the queries BM25 cannot search (empty, or nothing left after the index's analyzer drops stopwords): BM25
 * returns nothing for them and hybrid ranks them by the dense retriever alone, which should not pass unremarked.
 */
final class QueryTermCheck {

  private static final int SHOWN = 5;

  private QueryTermCheck() {}

  /** Ids of the queries without a BM25 term under {@code analyzer}, in query order. */
  static List<String> withoutTerms(Map<String, String> queries, String analyzer) {
    List<String> empty = new ArrayList<>();
    try (Analyzer a = Analyzers.create(analyzer)) {
      for (Map.Entry<String, String> q : queries.entrySet()) {
        try (TokenStream ts = a.tokenStream(IndexFields.CONTENTS, q.getValue())) {
          ts.reset();
          boolean any = ts.incrementToken();
          ts.end();
          if (!any) {
            empty.add(q.getKey());
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return empty;
  }

  /** Warns, once per run, about queries BM25 has no terms for, saying what each configured retriever does then. */
  static void warn(Map<String, String> queries, String analyzer, List<RetrievalConfig> configs, PrintWriter err) {
    boolean bm25 = configs.stream().anyMatch(c -> c.kind() == RetrievalConfig.Kind.BM25);
    boolean hybrid = configs.stream().anyMatch(c -> c.kind() == RetrievalConfig.Kind.HYBRID);
    boolean dense = configs.stream().anyMatch(c -> c.kind() == RetrievalConfig.Kind.DENSE);
    if (bm25 || hybrid) {
      List<String> empty = withoutTerms(queries, analyzer);
      if (!empty.isEmpty()) {
        err.println("warning: BM25 had no terms for " + empty.size() + " of " + queries.size() + " queries (empty, "
            + "or only stopwords for analyzer " + analyzer + "): " + sample(empty)
            + (bm25 ? "; bm25 returns no documents for them" : "")
            + (hybrid ? "; hybrid ranks them by dense similarity alone" : ""));
      }
    }
    if (dense || hybrid) {
      // a stopword-only query still means something to an encoder; an empty one does not
      List<String> blank = queries.entrySet().stream().filter(q -> q.getValue().isBlank()).map(Map.Entry::getKey)
          .toList();
      if (!blank.isEmpty()) {
        err.println("warning: " + blank.size() + " of " + queries.size() + " queries are empty: " + sample(blank)
            + "; dense" + (hybrid ? " and hybrid rank" : " ranks") + " arbitrary documents for them");
      }
    }
    err.flush();
  }

  private static String sample(List<String> ids) {
    return String.join(", ", ids.subList(0, Math.min(SHOWN, ids.size()))) + (ids.size() > SHOWN ? ", …" : "");
  }
}
