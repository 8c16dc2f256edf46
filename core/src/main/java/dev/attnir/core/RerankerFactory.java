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
   * Creates the reranker.
   *
   * @param options {@code key=value} options of the spec ({@code name:key=value,...}); unknown keys must be refused
   * @throws IllegalArgumentException for an unknown or malformed option, naming it
   */
  Reranker create(Map<String, String> options);
}
