package dev.attnir.elasticsearch.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import dev.attnir.core.Ranking;
import dev.attnir.core.ScoredDoc;
import dev.attnir.encoders.Digests;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.indexer.IndexException;
import dev.attnir.indexer.IndexManifest;
import dev.attnir.indexer.Passage;
import dev.attnir.indexer.PassageEncoder;
import dev.attnir.indexer.PassageIndexWriter;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.indexer.PassageSplitter;
import dev.attnir.indexer.retrieve.MaxPassage;
import dev.attnir.indexer.search.Bm25Params;
import dev.attnir.indexer.search.LuceneSearchBackend;
import dev.attnir.indexer.search.PassageRef;
import dev.attnir.indexer.search.SearchBackend;
import dev.attnir.indexer.search.StoredPassage;
import dev.attnir.indexer.search.VectorSearch;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.IntFunction;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Elasticsearch backend against a real node (see {@link TestNode}), compared with the Lucene backend on the same
 * passages and vectors: 200 SciFact documents cut into 64-word windows (several passages per document, so max-passage
 * aggregation matters), embedded once with all-MiniLM-L6-v2.
 */
class ElasticsearchBackendTest {

  private static final int DOCS = 200;
  private static final int QUERIES = 30;

  static String url;
  static ElasticsearchConnection connection;
  static Embedder embedder;
  static PassageEncoder encoder;
  static PassageEncoder.Encoded encoded;
  static List<String> queries;
  static String index;
  static ByteBuffersDirectory luceneDir;
  static LuceneSearchBackend lucene;
  static ElasticsearchSearchBackend elastic;
  static final List<String> created = new ArrayList<>();

  @BeforeAll
  static void buildBothIndexes() throws IOException {
    url = TestNode.url();
    Path scifact = Path.of(System.getProperty("attnir.shared.dir", "../../shared"), "data", "scifact");
    Assumptions.assumeTrue(Files.isRegularFile(scifact.resolve("corpus.jsonl")),
        "SciFact is not at " + scifact + " (../shared/data/scifact)");
    List<Document> docs = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    try (BufferedReader r = Files.newBufferedReader(scifact.resolve("corpus.jsonl"))) {
      for (String line = r.readLine(); line != null && docs.size() < DOCS; line = r.readLine()) {
        JsonNode d = json.readTree(line);
        docs.add(new Document(d.path("_id").asText(), d.path("title").asText(), d.path("text").asText()));
      }
    }
    queries = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(scifact.resolve("queries.jsonl"))) {
      for (String line = r.readLine(); line != null && queries.size() < QUERIES; line = r.readLine()) {
        queries.add(json.readTree(line).path("text").asText());
      }
    }
    embedder = Embedder.load(ModelRegistry.resolve("all-MiniLM-L6-v2"), EncoderOptions.defaults());
    encoder = new PassageEncoder(PassageSplitter.whitespace(PassageSettings.windows(64, 32, "whitespace")), embedder);
    encoded = encoder.encode(docs, ProgressListener.none());

    luceneDir = new ByteBuffersDirectory();
    try (PassageIndexWriter w = PassageIndexWriter.open(luceneDir, "lucene test index", "english-porter",
        encoder.settings(), encoder.identity(), null, PassageIndexWriter.Mode.CREATE_OR_APPEND)) {
      w.write(encoded.passages(), encoded.vectors(), encoded.digests());
      w.commit();
    }
    lucene = LuceneSearchBackend.open(luceneDir, "lucene test index", null);

    connection = ElasticsearchConnection.open(url, ElasticsearchConnection.Credentials.none());
    index = newIndexName();
    try (ElasticsearchIndexWriter w = ElasticsearchIndexWriter.open(connection, index, "english-porter", encoder,
        ElasticsearchIndexOptions.defaults(), PassageIndexWriter.Mode.OVERWRITE)) {
      w.write(encoded.passages(), encoded.vectors(), encoded.digests());
      w.commit();
    }
    elastic = ElasticsearchSearchBackend.open(connection, index);
  }

  static String newIndexName() {
    String name = "attnir-test-" + UUID.randomUUID().toString().substring(0, 8);
    created.add(name);
    return name;
  }

  @AfterAll
  static void cleanUp() {
    if (connection != null) {
      for (String name : created) {
        connection.json("DELETE", "/" + name, null, true);
        PoolingStateStore.delete(connection, name);
      }
      connection.close();
    }
    if (lucene != null) {
      lucene.close();
    }
    if (embedder != null) {
      embedder.close();
    }
  }

  @Test
  void manifestMatchesTheLuceneIndexBuiltFromTheSamePassages() {
    IndexManifest es = elastic.manifest();
    IndexManifest lu = lucene.manifest();
    assertEquals(List.of(), es.buildDifferences(lu));
    assertEquals(DOCS, es.documents());
    assertEquals(lu.documents(), es.documents());
    assertEquals(lu.passageCount(), es.passageCount());
    assertEquals(lu.corpusFingerprint(), es.corpusFingerprint());
    assertTrue(es.passageCount() > DOCS, "windows of 64 words give several passages per document");
    assertEquals("english-porter", es.analyzer(), "the node runs the attnir plugin (bin/es-node installs it)");
  }

  private static Ranking top(SearchBackend backend, IntFunction<List<dev.attnir.indexer.search.PassageHit>> search,
      int k) {
    IndexManifest m = backend.manifest();
    // as the retrievers do: one hit per document from Elasticsearch, over-fetched passages from Lucene
    return MaxPassage.topDocuments(search, k, MaxPassage.passagesPerHit(backend), m.passageCount());
  }

  /** Same documents in the same order with scores within {@code relative}, ties at the cut allowed to differ. */
  private static void assertSameRanking(Ranking expected, Ranking actual, double relative, String what) {
    assertEquals(expected.size(), actual.size(), what + ": result count");
    double cut = expected.get(expected.size() - 1).score();
    for (int i = 0; i < expected.size(); i++) {
      ScoredDoc e = expected.get(i);
      ScoredDoc a = actual.get(i);
      assertEquals(e.score(), a.score(), Math.abs(e.score()) * relative + 1e-6, what + ": score at rank " + i);
      if (Math.abs(e.score() - cut) > Math.abs(cut) * relative * 10) {
        assertEquals(e.docId(), a.docId(), what + ": document at rank " + i);
        assertEquals(e.passage(), a.passage(), what + ": best passage of " + e.docId());
      }
    }
  }

  @Test
  void bm25GivesTheLuceneBackendsDocumentsScoresAndBestPassages() {
    Bm25Params p = Bm25Params.anserini();
    int compared = 0;
    for (String q : queries) {
      Ranking expected = top(lucene, d -> lucene.lexical(q, d, p), 10);
      Ranking actual = top(elastic, d -> elastic.lexical(q, d, p), 10);
      if (expected.isEmpty()) {
        continue;
      }
      assertSameRanking(expected, actual, 1e-4, "BM25 '" + q + "'");
      compared++;
    }
    assertTrue(compared >= QUERIES / 2, "queries with hits: " + compared);
  }

  /** With several shards, dfs_query_then_fetch makes BM25 statistics global: still the Lucene backend's scores. */
  @Test
  void bm25OverThreeShardsUsesGlobalStatistics() {
    String name = newIndexName();
    try (ElasticsearchIndexWriter w = ElasticsearchIndexWriter.open(connection, name, "english-porter", encoder,
        ElasticsearchIndexOptions.defaults().withShards(3, 0), PassageIndexWriter.Mode.CREATE_OR_APPEND)) {
      w.write(encoded.passages(), encoded.vectors(), encoded.digests());
      w.commit();
    }
    ElasticsearchSearchBackend sharded = ElasticsearchSearchBackend.open(connection, name);
    assertEquals(3, connection.json("GET", "/" + name + "/_settings", null, false).path(name).path("settings")
        .path("index").path("number_of_shards").asInt());
    Bm25Params p = Bm25Params.anserini();
    for (String q : queries.subList(0, 10)) {
      Ranking expected = top(lucene, d -> lucene.lexical(q, d, p), 10);
      if (!expected.isEmpty()) {
        assertSameRanking(expected, top(sharded, d -> sharded.lexical(q, d, p), 10), 1e-4, "3 shards, '" + q + "'");
      }
    }
  }

  @Test
  void bm25WithOtherParametersThanTheIndexIsRefused() {
    IndexException e = assertThrows(IndexException.class,
        () -> elastic.lexical("cancer", 10, new Bm25Params(1.2f, 0.75f)));
    assertTrue(e.getMessage().contains("k1=0.9 b=0.4") && e.getMessage().contains("k1=1.2 b=0.75"), e.getMessage());
  }

  @Test
  void hnswWithManyCandidatesFindsTheLuceneExactTopDocuments() {
    for (String q : queries.subList(0, 10)) {
      float[] v = embedder.embedQuery(q);
      Ranking exact = top(lucene, d -> lucene.vector(v, d, VectorSearch.exhaustive()), 10);
      Ranking hnsw = top(elastic, d -> elastic.vector(v, d, VectorSearch.hnsw(100)), 10);
      assertSameRanking(exact, hnsw, 1e-4, "kNN '" + q + "'");
    }
  }

  /** A copy of the Lucene index (no encoding) is the index built from the same passages: manifest, BM25, kNN, text. */
  @Test
  void aLuceneIndexCopiedWithoutEncodingAnswersAsTheIndexBuiltFromTheSamePassages() {
    String name = newIndexName();
    LuceneIndexCopy.Report r = LuceneIndexCopy.copy(lucene, connection, name, ElasticsearchIndexOptions.defaults(),
        PassageIndexWriter.Mode.CREATE_OR_APPEND, 37, ProgressListener.none());
    assertEquals(DOCS, r.documents());
    assertEquals(lucene.manifest().passageCount(), r.passages());
    ElasticsearchSearchBackend copy = ElasticsearchSearchBackend.open(connection, name);
    assertEquals(List.of(), copy.manifest().buildDifferences(lucene.manifest()));
    assertEquals(lucene.manifest().corpusFingerprint(), copy.manifest().corpusFingerprint());
    assertEquals(lucene.manifest().passageCount(), copy.manifest().passageCount());
    Bm25Params p = Bm25Params.anserini();
    for (String q : queries.subList(0, 10)) {
      Ranking built = top(elastic, d -> elastic.lexical(q, d, p), 10);
      if (!built.isEmpty()) {
        assertSameRanking(built, top(copy, d -> copy.lexical(q, d, p), 10), 1e-6, "BM25 of the copy, '" + q + "'");
      }
      float[] v = embedder.embedQuery(q);
      assertSameRanking(top(elastic, d -> elastic.vector(v, d, VectorSearch.hnsw(100)), 10),
          top(copy, d -> copy.vector(v, d, VectorSearch.hnsw(100)), 10), 1e-6, "kNN of the copy, '" + q + "'");
    }
    for (int i = 0; i < encoded.passages().size(); i += 97) {
      Passage passage = encoded.passages().get(i);
      assertEquals(passage.contents(), copy.passage(passage.docId(), passage.ordinal()).contents());
    }
    // copying again into the same index replaces every document: same counts
    LuceneIndexCopy.copy(lucene, connection, name, ElasticsearchIndexOptions.defaults(),
        PassageIndexWriter.Mode.CREATE_OR_APPEND, 500, ProgressListener.none());
    assertEquals(lucene.manifest().passageCount(), ElasticsearchSearchBackend.open(connection, name).manifest()
        .passageCount());
  }

  /**
   * Quantised HNSW (int8, BBQ) is written with the asked index options and still finds most of the exact top 10 (the
   * thresholds are loose on purpose: quantisation loses recall; this checks the options reach Elasticsearch and the
   * search path works with them, not the quantisers' quality).
   */
  @ParameterizedTest
  @EnumSource(value = VectorIndexOptions.Type.class, names = {"INT8_HNSW", "BBQ_HNSW"})
  void quantisedIndexOptionsAreAppliedAndSearchable(VectorIndexOptions.Type type) {
    String name = newIndexName();
    ElasticsearchIndexOptions options = ElasticsearchIndexOptions.defaults()
        .withVectors(new VectorIndexOptions(type, 24, 200));
    try (ElasticsearchIndexWriter w = ElasticsearchIndexWriter.open(connection, name, "english-porter", encoder,
        options, PassageIndexWriter.Mode.CREATE_OR_APPEND)) {
      w.write(encoded.passages(), encoded.vectors(), encoded.digests());
      w.commit();
    }
    JsonNode indexOptions = connection.json("GET", "/" + name + "/_mapping", null, false).path(name)
        .path("mappings").path("properties").path("passages").path("properties").path("vector")
        .path("index_options");
    assertEquals(type.esName(), indexOptions.path("type").asText(), indexOptions.toString());
    assertEquals(24, indexOptions.path("m").asInt(), indexOptions.toString());
    assertEquals(200, indexOptions.path("ef_construction").asInt(), indexOptions.toString());
    ElasticsearchSearchBackend quantised = ElasticsearchSearchBackend.open(connection, name);
    int found = 0;
    int asked = 0;
    for (String q : queries.subList(0, 10)) {
      float[] v = embedder.embedQuery(q);
      Set<String> exact = new java.util.HashSet<>();
      top(lucene, d -> lucene.vector(v, d, VectorSearch.exhaustive()), 10).forEach(s -> exact.add(s.docId()));
      for (ScoredDoc s : top(quantised, d -> quantised.vector(v, d, VectorSearch.hnsw(10)), 10)) {
        found += exact.contains(s.docId()) ? 1 : 0;
      }
      asked += exact.size();
    }
    double recall = (double) found / asked;
    System.out.printf(java.util.Locale.ROOT, "%s recall@10 against exact float search: %.3f%n", type, recall);
    assertTrue(recall >= 0.7, type + " recall@10 " + recall);
  }

  @Test
  void exactSearchEqualsLucenesExactSearchOrSaysThatItNeedsPainless() {
    float[] v = embedder.embedQuery(queries.get(0));
    Ranking exact = top(lucene, d -> lucene.vector(v, d, VectorSearch.exhaustive()), 10);
    Ranking esExact;
    try {
      esExact = top(elastic, d -> elastic.vector(v, d, VectorSearch.exhaustive()), 10);
    } catch (UnsupportedOperationException e) {
      assertTrue(e.getMessage().contains("lang-painless") && e.getMessage().contains(index), e.getMessage());
      Assumptions.abort("the node has no Painless (" + e.getMessage() + ")");
      return;
    }
    assertSameRanking(exact, esExact, 1e-4, "exact search");
  }

  @Test
  void storedPassagesAreTheLuceneBackendsAndAMissingOneIsNamed() {
    List<PassageRef> refs = new ArrayList<>();
    for (Passage p : encoded.passages().subList(0, 40)) {
      refs.add(new PassageRef(p.docId(), p.ordinal()));
    }
    java.util.Collections.reverse(refs);
    List<StoredPassage> es = elastic.passages(refs);
    assertEquals(lucene.passages(refs), es);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> elastic.passages(List.of(refs.get(0), new PassageRef(refs.get(0).docId(), 999))));
    assertTrue(e.getMessage().contains("no passage 999 of document " + refs.get(0).docId()), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> elastic.passage("no-such-doc", 0));
    assertTrue(e.getMessage().contains("no-such-doc") && e.getMessage().contains(index), e.getMessage());
  }

  @Test
  void aMissingIndexIsAClearError() {
    IndexException e = assertThrows(IndexException.class,
        () -> ElasticsearchSearchBackend.open(connection, "attnir-test-does-not-exist"));
    assertEquals(IndexException.Reason.MISSING, e.reason());
    assertTrue(e.getMessage().contains("'attnir-test-does-not-exist'") && e.getMessage().contains(url),
        e.getMessage());
  }

  @Test
  void anotherEmbeddingIdentityOrPassageSettingIsRefusedWithTheDifferences() {
    IndexManifest m = elastic.manifest();
    var e = m.embedding();
    var other = new dev.attnir.encoders.EmbeddingIdentity("bge-small-en-v1.5", "0".repeat(64), e.pooling(),
        e.poolingParameters(), e.normalize(), e.maxLength(), e.queryPrefix(), e.passagePrefix(), e.similarity(),
        e.dimension());
    IndexException ex = assertThrows(IndexException.class, () -> ElasticsearchSearchBackend.open(connection, index,
        IndexManifest.create(m.analyzer(), m.passages(), other)));
    assertEquals(IndexException.Reason.INCOMPATIBLE, ex.reason());
    assertTrue(ex.getMessage().contains("model: index has all-MiniLM-L6-v2, query uses bge-small-en-v1.5")
        && ex.getMessage().contains("model sha256"), ex.getMessage());

    PassageEncoder wholeDocs = new PassageEncoder(
        PassageSplitter.whitespace(PassageSettings.wholeDocument("whitespace")), embedder);
    ex = assertThrows(IndexException.class, () -> ElasticsearchIndexWriter.open(connection, index, "english-porter",
        wholeDocs, ElasticsearchIndexOptions.defaults(), PassageIndexWriter.Mode.CREATE_OR_APPEND));
    assertTrue(ex.getMessage().contains("was built differently; it was not modified")
        && ex.getMessage().contains("passages: index has"), ex.getMessage());
    assertEquals(DOCS, ElasticsearchSearchBackend.open(connection, index).manifest().documents());
  }

  @Test
  void aMappingWithoutThePassageFieldsIsRefusedNamingThem() {
    String bare = newIndexName();
    connection.json("PUT", "/" + bare, PassageIndexLayout.toJson(Map.of("mappings", Map.of(
        "_meta", Map.of(PassageIndexLayout.META_KEY, elastic.manifest().toJson()),
        "properties", Map.of("passages", Map.of("type", "nested", "properties",
            Map.of("contents", Map.of("type", "text"))))))), false);
    IndexException e = assertThrows(IndexException.class, () -> ElasticsearchSearchBackend.open(connection, bare));
    assertTrue(e.getMessage().contains("field passages.ordinal: expected type integer, mapping has no such field")
        && e.getMessage().contains("field passages.vector: expected type dense_vector"), e.getMessage());

    String plain = newIndexName();
    connection.json("PUT", "/" + plain, null, false);
    e = assertThrows(IndexException.class, () -> ElasticsearchSearchBackend.open(connection, plain));
    assertTrue(e.getMessage().contains("without an attnir manifest"), e.getMessage());
  }

  @Test
  void aRejectedDocumentIsReportedByIdAndTheOthersAreCommitted() {
    String name = newIndexName();
    List<Passage> passages = new ArrayList<>();
    List<float[]> vectors = new ArrayList<>();
    Set<String> docs = new java.util.LinkedHashSet<>();
    for (int i = 0; i < encoded.passages().size() && docs.size() < 12; i++) {
      Passage p = encoded.passages().get(i);
      docs.add(p.docId());
      passages.add(p);
      vectors.add(encoded.vectors()[i]);
    }
    // the last document may be cut short; drop it so every written document is whole
    String last = passages.get(passages.size() - 1).docId();
    for (int i = passages.size() - 1; i >= 0 && passages.get(i).docId().equals(last); i--) {
      passages.remove(i);
      vectors.remove(i);
    }
    docs.remove(last);
    String bad = passages.get(passages.size() - 1).docId();
    int badIndex = passages.size() - 1;
    vectors.set(badIndex, new float[7]);
    try (ElasticsearchIndexWriter w = ElasticsearchIndexWriter.open(connection, name, "english-porter", encoder,
        ElasticsearchIndexOptions.defaults(), PassageIndexWriter.Mode.CREATE_OR_APPEND)) {
      w.write(passages, vectors.toArray(float[][]::new), encoded.digests());
      PartialWriteException e = assertThrows(PartialWriteException.class, w::commit);
      assertEquals(Set.of(bad), e.failures().keySet());
      assertTrue(e.getMessage().contains(bad) && e.getMessage().contains("7"), e.getMessage());
      assertEquals(docs.size() - 1, e.committed().documents());
    }
    IndexManifest m = ElasticsearchSearchBackend.open(connection, name).manifest();
    assertEquals(docs.size() - 1, m.documents());
    assertThrows(IllegalArgumentException.class,
        () -> ElasticsearchSearchBackend.open(connection, name).passage(bad, 0));
  }

  @Test
  void anUnreachableNodeFailsQuicklyWithAClearError() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    long start = System.nanoTime();
    try (ElasticsearchConnection closed = ElasticsearchConnection.open("http://127.0.0.1:" + port,
        ElasticsearchConnection.Credentials.none())) {
      UncheckedIOException e = assertThrows(UncheckedIOException.class,
          () -> ElasticsearchSearchBackend.open(closed, "anything"));
      assertTrue(e.getMessage().contains("cannot reach Elasticsearch at http://127.0.0.1:" + port), e.getMessage());
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    assertTrue(seconds < ElasticsearchConnection.CONNECT_TIMEOUT_SECONDS + 2, "took " + seconds + " s");
  }

  @Test
  void poolingStateIsKeptInTheCluster() {
    byte[] state = "fitted whitening, say".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    String sha = PoolingStateStore.write(connection, index, state);
    assertEquals(Digests.sha256(state), sha);
    org.junit.jupiter.api.Assertions.assertArrayEquals(state, elastic.poolingState(sha));
    assertNull(elastic.poolingState("0".repeat(64)));
  }

  @Test
  void replacingADocumentReplacesAllItsPassages() {
    String name = newIndexName();
    Document d = new Document("d1", "", String.join(" ", java.util.Collections.nCopies(200, "protein")));
    try (ElasticsearchIndexWriter w = ElasticsearchIndexWriter.open(connection, name, "english-porter", encoder,
        ElasticsearchIndexOptions.defaults(), PassageIndexWriter.Mode.CREATE_OR_APPEND)) {
      w.add(List.of(d), ProgressListener.none());
      IndexManifest first = w.commit();
      assertTrue(first.passageCount() > 1, "a long document has several windows");
      w.add(List.of(new Document("d1", "", "short now")), ProgressListener.none());
      IndexManifest second = w.commit();
      assertEquals(1, second.documents());
      assertEquals(1, second.passageCount());
    }
    ElasticsearchSearchBackend b = ElasticsearchSearchBackend.open(connection, name);
    assertEquals("short now", b.passage("d1", 0).contents());
    assertThrows(IllegalArgumentException.class, () -> b.passage("d1", 1));
  }

  static Map<String, Double> scores(Ranking r) {
    Map<String, Double> m = new HashMap<>();
    r.forEach(s -> m.put(s.docId(), s.score()));
    return m;
  }
}
