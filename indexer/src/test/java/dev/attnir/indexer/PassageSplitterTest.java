package dev.attnir.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.Document;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class PassageSplitterTest {

  @Test
  void windowsByHand() {
    Document d = new Document("d1", "Title", "a b c d e f g h i j");
    PassageSplitter s = new PassageSplitter(PassageSettings.windows(4, 3, "whitespace"), TokenSpanner.whitespace());
    List<Passage> ps = s.split(d);
    // windows start at tokens 0, 3, 6; the third (g h i j) ends at the last token
    assertEquals(3, ps.size());
    assertEquals("Title a b c d", ps.get(0).contents());
    assertEquals("Title d e f g", ps.get(1).contents());
    assertEquals("Title g h i j", ps.get(2).contents());
    assertEquals("d e f g", d.text().substring(ps.get(1).start(), ps.get(1).end()));
    assertEquals(2, ps.get(2).ordinal());
  }

  @Test
  void shortDocumentIsOnePassageAndDocumentModeKeepsAll() {
    Document d = new Document("d1", "", "  just three words ");
    PassageSplitter w = new PassageSplitter(PassageSettings.windows(5, 5, "whitespace"), TokenSpanner.whitespace());
    List<Passage> ps = w.split(d);
    assertEquals(1, ps.size());
    assertEquals(d.text(), ps.get(0).contents());
    PassageSplitter whole = new PassageSplitter(PassageSettings.wholeDocument("whitespace"), TokenSpanner.whitespace());
    Document big = new Document("d2", "T", "x ".repeat(10_000));
    assertEquals(1, whole.split(big).size());
    assertEquals("T " + big.text(), whole.split(big).get(0).contents());
  }

  @Test
  void invalidSettingsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> PassageSettings.windows(0, 1, "w"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PassageSettings.windows(10, 11, "w"));
    assertTrue(e.getMessage().contains("stride"), e.getMessage());
  }

  @RepeatedTest(30)
  void randomizedWindowsCoverEveryTokenWithinLength() {
    Random r = new Random();
    int n = r.nextInt(60);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(" ".repeat(1 + r.nextInt(3))).append("t").append(i);
    }
    String text = sb.toString();
    int length = 1 + r.nextInt(12);
    int stride = 1 + r.nextInt(length);
    Document d = new Document("x", "", text);
    List<Passage> ps = new PassageSplitter(PassageSettings.windows(length, stride, "whitespace"),
        TokenSpanner.whitespace()).split(d);
    int[][] spans = TokenSpanner.whitespace().spans(text);
    if (spans.length <= length) {
      assertEquals(1, ps.size());
      return;
    }
    boolean[] covered = new boolean[spans.length];
    for (int i = 0; i < ps.size(); i++) {
      Passage p = ps.get(i);
      assertEquals(i, p.ordinal());
      assertEquals(text.substring(p.start(), p.end()), p.contents());
      int[][] inside = TokenSpanner.whitespace().spans(p.contents());
      assertTrue(inside.length <= length, "window longer than " + length);
      assertEquals(i * stride, firstToken(spans, p.start()), "window " + i + " starts stride*i tokens in");
      for (int t = 0; t < spans.length; t++) {
        if (spans[t][0] >= p.start() && spans[t][1] <= p.end()) {
          covered[t] = true;
        }
      }
    }
    for (boolean c : covered) {
      assertTrue(c, "every token is in some window");
    }
    assertEquals(spans[spans.length - 1][1], ps.get(ps.size() - 1).end());
  }

  private static int firstToken(int[][] spans, int start) {
    for (int t = 0; t < spans.length; t++) {
      if (spans[t][0] == start) {
        return t;
      }
    }
    return -1;
  }
}
