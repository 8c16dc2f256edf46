package dev.attnir.rerankers;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Checks and parses a reranker spec's {@code key=value} options, with errors that name the reranker and the option. */
public final class FactoryOptions {

  private FactoryOptions() {}

  /**
   * Refuses options not in {@code known}.
   *
   * @throws IllegalArgumentException listing the unknown options and the known ones (in {@code known}'s order)
   */
  public static void requireKnown(String reranker, Map<String, String> options, List<String> known) {
    List<String> unknown = new ArrayList<>();
    for (String key : options.keySet()) {
      if (!known.contains(key)) {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("reranker " + reranker + ": unknown option(s) " + unknown + "; known: "
          + String.join(", ", known));
    }
  }

  /**
   * The integer option {@code key}, or {@code absent} when it is not given.
   *
   * @throws IllegalArgumentException when it is not an integer or is below {@code min}
   */
  public static int integer(String reranker, Map<String, String> options, String key, int absent, int min) {
    String v = options.get(key);
    if (v == null) {
      return absent;
    }
    int n;
    try {
      n = Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("reranker " + reranker + ": option " + key + "=" + v + " is not an integer",
          e);
    }
    if (n < min) {
      throw new IllegalArgumentException("reranker " + reranker + ": option " + key + " must be >= " + min + ", got "
          + n);
    }
    return n;
  }

  /**
   * The boolean option {@code key} ({@code true} or {@code false}), or {@code absent} when it is not given.
   *
   * @throws IllegalArgumentException for any other value
   */
  public static boolean bool(String reranker, Map<String, String> options, String key, boolean absent) {
    String v = options.get(key);
    if (v == null) {
      return absent;
    }
    return switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException("reranker " + reranker + ": option " + key
          + " must be true or false, got '" + v + "'");
    };
  }
}
