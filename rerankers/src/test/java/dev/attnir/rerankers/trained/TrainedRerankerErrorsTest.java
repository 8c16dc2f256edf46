package dev.attnir.rerankers.trained;

import static dev.attnir.rerankers.trained.TrainedFixtures.D;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.Rerankers;
import dev.attnir.rerankers.CrossEncoderReranker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Refusals of inconsistent artifacts (reassembly only: no session is created), of bad factory options and names, and
 * the registry: the test registry on the test classpath ({@code registry.json} beside a tiny real artifact, merged
 * with the shipped empty one) makes {@code test-head-only} a reranker name and {@code test-bad-digest} a digest
 * mismatch.
 */
class TrainedRerankerErrorsTest {

  @TempDir
  static Path dir;

  @BeforeAll
  static void load() throws Exception {
    TrainedFixtures.load();
  }

  static List<TrainedFixtures.T> head() {
    return List.of(new TrainedFixtures.T("head.weight", new long[] {D, 1}, "f32", TrainedFixtures.gaussian(D, 0.2, 1)),
        new TrainedFixtures.T("head.bias", new long[] {1}, "f32", new float[] {0}));
  }

  static void assertReassemblyFails(RerankerArtifact a, String... parts) {
    assertFails(() -> TrainedGraph.reassemble(a, TrainedFixtures.onnx, "x.rrk"), parts);
  }

  static void assertFails(Executable call, String... parts) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "'" + p + "' in: " + e.getMessage());
    }
  }

  @Test
  void mismatchedBaseModelNamesBothDigests() {
    String wrong = "ab".repeat(32);
    assertReassemblyFails(TrainedFixtures.artifact("cross-encoder", wrong, 128, List.of(), Map.of(), head()),
        "x.rrk: mismatched base model", wrong, TrainedFixtures.sha, "all-MiniLM-L6-v2");
  }

  @Test
  void unknownTensorsWrongShapesAndMissingHeadsAreRefusedByName() {
    List<TrainedFixtures.T> unknown = new ArrayList<>(head());
    unknown.add(new TrainedFixtures.T("encoder.layer.0.attention.self.querry.weight", new long[] {2}, "f32",
        new float[2]));
    assertReassemblyFails(TrainedFixtures.artifact("cross-encoder", TrainedFixtures.sha, 128, List.of(), Map.of(),
        unknown), "x.rrk: tensor encoder.layer.0.attention.self.querry.weight is neither a BERT tensor",
        "head.weight, head.bias");

    List<TrainedFixtures.T> anchorInCe = new ArrayList<>(head());
    anchorInCe.add(new TrainedFixtures.T("anchor.start", new long[] {D}, "f32", new float[D]));
    assertReassemblyFails(TrainedFixtures.artifact("cross-encoder", TrainedFixtures.sha, 128, List.of(), Map.of(),
        anchorInCe), "tensor anchor.start is neither");

    List<TrainedFixtures.T> badShape = new ArrayList<>(head());
    badShape.add(new TrainedFixtures.T("encoder.layer.1.attention.self.key.weight", new long[] {D, D - 1}, "f32",
        new float[D * (D - 1)]));
    assertReassemblyFails(TrainedFixtures.artifact("cross-encoder", TrainedFixtures.sha, 128, List.of(), Map.of(),
        badShape), "tensor encoder.layer.1.attention.self.key.weight has shape [384, 383]", "[384, 384]");

    assertReassemblyFails(TrainedFixtures.artifact("cross-encoder", TrainedFixtures.sha, 128, List.of(), Map.of(),
        List.of(new TrainedFixtures.T("head.weight", new long[] {D, 2}, "f32", new float[2 * D]))),
        "tensor head.weight has shape [384, 2]", "[384, 1]");

    assertReassemblyFails(TrainedFixtures.artifact("cross-encoder", TrainedFixtures.sha, 128, List.of(), Map.of(),
        List.of(head().get(0))), "needs tensor(s) [head.bias]");

    assertReassemblyFails(TrainedFixtures.artifact("mvp", TrainedFixtures.sha, 128, List.of(1L), Map.of(), List.of()),
        "anchor=learned needs tensor(s) [anchor.start, anchor.q.weight");
  }

  @Test
  void headerInconsistenciesAreRefused() {
    assertReassemblyFails(TrainedFixtures.artifact("colbert", TrainedFixtures.sha, 128, List.of(), Map.of(), head()),
        "kind colbert is unknown");
    assertReassemblyFails(TrainedFixtures.artifact("mvp", TrainedFixtures.sha, 128, List.of(), Map.of("anchor",
        "mean"), List.of()), "views=0, an MVP artifact needs >= 1");
    assertReassemblyFails(TrainedFixtures.artifact("mvp", TrainedFixtures.sha, 128, List.of(99999L), Map.of("anchor",
        "mean"), List.of()), "viewTokenIds[0]=99999 is outside");
    assertReassemblyFails(TrainedFixtures.artifact("mvp", TrainedFixtures.sha, 128, List.of(1L), Map.of("anchor",
        "max"), List.of()), "setting anchor=max");
    assertReassemblyFails(TrainedFixtures.artifact("mvp", TrainedFixtures.sha, 128, List.of(1L), Map.of("temperature",
        "2"), List.of()), "unknown MVP setting(s) [temperature]", "anchorHeads");
    assertReassemblyFails(TrainedFixtures.artifact("cross-encoder", TrainedFixtures.sha, 128, List.of(), Map.of("a",
        "b"), head()), "a cross-encoder has no settings");
    assertReassemblyFails(TrainedFixtures.artifact("mvp", TrainedFixtures.sha, 128, List.of(1L), Map.of("anchorHeads",
        "5"), List.of()), "anchorHeads=5 does not divide the hidden size 384");
    assertReassemblyFails(TrainedFixtures.artifact("mvp", TrainedFixtures.sha, 10, List.of(1L, 2L, 3L), Map.of(
        "anchor", "mean"), List.of()), "maxLength=10 is below 11");
  }

  @Test
  void factoryOptionsAndNames() throws Exception {
    assertFails(() -> Rerankers.create("trained:model=x"), "unknown option(s) [model]", "name, file");
    assertFails(() -> Rerankers.create("trained"), "exactly one of name=NAME", "test-head-only");
    assertFails(() -> Rerankers.create("trained:name=nope"), "name=nope is not a shipped reranker",
        "test-head-only, test-bad-digest");
    assertFails(() -> Rerankers.create("trained:file=" + dir.resolve("missing.rrk")), "missing.rrk: no such file");
    Path junk = Files.write(dir.resolve("junk.rrk"), new byte[] {1, 2, 3});
    assertFails(() -> Rerankers.create("trained:file=" + junk), "junk.rrk: not an attnir reranker artifact");
    Path ce = dir.resolve("ce.rrk");
    Files.write(ce, TrainedFixtures.artifact("cross-encoder", TrainedFixtures.sha, 128, List.of(), Map.of(), head())
        .toBytes());
    assertFails(() -> Rerankers.create("trained:file=" + ce + ",max-length=4"), "max-length must be >= 8");
    assertFails(() -> Rerankers.create("trained:file=" + ce + ",max-length=1000"), "exceeds the 512 positions");
    assertFails(() -> Rerankers.create("no-such-reranker"), "unknown reranker 'no-such-reranker'",
        "cross-encoder", "trained", "test-head-only", "test-bad-digest");
    assertTrue(Rerankers.names().containsAll(List.of("cross-encoder", "trained", "test-head-only")),
        Rerankers.names().toString());
  }

  @Test
  void registryNamesAreRerankersAndTheirDigestsAreChecked() throws Exception {
    try (CrossEncoderReranker r = assertInstanceOf(CrossEncoderReranker.class,
        Rerankers.create("test-head-only:max-length=64"))) {
      assertEquals("test-head-only", r.name());
      assertEquals(64, r.encoder().spec().maxLength());
      double[] s = r.scores(TrainedFixtures.QUERY, TrainedFixtures.candidates(TrainedFixtures.PASSAGES.subList(0, 2)));
      assertTrue(Double.isFinite(s[0]) && s[0] != s[1]);
    }
    assertFails(() -> Rerankers.create("test-head-only:name=x"), "sets option 'name' itself");
    assertFails(() -> Rerankers.create("test-bad-digest"), "trained reranker test-bad-digest: file ",
        "test-head-only.rrk has SHA-256 f5046abe1f1c77ff6229fe005d65e88143484830ae56cc134052d2008f2dce75",
        "the registry expects " + "0".repeat(64));
  }

  @Test
  void malformedRegistriesAreRefusedNamingTheEntry() throws Exception {
    Path reg = dir.resolve("registry.json");
    Files.writeString(reg, "{\"a\": {\"file\": \"a.rrk\", \"sha256\": \"" + "0".repeat(64)
        + "\", \"description\": \"d\", \"size\": 3}}");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> TrainedRegistry.of(List.of(reg.toUri().toURL())));
    assertTrue(e.getMessage().contains("entry a: unknown field size"), e.getMessage());
    Files.writeString(reg, "{\"a:b\": {\"file\": \"a.rrk\", \"sha256\": \"" + "0".repeat(64)
        + "\", \"description\": \"d\"}}");
    e = assertThrows(IllegalStateException.class, () -> TrainedRegistry.of(List.of(reg.toUri().toURL())));
    assertTrue(e.getMessage().contains("entry a:b: a name is letters"), e.getMessage());
    Files.writeString(reg, "{\"a\": {\"file\": \"../a.rrk\", \"sha256\": \"" + "0".repeat(64)
        + "\", \"description\": \"d\"}}");
    e = assertThrows(IllegalStateException.class, () -> TrainedRegistry.of(List.of(reg.toUri().toURL())));
    assertTrue(e.getMessage().contains("plain file name"), e.getMessage());
    Files.writeString(reg, "{\"a\": {\"file\": \"a.rrk\", \"sha256\": \"00\", \"description\": \"d\"}}");
    e = assertThrows(IllegalStateException.class, () -> TrainedRegistry.of(List.of(reg.toUri().toURL())));
    assertTrue(e.getMessage().contains("not 64 hex digits"), e.getMessage());
    Files.writeString(reg, "{\"a\": {\"file\": \"a.rrk\", \"sha256\": \"" + "0".repeat(64)
        + "\", \"description\": \"d\"}}");
    e = assertThrows(IllegalStateException.class,
        () -> TrainedRegistry.of(List.of(reg.toUri().toURL(), reg.toUri().toURL())));
    assertTrue(e.getMessage().contains("trained reranker a is registered twice"), e.getMessage());
    TrainedRegistry one = TrainedRegistry.of(List.of(reg.toUri().toURL()));
    assertEquals(List.of("a"), one.names());
    assertFails(() -> one.read("a"), "trained reranker a: cannot read its file");
    List<java.net.URL> all = java.util.Collections.list(
        TrainedRegistry.class.getClassLoader().getResources(TrainedRegistry.RESOURCE));
    assertEquals(2, all.size(), "the shipped registry and the test registry: " + all);
    java.net.URL shipped = all.stream().filter(u -> !u.toString().contains("test-classes")).findFirst().orElseThrow();
    TrainedRegistry shippedOnly = TrainedRegistry.of(List.of(shipped));
    assertTrue(shippedOnly.names().stream().noneMatch(n -> n.startsWith("test-")), shippedOnly.names().toString());
  }
}
