package dev.attnir.encoders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRegistryTest {

  @Test
  void builtInsCarryModelCardDefaults() {
    ModelSpec bge = ModelRegistry.resolve("bge-small-en-v1.5");
    assertEquals("cls", bge.pooling());
    assertTrue(bge.normalize());
    assertEquals(ModelRegistry.BGE_QUERY_INSTRUCTION, bge.queryPrefix());
    assertEquals("", bge.passagePrefix());
    ModelSpec minilm = ModelRegistry.resolve("ALL-MINILM-L6-V2");
    assertEquals("mean", minilm.pooling());
    ModelSpec e5 = ModelRegistry.resolve("e5-small-v2");
    assertEquals("query: ", e5.queryPrefix());
    assertEquals("passage: ", e5.passagePrefix());
    // The Ditto pairs ditto-search chose on SciFact train (eval/results/ditto-search-*.md).
    for (var expected : java.util.Map.of("bge-small-en-v1.5", new int[] {1, 8}, "all-MiniLM-L6-v2", new int[] {0, 8},
        "e5-small-v2", new int[] {3, 11}).entrySet()) {
      var ditto = (dev.attnir.encoders.pooling.DittoPooling) dev.attnir.encoders.pooling.Poolings.parse("ditto",
          ModelRegistry.resolve(expected.getKey()));
      assertEquals(expected.getValue()[0], ditto.layer(), expected.getKey());
      assertEquals(expected.getValue()[1], ditto.head(), expected.getKey());
    }
  }

  @Test
  void unknownModelListsKnownOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelRegistry.resolve("bert-huge"));
    for (String name : ModelRegistry.builtInNames()) {
      assertTrue(e.getMessage().contains(name), e.getMessage());
    }
  }

  @Test
  void localDirectoryNeedsItsFilesAndAStrictConfig(@TempDir Path dir) throws Exception {
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> ModelRegistry.resolve(dir.toString()));
    assertTrue(missing.getMessage().contains("model.onnx"), missing.getMessage());
    ModelSpec bge = ModelRegistry.resolve("bge-small-en-v1.5");
    Files.write(dir.resolve("model.onnx"), bge.source().readOnnx());
    Files.write(dir.resolve("tokenizer.json"), bge.source().readTokenizerJson());
    Files.writeString(dir.resolve("model.json"), "{\"name\": \"my-bge\", \"pooling\": \"cls\", \"poolling\": \"x\"}");
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> ModelRegistry.resolve(dir.toString()));
    assertTrue(unknown.getMessage().contains("model.json") && unknown.getMessage().contains("poolling"),
        unknown.getMessage());
    Files.writeString(dir.resolve("model.json"), "{\"name\": \"my-bge\", \"maxLength\": \"long\"}");
    IllegalArgumentException badType = assertThrows(IllegalArgumentException.class,
        () -> ModelRegistry.resolve(dir.toString()));
    assertTrue(badType.getMessage().contains("maxLength"), badType.getMessage());
    Files.writeString(dir.resolve("model.json"),
        "{\"name\": \"my-bge\", \"pooling\": \"cls\", \"maxLength\": 256, \"queryPrefix\": \"q: \"}");
    ModelSpec local = ModelRegistry.resolve(dir.toString());
    assertEquals("my-bge", local.name());
    assertEquals(256, local.maxLength());
    assertEquals("q: ", local.queryPrefix());
    try (Embedder e = Embedder.load(local, EncoderOptions.defaults())) {
      assertEquals(384, e.dimension());
      assertEquals(e.identity().modelSha256(), OnnxEncoder.sha256(bge.source().readOnnx()));
    }
  }
}
