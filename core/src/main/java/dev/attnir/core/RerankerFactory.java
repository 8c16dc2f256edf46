package dev.attnir.core;

import java.util.Map;

/**
 * Makes a {@link Reranker} from options, so rerankers are chosen by name (the command line's {@code --rerank}, a
 * configuration file) without the caller knowing their classes. Implementations register through
 * {@link java.util.ServiceLoader} ({@code META-INF/services/dev.attnir.core.RerankerFactory}); see {@link Rerankers}.
 */
public interface RerankerFactory {

  /** The name users select it by, e.g. {@code monobert}. */
  String name();

  /** One line for help texts: what it is and its options. */
  String description();

  /**
   * Further names this factory answers to, each standing for a preset of its options: e.g. the trained rerankers'
   * factory answers to every shipped reranker's name ({@code cross-encoder-minilm} for
   * {@code trained:name=cross-encoder-minilm}). {@link Rerankers#create} turns {@code alias:k=v,...} into
   * {@link #create} with the preset plus the given options, refusing a given option the preset already sets.
   * An alias must not be the name or alias of another factory. Default: none.
   */
  default Map<String, Map<String, String>> aliases() {
    return Map.of();
  }

  /**
   * Creates the reranker.
   *
   * @param options {@code key=value} options of the spec ({@code name:key=value,...}); unknown keys must be refused
   * @throws IllegalArgumentException for an unknown or malformed option, naming it
   */
  Reranker create(Map<String, String> options);
}
