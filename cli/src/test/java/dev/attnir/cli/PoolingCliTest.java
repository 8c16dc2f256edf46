package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.pooling.HeadState;
import dev.attnir.indexer.IndexManifest;
import dev.attnir.indexer.search.LuceneSearchBackend;
import dev.attnir.training.HeadModel;
import dev.attnir.training.HeadOnnxExporter;
import dev.attnir.training.HeadShape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fitted, attention-reading and trained poolings through the CLI, and their bad inputs. */
class PoolingCliTest {

  static final Path SAMPLE = Path.of("../samples/nq-sample/corpus.jsonl");

  private static void assertError(Cli r, String... fragments) {
    assertEquals(AttnirCli.EXIT_USAGE, r.code(), r.out() + r.err());
    for (String f : fragments) {
      assertTrue(r.err().contains(f), "expected '" + f + "' in: " + r.err());
    }
  }

  @Test
  void whitenedIndexStoresItsTransformAndSearchRestoresIt(@TempDir Path dir) throws Exception {
    Path index = dir.resolve("index");
    Path corpus = dir.resolve("corpus.jsonl");
    try (Stream<String> lines = Files.lines(SAMPLE)) {
      Files.write(corpus, lines.limit(420).toList());
    }
    Cli build = Cli.run("index", "--corpus", corpus.toString(), "--index", index.toString(), "--model",
        "all-MiniLM-L6-v2", "--pooling", "whiten", "--whiten-base", "mean", "--whiten-dims", "64",
        "--whiten-sample", "400");
    assertEquals(0, build.code(), build.out() + build.err());
    IndexManifest m;
    try (LuceneSearchBackend b = LuceneSearchBackend.open(index)) {
      m = b.manifest();
    }
    assertEquals("whiten", m.embedding().pooling());
    assertEquals(64, m.embedding().dimension());
    assertEquals("mean", m.embedding().poolingParameters().get("base"));
    assertEquals("400", m.embedding().poolingParameters().get("fit_vectors"));
    Cli search = Cli.run("search", "--index", index.toString(), "--query", "who wrote the declaration of independence",
        "--retriever", "dense");
    assertEquals(0, search.code(), search.err());
    assertTrue(search.out().contains("  1  "), search.out());
    // adding to the index reuses the stored transform: refitting on these 20 documents would be refused
    Path more = dir.resolve("more.jsonl");
    Files.write(more, Files.readAllLines(corpus).subList(0, 20));
    Cli again = Cli.run("index", "--corpus", more.toString(), "--index", index.toString(), "--model",
        "all-MiniLM-L6-v2", "--pooling", "whiten", "--whiten-base", "mean", "--whiten-dims", "64",
        "--whiten-sample", "400");
    assertEquals(0, again.code(), again.err());
    assertTrue(again.out().contains("420 in index"), again.out());

    Path state;
    try (Stream<Path> s = Files.list(index)) {
      state = s.filter(p -> p.getFileName().toString().startsWith("attnir-pooling-")).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(state);
    bytes[100] ^= 1;
    Files.write(state, bytes);
    assertError(Cli.run("search", "--index", index.toString(), "--query", "x", "--retriever", "dense"), "damaged");
    Files.delete(state);
    assertError(Cli.run("search", "--index", index.toString(), "--query", "x", "--retriever", "dense"), "missing");
    assertEquals(0, Cli.run("search", "--index", index.toString(), "--query", "x", "--retriever", "bm25").code(),
        "BM25 on the same index is unaffected");
  }

  @Test
  void whiteningOnFewerPassagesThanDimensionsIsRefused(@TempDir Path dir) {
    assertError(Cli.run("index", "--corpus", SAMPLE.toString(), "--index", dir.resolve("i").toString(), "--model",
        "all-MiniLM-L6-v2", "--pooling", "whiten", "--whiten-sample", "100"),
        "more vectors than dimensions", "100 vectors of 384 dimensions");
  }

  @Test
  void dittoLayerAndHeadAreCheckedAgainstTheModel(@TempDir Path dir) {
    assertError(Cli.run("index", "--corpus", SAMPLE.toString(), "--index", dir.resolve("a").toString(), "--model",
        "all-MiniLM-L6-v2", "--pooling", "ditto:6,0"), "layer 6 is out of range", "layers 0 to 5");
    assertError(Cli.run("index", "--corpus", SAMPLE.toString(), "--index", dir.resolve("b").toString(), "--model",
        "all-MiniLM-L6-v2", "--pooling", "ditto:2,12"), "head 12 is out of range", "heads 0 to 11");
    assertError(Cli.run("index", "--corpus", SAMPLE.toString(), "--index", dir.resolve("c").toString(), "--model",
        "all-MiniLM-L6-v2-q", "--pooling", "ditto"), "no Ditto pair is stored");
    assertError(Cli.run("index", "--corpus", SAMPLE.toString(), "--index", dir.resolve("d").toString(), "--model",
        "all-MiniLM-L6-v2", "--pooling", "attention-magic"), "unknown pooling 'attention-magic'", "ditto");
  }

  @Test
  void aHeadForAnotherModelOrDamagedIsRefused(@TempDir Path dir) throws Exception {
    HeadShape shape = new HeadShape(6, 384, 2, 2, 16, 1);
    byte[] onnx;
    try (HeadModel m = HeadModel.initialize(shape, 1)) {
      onnx = HeadOnnxExporter.export(shape, m.values(), 1);
    }
    String bgeSha = dev.attnir.encoders.Digests.sha256(ModelRegistry.resolve("bge-small-en-v1.5").source().readOnnx());
    HeadState forBge = new HeadState(new HeadState.HeadConfig("bge-small-en-v1.5", bgeSha, 384, "mean", 1, 6, 2, 2, 16,
        1, Map.of()), onnx);
    Path head = dir.resolve("bge.head");
    Files.write(head, forBge.serialize());
    assertError(Cli.run("index", "--corpus", SAMPLE.toString(), "--index", dir.resolve("i").toString(), "--model",
        "all-MiniLM-L6-v2", "--pooling", "trained", "--pooling-head", head.toString()),
        "was fitted on model bge-small-en-v1.5", "not on all-MiniLM-L6-v2");
    byte[] damaged = forBge.serialize();
    damaged[damaged.length / 2] ^= 1;
    Files.write(head, damaged);
    assertError(Cli.run("index", "--corpus", SAMPLE.toString(), "--index", dir.resolve("j").toString(), "--model",
        "all-MiniLM-L6-v2", "--pooling", "trained", "--pooling-head", head.toString()), "damaged");
    assertError(Cli.run("index", "--corpus", SAMPLE.toString(), "--index", dir.resolve("k").toString(), "--model",
        "all-MiniLM-L6-v2", "--pooling", "trained", "--pooling-head", dir.resolve("none.head").toString()),
        "file not found");
  }
}
