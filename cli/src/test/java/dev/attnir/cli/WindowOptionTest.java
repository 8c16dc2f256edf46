package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.experiments.PositionSystems;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code position-bias --window}: shapes, '+'-joined shapes, clamping to the model, and named errors. */
class WindowOptionTest {

  private final ModelSpec bge = ModelRegistry.resolve("bge-small-en-v1.5");

  @Test
  void shapesAreParsedJoinedAndClampedToTheModel() {
    assertEquals(List.of(new PositionSystems.Window(64, 16)), PositionBiasCommand.windows("64/16", bge));
    assertEquals(List.of(new PositionSystems.Window(64, 32), new PositionSystems.Window(128, 32)),
        PositionBiasCommand.windows(" 64/32 + 128/32", bge));
    // bge reads 512 tokens, two of them special: 1020/510 becomes 510/255 (the stride scaled with the length)
    assertEquals(List.of(new PositionSystems.Window(510, 255)), PositionBiasCommand.windows("1020/510", bge));
  }

  @Test
  void badEntriesAreRefusedWithTheEntryNamed() {
    for (String[] c : new String[][] {{"64", "LENGTH/STRIDE"}, {"64/x", "whole numbers"}, {"0/1", "at least 1"},
        {"64/65", "stride must be between"}, {"64/16+64/16", "listed twice"}, {"64/16+", "LENGTH/STRIDE"}}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> PositionBiasCommand.windows(c[0], bge), c[0]);
      assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
      assertTrue(e.getMessage().contains(c[0].trim()), "names the entry: " + e.getMessage());
    }
  }
}
