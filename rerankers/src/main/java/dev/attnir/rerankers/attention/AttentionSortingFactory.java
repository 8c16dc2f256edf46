package dev.attnir.rerankers.attention;

import dev.attnir.core.Reranker;
import dev.attnir.core.RerankerFactory;
import dev.attnir.encoders.ModelRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code --rerank attention-sorting[:reader=MODEL][,rounds=3][,focus=last|query][,max-length=512]}:
 * {@link AttentionSorting} with an encoder reader. Unknown options and bad values are refused, naming them.
 */
public final class AttentionSortingFactory implements RerankerFactory {

  /** The name users select it by. */
  public static final String NAME = "attention-sorting";

  private static final Set<String> OPTIONS = Set.of("reader", "rounds", "focus", "max-length");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "attention sorting (most attended passage moved last, repeated) with an encoder reader: reader=MODEL|DIR, "
        + "rounds=N, focus=last|query, max-length=N";
  }

  @Override
  public Reranker create(Map<String, String> options) {
    Set<String> unknown = new TreeSet<>(options.keySet());
    unknown.removeAll(OPTIONS);
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("reranker " + NAME + ": unknown option(s) " + unknown + "; known: "
          + new TreeSet<>(OPTIONS));
    }
    AttentionReader.Focus focus = switch (options.getOrDefault("focus", "last").toLowerCase(Locale.ROOT)) {
      case "last" -> AttentionReader.Focus.LAST_QUERY_TOKEN;
      case "query" -> AttentionReader.Focus.QUERY;
      default -> throw new IllegalArgumentException("reranker " + NAME + ": focus must be last or query, got '"
          + options.get("focus") + "'");
    };
    int rounds = positive(options, "rounds", 3);
    int maxLength = positive(options, "max-length", 512);
    EncoderReader reader = EncoderReader.open(options.getOrDefault("reader", ModelRegistry.DEFAULT_MODEL), maxLength);
    return new AttentionSorting(reader, focus, rounds, true);
  }

  private static int positive(Map<String, String> options, String key, int dflt) {
    String v = options.get(key);
    if (v == null) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("reranker " + NAME + ": " + key + " must be a positive integer, got '" + v
        + "'");
  }
}
