package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import dev.attnir.core.Ranking;
import dev.attnir.encoders.Digests;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.pooling.HeadState;
import dev.attnir.eval.data.CorpusReader;
import dev.attnir.indexer.IndexConfig;
import dev.attnir.indexer.Indexer;
import dev.attnir.indexer.SearchHit;
import dev.attnir.indexer.Searcher;
import dev.attnir.indexer.embedding.PoolingRequest;
import dev.attnir.indexer.retrieve.DenseRetriever;
import dev.attnir.indexer.retrieve.RetrievalConfig;
import dev.attnir.indexer.search.LuceneSearchBackend;
import dev.attnir.indexer.search.VectorSearch;
import dev.attnir.training.HeadModel;
import dev.attnir.training.HeadOnnxExporter;
import dev.attnir.training.HeadShape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fitted (whitening) and trained (multi-layer head) poolings through the library facade: {@code Searcher.open} restores
 * the query embedder from the index alone, and its rankings equal those of the embedder that built the index, used
 * directly (an independent path: no manifest, no restored state).
 */
class LibraryPoolingTest {

  private static final Path SAMPLE = Path.of("../samples/nq-sample");
  private static final ModelSpec MINILM = ModelRegistry.resolve("all-MiniLM-L6-v2");

  private static Supplier<Stream<Document>> corpus(int documents) {
    return () -> CorpusReader.stream(SAMPLE.resolve("corpus.jsonl"), CorpusReader.InvalidPolicy.FAIL)
        .limit(documents);
  }

  private static Map<String, String> queries() {
    Map<String, String> q = new LinkedHashMap<>();
    q.put("a", "who wrote the declaration of independence");
    q.put("b", "when did the first world war start");
    q.put("c", "what is the capital of australia");
    return q;
  }

  @Test
  void aWhitenedIndexIsSearchedThroughTheFacade(@TempDir Path dir) {
    IndexConfig config = IndexConfig.builder().model(MINILM)
        .pooling(new PoolingRequest("whiten", "mean", 48, 400, 1e-6, 1, null)).build();
    // fitted on 400 passages (more than the 384 dimensions it whitens), indexing only the first 100
    assertSameRankings(dir.resolve("whitened"), config, corpus(400), 100, "whiten");
  }

  @Test
  void aTrainedHeadIndexIsSearchedThroughTheFacade(@TempDir Path dir) throws Exception {
    HeadShape shape = new HeadShape(6, 384, 4, 2, 16, 2);
    byte[] onnx;
    try (HeadModel m = HeadModel.initialize(shape, 5)) {
      onnx = HeadOnnxExporter.export(shape, m.values(), 5);
    }
    HeadState head = new HeadState(new HeadState.HeadConfig(MINILM.name(),
        Digests.sha256(MINILM.source().readOnnx()), 384, "mean", 1, 6, 4, 2, 16, 2, Map.of("note", "untrained")),
        onnx);
    Path file = dir.resolve("minilm.head");
    Files.write(file, head.serialize());
    IndexConfig config = IndexConfig.builder().model(MINILM)
        .pooling(new PoolingRequest("trained", null, null, 0, 1e-6, 1, file)).build();
    assertSameRankings(dir.resolve("headed"), config, null, 60, "trained");
  }

  private static void assertSameRankings(Path index, IndexConfig config, Supplier<Stream<Document>> fitOn,
      int documents, String pooling) {
    Map<String, Ranking> direct;
    try (Indexer indexer = Indexer.create(index, config, fitOn)) {
      indexer.addAll(corpus(documents).get(), documents, ProgressListener.none());
      indexer.commit();
      Embedder built = indexer.embedder();
      try (LuceneSearchBackend backend = LuceneSearchBackend.open(index)) {
        direct = new DenseRetriever(backend, built, VectorSearch.exhaustive()).retrieveAll(queries(), 10,
            ProgressListener.none());
      }
    }
    try (Searcher searcher = Searcher.open(index)) {
      assertEquals(pooling, searcher.manifest().embedding().pooling());
      RetrievalConfig exact = new RetrievalConfig(RetrievalConfig.Kind.DENSE,
          RetrievalConfig.defaults(RetrievalConfig.Kind.DENSE).bm25(), VectorSearch.exhaustive(), "rrf", 60, 0.5,
          100, null, 100);
      Map<String, Ranking> restored = searcher.retriever(exact).retrieveAll(queries(), 10, ProgressListener.none());
      assertEquals(direct, restored, "the restored embedder ranks exactly as the one that built the index");
      List<SearchHit> hits = searcher.search(queries().get("a"), 5);
      assertEquals(5, hits.size());
      assertTrue(hits.stream().allMatch(h -> !h.text().isEmpty()), "hits carry their passage text");
    }
  }
}
