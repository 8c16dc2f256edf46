package dev.attnir.indexer.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.attnir.analysis.Analyzers;
import dev.attnir.core.ProgressListener;
import dev.attnir.core.Ranking;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EmbeddingIdentity;
import dev.attnir.encoders.PrecomputedQueryEmbedder;
import dev.attnir.encoders.VectorSimilarity;
import dev.attnir.indexer.Passage;
import dev.attnir.indexer.PassageIndexWriter;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.indexer.retrieve.Bm25Retriever;
import dev.attnir.indexer.retrieve.DenseRetriever;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.junit.jupiter.api.Test;

/**
 * The in-memory backend against an independent one: the same passages and vectors written to a Lucene index by
 * {@link PassageIndexWriter} and searched exactly by {@link LuceneSearchBackend}. Vector hits (including ties at the
 * cut), BM25 hits, stored passages and the dense and BM25 retrievers' rankings must be identical.
 */
class InMemorySearchBackendTest {

  private static final String[] WORDS = {"gene", "cell", "protein", "cancer", "mutation", "brain", "river", "city",
      "music", "star", "planet", "theory"};

  @Test
  void searchesExactlyAsALuceneIndexOfTheSamePassages() {
    Random random = new Random(3);
    for (int round = 0; round < 5; round++) {
      int dims = 8 + random.nextInt(24);
      EmbeddingIdentity identity = new EmbeddingIdentity("random", "0".repeat(64), "cls", Map.of(), true, 512, "", "",
          VectorSimilarity.COSINE, dims);
      List<Passage> passages = new ArrayList<>();
      List<float[]> vectors = new ArrayList<>();
      int docs = 20 + random.nextInt(60);
      for (int d = 0; d < docs; d++) {
        int n = 1 + random.nextInt(4);
        for (int p = 0; p < n; p++) {
          StringBuilder text = new StringBuilder();
          for (int w = 0; w < 5 + random.nextInt(20); w++) {
            text.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
          }
          passages.add(new Passage("doc" + d, p, 10 * p, 10 * p + 9, text.toString().trim()));
          // every fifth passage repeats an earlier vector, so exact ties reach the cut
          float[] v = vectors.size() > 5 && random.nextInt(5) == 0 ? vectors.get(random.nextInt(vectors.size()))
              : randomUnit(random, dims);
          vectors.add(v);
        }
      }
      float[][] matrix = vectors.toArray(new float[0][]);
      PassageSettings settings = PassageSettings.wholeDocument("random");
      ByteBuffersDirectory dir = new ByteBuffersDirectory();
      try (PassageIndexWriter w = PassageIndexWriter.open(dir, "test index", Analyzers.DEFAULT, settings, identity,
          null, PassageIndexWriter.Mode.OVERWRITE)) {
        w.write(passages, matrix);
        w.commit();
      }
      try (LuceneSearchBackend lucene = LuceneSearchBackend.open(dir, "test index", null);
          InMemorySearchBackend memory = InMemorySearchBackend.create(passages, matrix, identity, settings,
              Analyzers.DEFAULT)) {
        assertEquals(lucene.manifest(), memory.manifest());
        List<String> queryTexts = new ArrayList<>();
        float[][] queryVectors = new float[10][];
        for (int q = 0; q < 10; q++) {
          queryVectors[q] = q % 3 == 0 ? matrix[random.nextInt(matrix.length)] : randomUnit(random, dims);
          queryTexts.add(WORDS[random.nextInt(WORDS.length)] + " " + WORDS[random.nextInt(WORDS.length)] + " q" + q);
          int k = 1 + random.nextInt(passages.size());
          assertEquals(lucene.vector(queryVectors[q], k, VectorSearch.exhaustive()),
              memory.vector(queryVectors[q], k, VectorSearch.exhaustive()), "vector hits, k=" + k);
          assertEquals(lucene.lexical(queryTexts.get(q), k, Bm25Params.anserini()),
              memory.lexical(queryTexts.get(q), k, Bm25Params.anserini()), "BM25 hits");
        }
        List<PassageRef> refs = new ArrayList<>();
        for (int i = passages.size() - 1; i >= 0; i -= 3) {
          refs.add(new PassageRef(passages.get(i).docId(), passages.get(i).ordinal()));
        }
        assertEquals(lucene.passages(refs), memory.passages(refs));

        Map<String, String> queries = new LinkedHashMap<>();
        for (int q = 0; q < queryTexts.size(); q++) {
          queries.put("q" + q, queryTexts.get(q));
        }
        PrecomputedQueryEmbedder embedder = new PrecomputedQueryEmbedder(identity, queryTexts, queryVectors);
        Map<String, Ranking> a = new DenseRetriever(lucene, embedder, VectorSearch.exhaustive())
            .retrieveAll(queries, 10, ProgressListener.none());
        Map<String, Ranking> b = new DenseRetriever(memory, embedder, VectorSearch.exhaustive())
            .retrieveAll(queries, 10, ProgressListener.none());
        assertEquals(a, b);
        assertEquals(new Bm25Retriever(lucene, Bm25Params.anserini()).retrieveAll(queries, 10,
            ProgressListener.none()), new Bm25Retriever(memory, Bm25Params.anserini()).retrieveAll(queries, 10,
            ProgressListener.none()));
      }
    }
  }

  @Test
  void refusesInconsistentInput() {
    EmbeddingIdentity identity = new EmbeddingIdentity("random", "0".repeat(64), "cls", Map.of(), true, 512, "", "",
        VectorSimilarity.COSINE, 2);
    PassageSettings settings = PassageSettings.wholeDocument("random");
    List<Passage> split = List.of(new Passage("a", 0, 0, 1, "x"), new Passage("b", 0, 0, 1, "y"),
        new Passage("a", 1, 1, 2, "z"));
    float[][] three = {{1, 0}, {0, 1}, {1, 0}};
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InMemorySearchBackend.create(split, three, identity, settings, Analyzers.DEFAULT));
    assertEquals("the passages of document a are not consecutive", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> InMemorySearchBackend.create(split.subList(0, 2),
        three, identity, settings, Analyzers.DEFAULT));
    try (InMemorySearchBackend b = InMemorySearchBackend.create(split.subList(0, 2), new float[][] {{1, 0}, {0, 1}},
        identity, settings, Analyzers.DEFAULT)) {
      IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
          () -> b.passage("a", 3));
      assertEquals("in-memory index has no passage 3 of document a", missing.getMessage());
    }
  }

  private static float[] randomUnit(Random random, int dims) {
    float[] v = new float[dims];
    for (int i = 0; i < dims; i++) {
      v[i] = (float) random.nextGaussian();
    }
    Embedder.l2Normalize(v);
    return v;
  }
}
