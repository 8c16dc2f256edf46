package dev.attnir.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reranker names and aliases, with a test factory registered on core's test classpath. */
class RerankersTest {

  /** A factory {@code preset} with alias {@code preset-a} standing for {@code mode=a}; its reranker echoes options. */
  public static final class PresetFactory implements RerankerFactory {
    @Override
    public String name() {
      return "preset";
    }

    @Override
    public String description() {
      return "test only";
    }

    @Override
    public Map<String, Map<String, String>> aliases() {
      return Map.of("preset-a", Map.of("mode", "a"));
    }

    @Override
    public Reranker create(Map<String, String> options) {
      String tag = new java.util.TreeMap<>(options).toString();
      return new Reranker() {
        @Override
        public String name() {
          return tag;
        }

        @Override
        public Ranking rerank(String query, List<Candidate> candidates) {
          return Ranking.empty();
        }
      };
    }
  }

  @Test
  void anAliasCreatesWithItsPresetPlusTheGivenOptions() {
    assertEquals("{}", Rerankers.create("preset").name());
    assertEquals("{mode=a}", Rerankers.create("preset-a").name());
    assertEquals("{k=1, mode=a}", Rerankers.create("preset-a:k=1").name());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Rerankers.create("preset-a:mode=b"));
    assertTrue(e.getMessage().contains("'preset-a' sets option 'mode' itself (mode=a)"), e.getMessage());
    assertEquals(List.of("preset", "preset-a"), Rerankers.names());
  }

  @Test
  void unknownNamesListFactoriesAndAliases() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Rerankers.create("nope"));
    assertEquals("unknown reranker 'nope'; known: preset, preset-a", e.getMessage());
  }
}
