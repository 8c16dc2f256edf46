package dev.attnir.encoders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A max length above the graph's position embeddings is refused when the model loads, naming the option. */
class PositionLimitTest {

  @Test
  void theLimitIsTheRowsOfThePositionTableQuantizedOrNot() throws Exception {
    for (String name : new String[] {"all-MiniLM-L6-v2", "bge-small-en-v1.5-q"}) {
      ExposedGraph graph = ExposedGraph.parse(ModelRegistry.resolve(name).source().readOnnx(), name);
      PositionLimit limit = graph.positionLimit().orElseThrow(() -> new AssertionError(name + ": no position table"));
      assertEquals(512, limit.positions(), name + " " + limit.initializer());
    }
  }

  @Test
  void aMaxLengthAboveTheTableIsRefusedAtLoad() {
    ModelSpec tooLong = ModelRegistry.resolve("all-MiniLM-L6-v2").withMaxLength(513);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OnnxEncoder.load(tooLong, EncoderOptions.defaults()).close());
    assertTrue(e.getMessage().contains("--max-length") && e.getMessage().contains("at most 512")
        && e.getMessage().contains("max length 513"), e.getMessage());
    // the table's own size is fine (MiniLM's card says 256, its graph reads 512)
    OnnxEncoder.load(ModelRegistry.resolve("all-MiniLM-L6-v2").withMaxLength(512), EncoderOptions.defaults()).close();
  }
}
