package dev.attnir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** A step of several parts: each part's size is announced (sometimes twice) when it starts. */
class ProgressTest {

  @Test
  void partsAddUpAndRepeatedAnnouncementsDoNotDoubleCount() {
    try (Progress p = new Progress("test", 0, "items")) {
      p.expect(10);
      p.expect(10);
      assertEquals(10, p.max());
      p.advance(4);
      p.expect(10);
      assertEquals(10, p.max(), "still the first part");
      p.advance(6);
      p.expect(5);
      assertEquals(15, p.max(), "second part starts where the first ended");
      p.advance(5);
      p.expect(0);
      assertEquals(15, p.max(), "an empty part");
      p.expect(3);
      assertEquals(18, p.max());
    }
  }

  @Test
  void anInitialTotalIsTheFirstPart() {
    try (Progress p = new Progress("test", 100, "items")) {
      p.expect(100);
      assertEquals(100, p.max());
      p.advance(100);
      p.expect(20);
      assertEquals(120, p.max());
    }
  }
}
