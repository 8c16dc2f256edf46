package dev.attnir.elasticsearch.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** Which Elasticsearch analyzer an index is built with, and what its manifest then records. */
class AnalyzerChoiceTest {

  @Test
  void englishPorterNeedsThePlugin() {
    assertEquals("attnir_english", PassageIndexLayout.esAnalyzer("english-porter", true));
    assertNull(PassageIndexLayout.esAnalyzer("english-porter", false));
    assertEquals("english-porter", ElasticsearchAnalyzers.resolve("english-porter", true, "test index"));
  }

  @Test
  void withoutItTheManifestSaysStandardSoTheDifferenceShows() {
    assertEquals("standard", ElasticsearchAnalyzers.resolve("english-porter", false, "test index"));
    assertEquals("standard", ElasticsearchAnalyzers.resolve("english-nostem", true, "test index"));
    assertEquals("standard", PassageIndexLayout.esAnalyzer("standard", false));
  }
}
