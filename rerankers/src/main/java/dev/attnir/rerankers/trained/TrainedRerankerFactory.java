package dev.attnir.rerankers.trained;

import dev.attnir.core.Reranker;
import dev.attnir.core.RerankerFactory;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.rerankers.FactoryOptions;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Trained rerankers by name: {@code trained:name=NAME} loads a shipped one ({@link TrainedRegistry}, its file's digest
 * checked), {@code trained:file=PATH} a user's own artifact file (no registry digest then; the base model's digest is
 * checked all the same). Every shipped name is also an alias ({@link RerankerFactory#aliases()}), so
 * {@code cross-encoder-minilm} means {@code trained:name=cross-encoder-minilm}.
 *
 * <p>Options: {@code name} or {@code file} (exactly one), {@code max-length} (tokens per pair, special and view tokens
 * included; default the artifact's), {@code batch-tokens} (padded tokens per ONNX Runtime batch; default the
 * encoder's). Anything else is refused, naming the option and the known ones. The reranker is named after the
 * registry entry, or {@code trained:FILENAME} for a file.
 */
public final class TrainedRerankerFactory implements RerankerFactory {

  /** The name users select it by. */
  public static final String NAME = "trained";

  private static final List<String> OPTIONS = List.of("name", "file", "max-length", "batch-tokens");

  private final TrainedRegistry registry;

  /** The factory over the shipped registry ({@link TrainedRegistry#shipped()}); used by {@code ServiceLoader}. */
  public TrainedRerankerFactory() {
    this(null);
  }

  /** A factory over another registry (tests); null for the shipped one, read on use. */
  TrainedRerankerFactory(TrainedRegistry registry) {
    this.registry = registry;
  }

  private TrainedRegistry registry() {
    return registry != null ? registry : TrainedRegistry.shipped();
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    List<String> names = registry().names();
    return "a trained reranker (cross-encoder or multi-view MVP) reassembled with its base model: name=NAME (shipped: "
        + (names.isEmpty() ? "none" : String.join(", ", names)) + ") or file=PATH, max-length=N, batch-tokens=N";
  }

  @Override
  public Map<String, Map<String, String>> aliases() {
    Map<String, Map<String, String>> out = new LinkedHashMap<>();
    for (String n : registry().names()) {
      out.put(n, Map.of("name", n));
    }
    return out;
  }

  @Override
  public Reranker create(Map<String, String> options) {
    FactoryOptions.requireKnown(NAME, options, OPTIONS);
    String name = options.get("name");
    String file = options.get("file");
    if ((name == null) == (file == null)) {
      throw new IllegalArgumentException("reranker " + NAME + ": give exactly one of name=NAME (a shipped reranker: "
          + shippedList() + ") and file=PATH (an artifact file)");
    }
    OptionalInt maxLength = options.containsKey("max-length") ? OptionalInt.of(FactoryOptions.integer(NAME, options, "max-length", 0, 8))
        : OptionalInt.empty();
    EncoderOptions encoderOptions = EncoderOptions.defaults();
    if (options.containsKey("batch-tokens")) {
      encoderOptions = encoderOptions.withMaxBatchTokens(FactoryOptions.integer(NAME, options, "batch-tokens", 0, 8));
    }
    if (name != null) {
      TrainedRegistry r = registry();
      if (!r.entries().containsKey(name)) {
        throw new IllegalArgumentException("reranker " + NAME + ": name=" + name + " is not a shipped reranker; "
            + "shipped: " + shippedList());
      }
      TrainedRegistry.Entry entry = r.entry(name);
      return TrainedRerankers.load(r.read(name), "trained reranker " + name + " (" + entry.file() + ")", name,
          maxLength, encoderOptions);
    }
    if (file.isBlank()) {
      throw new IllegalArgumentException("reranker " + NAME + ": option file is empty");
    }
    Path path = Path.of(file);
    return TrainedRerankers.load(TrainedRerankers.read(path), path.toString(),
        NAME + ":" + path.getFileName(), maxLength, encoderOptions);
  }

  private String shippedList() {
    List<String> names = registry().names();
    return names.isEmpty() ? "none yet" : String.join(", ", names);
  }

}
