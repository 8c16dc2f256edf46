package dev.attnir.rerankers.attention;

import dev.attnir.core.Reranker;
import dev.attnir.core.RerankerFactory;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.rerankers.FactoryOptions;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code --rerank attention-sorting[:reader=MODEL|DIR][,rounds=3][,focus=last|query][,max-length=N]}:
 * {@link AttentionSorting} with a reader opened by {@link AttentionReaders#open} (an encoder, or a causal LM's
 * directory). Unknown options and bad values are refused, naming them.
 */
public final class AttentionSortingFactory implements RerankerFactory {

  /** The name users select it by. */
  public static final String NAME = "attention-sorting";

  private static final List<String> OPTIONS = List.of("reader", "rounds", "focus", "max-length");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "attention sorting (most attended passage moved last, repeated) with an encoder or decoder reader: "
        + "reader=MODEL|DIR, "
        + "rounds=N, focus=last|query, max-length=N";
  }

  @Override
  public Reranker create(Map<String, String> options) {
    FactoryOptions.requireKnown(NAME, options, OPTIONS);
    AttentionReader.Focus focus = switch (options.getOrDefault("focus", "last").toLowerCase(Locale.ROOT)) {
      case "last" -> AttentionReader.Focus.LAST_QUERY_TOKEN;
      case "query" -> AttentionReader.Focus.QUERY;
      default -> throw new IllegalArgumentException("reranker " + NAME + ": focus must be last or query, got '"
          + options.get("focus") + "'");
    };
    int rounds = FactoryOptions.integer(NAME, options, "rounds", 3, 1);
    AttentionReader reader = AttentionReaders.open(options.getOrDefault("reader", ModelRegistry.DEFAULT_MODEL),
        InContextRerankerFactory.maxLength(NAME, options));
    return new AttentionSorting(reader, focus, rounds, true);
  }
}
