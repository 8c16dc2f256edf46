package dev.attnir.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Finds rerankers by name among the {@link RerankerFactory} implementations on the classpath: a factory's
 * {@link RerankerFactory#name() name}, or one of its {@link RerankerFactory#aliases() aliases} (a name standing for a
 * preset of its options).
 */
public final class Rerankers {

  private Rerankers() {}

  /** The registered factories, by name. */
  public static Map<String, RerankerFactory> available() {
    Map<String, RerankerFactory> out = new LinkedHashMap<>();
    for (RerankerFactory f : ServiceLoader.load(RerankerFactory.class)) {
      RerankerFactory previous = out.putIfAbsent(f.name(), f);
      if (previous != null && previous.getClass() != f.getClass()) {
        throw new IllegalStateException("two rerankers are registered as '" + f.name() + "': "
            + previous.getClass().getName() + " and " + f.getClass().getName());
      }
    }
    return out;
  }

  /**
   * Every name a reranker can be created by: the factories' names, then their aliases, each in classpath order.
   *
   * @throws IllegalStateException when two factories claim the same name or alias
   */
  public static List<String> names() {
    Map<String, RerankerFactory> factories = available();
    List<String> names = new ArrayList<>(factories.keySet());
    names.addAll(aliases(factories).keySet());
    return names;
  }

  /** A factory and the options an alias of it stands for. */
  private record Alias(RerankerFactory factory, Map<String, String> preset) {}

  private static Map<String, Alias> aliases(Map<String, RerankerFactory> factories) {
    Map<String, Alias> out = new LinkedHashMap<>();
    for (RerankerFactory f : factories.values()) {
      for (Map.Entry<String, Map<String, String>> a : f.aliases().entrySet()) {
        RerankerFactory other = factories.get(a.getKey());
        Alias previous = out.putIfAbsent(a.getKey(), new Alias(f, Map.copyOf(a.getValue())));
        if (other != null || previous != null) {
          throw new IllegalStateException("reranker name '" + a.getKey() + "' is claimed twice: as an alias by "
              + f.getClass().getName() + " and as " + (other != null ? "the name of " + other.getClass().getName()
              : "an alias by " + previous.factory().getClass().getName()));
        }
      }
    }
    return out;
  }

  /**
   * Creates a reranker from a spec {@code name} or {@code name:key=value,key=value}, where {@code name} is a
   * factory's name or an alias (whose preset options are added to the given ones).
   *
   * @throws IllegalArgumentException for an unknown name (the message lists every name and alias) or bad options
   */
  public static Reranker create(String spec) {
    String s = spec == null ? "" : spec.trim();
    int colon = s.indexOf(':');
    String name = colon < 0 ? s : s.substring(0, colon).trim();
    Map<String, String> options = new LinkedHashMap<>();
    if (colon >= 0) {
      for (String kv : s.substring(colon + 1).split(",")) {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("reranker '" + spec + "': option '" + kv + "' is not key=value");
        }
        if (options.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim()) != null) {
          throw new IllegalArgumentException("reranker '" + spec + "': option '" + kv.substring(0, eq).trim()
              + "' is given twice");
        }
      }
    }
    Map<String, RerankerFactory> all = available();
    RerankerFactory f = all.get(name);
    if (f != null) {
      return f.create(options);
    }
    Map<String, Alias> aliases = aliases(all);
    Alias alias = aliases.get(name);
    if (alias == null) {
      List<String> known = new ArrayList<>(all.keySet());
      known.addAll(aliases.keySet());
      throw new IllegalArgumentException("unknown reranker '" + name + "'; "
          + (known.isEmpty() ? "no reranker is on the classpath" : "known: " + String.join(", ", known)));
    }
    Map<String, String> merged = new LinkedHashMap<>(alias.preset());
    for (Map.Entry<String, String> o : options.entrySet()) {
      if (merged.containsKey(o.getKey())) {
        throw new IllegalArgumentException("reranker '" + name + "' sets option '" + o.getKey() + "' itself ("
            + o.getKey() + "=" + merged.get(o.getKey()) + "); it cannot be given");
      }
      merged.put(o.getKey(), o.getValue());
    }
    return alias.factory().create(merged);
  }
}
