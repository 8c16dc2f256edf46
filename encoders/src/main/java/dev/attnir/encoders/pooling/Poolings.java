package dev.attnir.encoders.pooling;

import dev.attnir.encoders.Pooling;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Creates poolings from their names, as given on the command line or recorded in an index. */
public final class Poolings {

  private Poolings() {}

  /** Names accepted by {@link #parse}; {@code layers-mean:i,j,...} takes hidden-state indices or {@code last}. */
  public static List<String> knownNames() {
    return List.of("cls", "mean", "max", "embeddings-last-mean", "layer1-last-mean", "layers-mean:<i>,<j>,...");
  }

  /**
   * Parses a pooling name.
   *
   * @throws IllegalArgumentException for an unknown name; the message lists the known ones
   */
  public static Pooling parse(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    switch (n) {
      case "cls":
        return new ClsPooling();
      case "mean":
        return new MeanPooling();
      case "max":
        return new MaxPooling();
      case "embeddings-last-mean":
        return LayerMeanPooling.embeddingsAndLast();
      case "layer1-last-mean":
        return LayerMeanPooling.layer1AndLast();
      default:
        break;
    }
    if (n.startsWith("layers-mean:")) {
      String[] parts = n.substring("layers-mean:".length()).split(",");
      List<Integer> layers = new ArrayList<>();
      for (String p : parts) {
        String t = p.trim();
        if (t.equals("last")) {
          layers.add(LayerMeanPooling.LAST);
        } else {
          try {
            int v = Integer.parseInt(t);
            if (v < 0) {
              throw new NumberFormatException();
            }
            layers.add(v);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("pooling '" + name + "': '" + t
                + "' is not a hidden-state index (0 = embeddings, 1.. = layers, or 'last')");
          }
        }
      }
      return new LayerMeanPooling(n, layers.stream().mapToInt(Integer::intValue).toArray());
    }
    throw new IllegalArgumentException("unknown pooling '" + name + "'; known poolings: "
        + String.join(", ", knownNames()));
  }
}
