package dev.attnir.indexer.retrieve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.analysis.Analyzers;
import dev.attnir.core.Candidate;
import dev.attnir.core.ProgressListener;
import dev.attnir.core.Ranking;
import dev.attnir.core.Reranker;
import dev.attnir.core.ScoredDoc;
import dev.attnir.indexer.Passage;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.indexer.search.Bm25Params;
import dev.attnir.indexer.search.InMemorySearchBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/** A first stage plus a reranker is a retriever: candidates carry their passages, and the reranker's order wins. */
class RerankingRetrieverTest {

  private static InMemorySearchBackend backend() {
    List<Passage> passages = new ArrayList<>();
    for (int d = 0; d < 30; d++) {
      String text = "apple ".repeat(1 + d % 7) + "banana cherry " + "word" + d;
      passages.add(new Passage("d" + d, 0, 0, text.length(), text));
      passages.add(new Passage("d" + d, 1, text.length(), text.length() + 5, "other" + d));
    }
    return InMemorySearchBackend.create(passages, null, null, PassageSettings.wholeDocument("whitespace"),
        Analyzers.DEFAULT);
  }

  private static Reranker reranker(String name, BiFunction<String, List<Candidate>, Ranking> f) {
    return new Reranker() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Ranking rerank(String query, List<Candidate> candidates) {
        return f.apply(query, candidates);
      }
    };
  }

  @Test
  void theTopDepthIsReorderedAndTheRestFollowsInFirstStageOrder() {
    try (InMemorySearchBackend b = backend()) {
      Bm25Retriever bm25 = new Bm25Retriever(b, Bm25Params.anserini());
      List<List<Candidate>> seen = new ArrayList<>();
      Reranker reverse = reranker("reverse", (q, cs) -> {
        seen.add(cs);
        List<ScoredDoc> out = new ArrayList<>();
        for (int i = cs.size() - 1; i >= 0; i--) {
          out.add(cs.get(i).scored(cs.get(i).score())); // first-stage scores kept: order alone says what is better
        }
        return new Ranking(out);
      });
      RerankingRetriever r = new RerankingRetriever(bm25, b, reverse, 5);
      assertEquals("bm25+reverse", r.name());
      Ranking first = bm25.retrieve("apple", 12);
      Ranking reranked = r.retrieve("apple", 12);
      assertEquals(12, reranked.size());
      for (int i = 0; i < 5; i++) {
        assertEquals(first.get(4 - i).docId(), reranked.get(i).docId());
      }
      for (int i = 5; i < 12; i++) {
        assertEquals(first.get(i), reranked.get(i));
      }
      List<Candidate> cs = seen.get(0);
      assertEquals(5, cs.size());
      for (int i = 0; i < 5; i++) {
        Candidate c = cs.get(i);
        assertEquals(i + 1, c.rank());
        assertEquals(first.get(i).docId(), c.docId());
        assertEquals(first.get(i).score(), c.score());
        assertEquals(b.passage(c.docId(), c.passage()).contents(), c.text());
        assertTrue(c.text().contains("apple"), "the passage that matched, not another of the document");
      }
      assertEquals(3, r.retrieve("apple", 3).size(), "k below the depth cuts the reranked list");
      Map<String, Ranking> all = r.retrieveAll(Map.of("q1", "apple", "q2", "banana word3"), 12,
          ProgressListener.none());
      assertEquals(reranked, all.get("q1"), "batched and single-query reranking agree");
    }
  }

  @Test
  void aRerankerThatDropsOrInventsDocumentsIsStopped() {
    try (InMemorySearchBackend b = backend()) {
      Bm25Retriever bm25 = new Bm25Retriever(b, Bm25Params.anserini());
      Reranker dropper = reranker("dropper", (q, cs) -> new Ranking(List.of(cs.get(0).scored(1))));
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> new RerankingRetriever(bm25, b, dropper, 4).retrieve("apple", 10));
      assertTrue(e.getMessage().contains("reranker dropper did not return its candidates"), e.getMessage());
      Reranker inventor = reranker("inventor", (q, cs) -> {
        List<ScoredDoc> out = new ArrayList<>();
        cs.forEach(c -> out.add(c.scored(0)));
        out.add(new ScoredDoc("made-up", 9, 0));
        return new Ranking(out);
      });
      IllegalStateException f = assertThrows(IllegalStateException.class,
          () -> new RerankingRetriever(bm25, b, inventor, 4).retrieve("apple", 10));
      assertTrue(f.getMessage().contains("not among the candidates [made-up]"), f.getMessage());
    }
  }
}
