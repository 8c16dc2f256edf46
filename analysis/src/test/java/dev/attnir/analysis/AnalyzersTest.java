package dev.attnir.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.junit.jupiter.api.Test;

class AnalyzersTest {

  static List<String> tokens(Analyzer a, String text) throws Exception {
    List<String> out = new ArrayList<>();
    try (TokenStream ts = a.tokenStream("f", text)) {
      CharTermAttribute t = ts.addAttribute(CharTermAttribute.class);
      ts.reset();
      while (ts.incrementToken()) {
        out.add(t.toString());
      }
      ts.end();
    }
    return out;
  }

  @Test
  void englishPorterMatchesAnserinisDefaultChain() throws Exception {
    // possessive removed, lower-cased, stopwords (the, is, of, and) dropped, Porter-stemmed
    assertEquals(List.of("dog", "run", "quickli", "cell", "biomateri", "induct", "properti"),
        tokens(Analyzers.create("english-porter"),
            "The dog's running quickly; it is of the cells and biomaterials' inductive properties"));
    assertEquals(List.of("dog", "running", "quickly"), tokens(Analyzers.create("english-nostem"), "The dog's running quickly"));
    assertEquals(List.of("the", "dog's", "running"), tokens(Analyzers.create("standard"), "The dog's running"));
  }

  @Test
  void unknownAnalyzerListsKnownOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Analyzers.create("klingon"));
    assertTrue(e.getMessage().contains("english-porter"), e.getMessage());
  }
}
