package dev.attnir.indexer.retrieve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import dev.attnir.core.Ranking;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.pooling.MeanPooling;
import dev.attnir.indexer.IndexException;
import dev.attnir.indexer.PassageIndexWriter;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.indexer.PassageSplitter;
import dev.attnir.indexer.TokenSpanner;
import dev.attnir.indexer.search.Bm25Params;
import dev.attnir.indexer.search.LuceneSearchBackend;
import dev.attnir.indexer.search.PassageHit;
import dev.attnir.indexer.search.VectorSearch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetrievalTest {

  static Embedder bge;
  static List<Document> corpus;
  static float[][] docVectors;

  @BeforeAll
  static void load() {
    bge = Embedder.load(ModelRegistry.resolve("bge-small-en-v1.5"), EncoderOptions.defaults());
    corpus = new ArrayList<>();
    Random r = new Random(7);
    String[] vocab = ("protein cell gene mutation cancer therapy vaccine immune response brain neuron signal "
        + "drug trial patient dose heart blood pressure virus infection bacteria antibiotic resistance diet "
        + "obesity insulin glucose liver kidney lung smoking risk").split(" ");
    for (int i = 0; i < 300; i++) {
      StringBuilder sb = new StringBuilder();
      int n = 5 + r.nextInt(25);
      for (int w = 0; w < n; w++) {
        sb.append(vocab[r.nextInt(vocab.length)]).append(' ');
      }
      corpus.add(new Document("doc" + i, "", sb.toString().trim()));
    }
    docVectors = bge.embedPassages(corpus.stream().map(Document::text).toList(), ProgressListener.none());
  }

  @AfterAll
  static void close() {
    bge.close();
  }

  private static Path build(Path dir) {
    PassageSplitter whole = new PassageSplitter(PassageSettings.wholeDocument("bge-small-en-v1.5"),
        TokenSpanner.whitespace());
    try (PassageIndexWriter w = PassageIndexWriter.open(dir, "english-porter", whole, bge,
        PassageIndexWriter.Mode.CREATE_OR_APPEND)) {
      w.add(corpus, ProgressListener.none());
      w.commit();
    }
    return dir;
  }

  @Test
  void exactSearchEqualsIndependentBruteForceAndHnswFindsTheSameTop10(@TempDir Path dir) {
    build(dir);
    try (LuceneSearchBackend backend = LuceneSearchBackend.open(dir)) {
      float[] q = bge.embedQuery("insulin resistance in obese patients");
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < corpus.size(); i++) {
        order.add(i);
      }
      order.sort(Comparator.comparingDouble((Integer i) -> -dot(q, docVectors[i])).thenComparing(i -> "doc" + i));
      List<PassageHit> exact = backend.vector(q, 20, VectorSearch.exhaustive());
      for (int r = 0; r < 20; r++) {
        assertEquals("doc" + order.get(r), exact.get(r).docId(), "rank " + r);
        assertEquals(dot(q, docVectors[order.get(r)]), exact.get(r).score(), 1e-5);
      }
      List<PassageHit> hnsw = backend.vector(q, 10, VectorSearch.hnsw(4));
      for (int r = 0; r < 10; r++) {
        assertEquals(exact.get(r).docId(), hnsw.get(r).docId(), "HNSW rank " + r);
        assertEquals(exact.get(r).score(), hnsw.get(r).score(), 1e-5, "HNSW score is the raw cosine");
      }
    }
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  @Test
  void bm25ScoresEqualTheFormulaComputedByHand(@TempDir Path dir) {
    List<Document> tiny = List.of(new Document("a", "", "apple banana apple"), new Document("b", "", "banana cherry"),
        new Document("c", "", "cherry cherry cherry date"), new Document("d", "", "elderberry"));
    PassageSplitter whole = new PassageSplitter(PassageSettings.wholeDocument("whitespace"), TokenSpanner.whitespace());
    try (PassageIndexWriter w = PassageIndexWriter.open(dir, "standard", whole, null,
        PassageIndexWriter.Mode.CREATE_OR_APPEND)) {
      w.add(tiny, ProgressListener.none());
      w.commit();
    }
    float k1 = 0.9f;
    float b = 0.4f;
    int[] lengths = {3, 2, 4, 1};
    double avgdl = (3 + 2 + 4 + 1) / 4.0;
    try (LuceneSearchBackend backend = LuceneSearchBackend.open(dir)) {
      List<PassageHit> hits = backend.lexical("cherry banana", 10, new Bm25Params(k1, b));
      Map<String, Double> expected = Map.of(
          "a", bm25(1, 2, 4, k1, b, lengths[0], avgdl),
          "b", bm25(1, 2, 4, k1, b, lengths[1], avgdl) + bm25(1, 2, 4, k1, b, lengths[1], avgdl),
          "c", bm25(3, 2, 4, k1, b, lengths[2], avgdl));
      assertEquals(3, hits.size());
      for (PassageHit h : hits) {
        assertEquals(expected.get(h.docId()), h.score(), 1e-5, h.docId());
      }
      assertEquals("b", hits.get(0).docId());
      // a repeated query term counts twice, as in Anserini's bag of words
      double once = backend.lexical("banana", 10, new Bm25Params(k1, b)).get(0).score();
      double twice = backend.lexical("banana banana", 10, new Bm25Params(k1, b)).get(0).score();
      assertEquals(2 * once, twice, 1e-5);
    }
  }

  /** Lucene's BM25 (without the constant (k1+1) factor): idf * tf / (tf + k1 * (1 - b + b * dl / avgdl)). */
  private static double bm25(int tf, int df, int n, float k1, float b, int dl, double avgdl) {
    double idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
    return idf * tf / (tf + k1 * (1 - b + b * dl / avgdl));
  }

  @Test
  void aQueryEmbedderThatDiffersFromTheIndexIsRefused(@TempDir Path dir) {
    build(dir);
    try (LuceneSearchBackend backend = LuceneSearchBackend.open(dir);
        Embedder mean = new Embedder(bge.encoder(), new MeanPooling())) {
      IndexException e = assertThrows(IndexException.class,
          () -> new DenseRetriever(backend, mean, VectorSearch.exhaustive()));
      assertEquals(IndexException.Reason.INCOMPATIBLE, e.reason());
      assertTrue(e.getMessage().contains("pooling: index has cls, query uses mean"), e.getMessage());
      try (Embedder minilm = Embedder.load(ModelRegistry.resolve("all-MiniLM-L6-v2"), EncoderOptions.defaults())) {
        IndexException m = assertThrows(IndexException.class,
            () -> new DenseRetriever(backend, minilm, VectorSearch.exhaustive()));
        assertTrue(m.getMessage().contains("model: index has bge-small-en-v1.5"), m.getMessage());
      }
      DenseRetriever ok = new DenseRetriever(backend, bge, VectorSearch.exhaustive());
      assertEquals(5, ok.retrieve("gene mutation cancer", 5).size());
      Bm25Retriever lex = new Bm25Retriever(backend, Bm25Params.anserini());
      HybridRetriever hybrid = new HybridRetriever(lex, ok, new ReciprocalRankFusion(60), 100);
      Ranking fused = hybrid.retrieve("gene mutation cancer", 10);
      assertEquals(10, fused.size());
      Map<String, Ranking> all = hybrid.retrieveAll(Map.of("q1", "gene mutation cancer"), 10,
          ProgressListener.none());
      assertEquals(fused, all.get("q1"), "batched and single-query retrieval agree");
    }
  }
}
