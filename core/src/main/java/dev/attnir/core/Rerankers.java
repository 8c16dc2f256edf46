package dev.attnir.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/** Finds rerankers by name among the {@link RerankerFactory} implementations on the classpath. */
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
   * Creates a reranker from a spec {@code name} or {@code name:key=value,key=value}.
   *
   * @throws IllegalArgumentException for an unknown name (the message lists the registered ones) or bad options
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
    if (f == null) {
      List<String> known = new ArrayList<>(all.keySet());
      throw new IllegalArgumentException("unknown reranker '" + name + "'; "
          + (known.isEmpty() ? "no reranker is on the classpath" : "known: " + String.join(", ", known)));
    }
    return f.create(options);
  }
}
