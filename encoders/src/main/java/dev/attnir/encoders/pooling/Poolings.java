package dev.attnir.encoders.pooling;

import dev.attnir.encoders.Digests;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.StatefulPooling;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/** Creates poolings from their names (command line, model config) and restores them from what an index recorded. */
public final class Poolings {

  /** Model pooling options naming the Ditto pair chosen for a model. */
  public static final String DITTO_LAYER = "ditto.layer";
  public static final String DITTO_HEAD = "ditto.head";

  private Poolings() {}

  /** Names accepted by {@link #parse}. */
  public static List<String> knownNames() {
    return List.of("cls", "mean", "max", "embeddings-last-mean", "layer1-last-mean", "layers-mean:<i>,<j>,...",
        "ditto[:<layer>,<head>]", "ditto-last[:<layer>,<head>]",
        "whiten (fitted: see --whiten-base/--whiten-dims)", "trained (a head from train-pooling)");
  }

  /** Parses a stateless pooling name without model defaults (plain {@code ditto} needs {@link #parse(String, ModelSpec)}). */
  public static Pooling parse(String name) {
    return parse(name, null);
  }

  /**
   * Parses a stateless pooling name; {@code ditto} without a pair takes the model's {@code ditto.layer} and
   * {@code ditto.head} options.
   *
   * @throws IllegalArgumentException for an unknown name (the message lists the known ones), a malformed one, or a
   *     fitted/trained pooling that cannot be made from a name alone
   */
  public static Pooling parse(String name, ModelSpec spec) {
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
      case "whiten":
        throw new IllegalArgumentException("pooling 'whiten' must be fitted first: build the index with "
            + "--pooling whiten (and --whiten-base, --whiten-dims), which fits it on the corpus");
      case "trained":
        throw new IllegalArgumentException("pooling 'trained' needs a head: use --pooling-head <file> from "
            + "train-pooling");
      default:
        break;
    }
    if (n.startsWith("layers-mean:")) {
      return layersMean(name, n.substring("layers-mean:".length()));
    }
    for (DittoPooling.Variant v : DittoPooling.Variant.values()) {
      if (n.equals(v.poolingName)) {
        if (spec == null || !spec.poolingOptions().containsKey(DITTO_LAYER)) {
          throw new IllegalArgumentException("pooling '" + name + "' needs a layer and head: no Ditto pair is stored"
              + (spec == null ? "" : " for model " + spec.name()) + "; run ditto-search, or give one as "
              + v.poolingName + ":<layer>,<head>");
        }
        return new DittoPooling(intOption(spec, DITTO_LAYER), intOption(spec, DITTO_HEAD), v);
      }
      if (n.startsWith(v.poolingName + ":")) {
        String[] parts = n.substring(v.poolingName.length() + 1).split(",");
        if (parts.length != 2) {
          throw new IllegalArgumentException("pooling '" + name + "': expected " + v.poolingName + ":<layer>,<head>");
        }
        return new DittoPooling(integer(name, parts[0]), integer(name, parts[1]), v);
      }
    }
    throw new IllegalArgumentException("unknown pooling '" + name + "'; known poolings: "
        + String.join(", ", knownNames()));
  }

  private static int intOption(ModelSpec spec, String key) {
    String v = spec.poolingOptions().get(key);
    if (v == null) {
      throw new IllegalArgumentException("model " + spec.name() + " has no pooling option " + key);
    }
    return integer(key, v);
  }

  private static int integer(String context, String value) {
    try {
      int v = Integer.parseInt(value.trim());
      if (v < 0) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("pooling '" + context + "': '" + value + "' is not a non-negative integer");
    }
  }

  private static Pooling layersMean(String name, String list) {
    List<Integer> layers = new ArrayList<>();
    for (String p : list.split(",")) {
      String t = p.trim();
      layers.add(t.equals("last") ? LayerMeanPooling.LAST : integer(name, t));
    }
    return new LayerMeanPooling("layers-mean:" + list, layers.stream().mapToInt(Integer::intValue).toArray());
  }

  /**
   * Rebuilds the pooling an index was built with from its recorded name and parameters; fitted and trained state is
   * fetched by its SHA-256 through {@code stateLoader} and verified.
   *
   * @throws IllegalArgumentException when the record is inconsistent or the state is missing or damaged
   */
  public static Pooling restore(String name, Map<String, String> parameters, Function<String, byte[]> stateLoader) {
    Pooling p;
    switch (name) {
      case "ditto", "ditto-last" -> p = new DittoPooling(integer(name, require(parameters, "layer", name)),
          integer(name, require(parameters, "head", name)),
          name.equals("ditto") ? DittoPooling.Variant.FIRST_LAST : DittoPooling.Variant.LAST);
      case "whiten" -> {
        Map<String, String> baseParams = new LinkedHashMap<>();
        parameters.forEach((k, v) -> {
          if (k.startsWith("base.")) {
            baseParams.put(k.substring(5), v);
          }
        });
        Pooling base = restore(require(parameters, "base", name), baseParams, stateLoader);
        byte[] state = verifiedState(parameters, stateLoader, name);
        p = WhiteningPooling.fromState(base, state);
      }
      case "trained" -> p = TrainedHeadPooling.fromState(verifiedState(parameters, stateLoader, name));
      default -> p = parse(name);
    }
    if (!p.parameters().equals(parameters)) {
      throw new IllegalArgumentException("pooling '" + name + "' recorded with parameters " + parameters
          + " restores with " + p.parameters());
    }
    return p;
  }

  private static String require(Map<String, String> parameters, String key, String name) {
    String v = parameters.get(key);
    if (v == null) {
      throw new IllegalArgumentException("pooling '" + name + "' was recorded without its parameter '" + key + "'");
    }
    return v;
  }

  private static byte[] verifiedState(Map<String, String> parameters, Function<String, byte[]> loader, String name) {
    String sha = require(parameters, StatefulPooling.STATE_SHA256, name);
    byte[] state = loader.apply(sha);
    if (state == null) {
      throw new IllegalArgumentException("the state of pooling '" + name + "' (sha256 " + sha + ") is missing");
    }
    String actual = Digests.sha256(state);
    if (!actual.equals(sha)) {
      throw new IllegalArgumentException("the state of pooling '" + name + "' is damaged: sha256 " + actual
          + ", recorded " + sha);
    }
    return state;
  }
}
