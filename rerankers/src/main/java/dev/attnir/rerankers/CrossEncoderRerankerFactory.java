package dev.attnir.rerankers;

import dev.attnir.core.Reranker;
import dev.attnir.core.RerankerFactory;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.PrimaryOutput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * "Bring your own cross-encoder": {@code --rerank cross-encoder:model=DIR[,max-length=N][,batch-tokens=N]} makes a
 * {@link CrossEncoderReranker} from a local model directory laid out like the encoders' local models
 * ({@code model.onnx}, {@code tokenizer.json}, {@code model.json}; see {@link ModelRegistry#fromDirectory}), whose
 * graph is a sequence classifier with output {@code logits [batch, 1]} or {@code [batch, 2]}.
 *
 * <p>Options: {@code model} (required), {@code max-length} (tokens per pair, special tokens included; default the
 * model.json {@code maxLength}; checked against the graph's position table), {@code batch-tokens} (padded tokens per
 * ONNX Runtime batch; default the encoder's). Anything else is refused, naming the option and the known ones; so is a
 * graph that is not a cross-encoder (an embedding model, a language model), naming what it outputs.
 */
public final class CrossEncoderRerankerFactory implements RerankerFactory {

  /** The name users select it by. */
  public static final String NAME = "cross-encoder";

  private static final List<String> OPTIONS = List.of("model", "max-length", "batch-tokens");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "a local ONNX cross-encoder (monoBERT-style, logits [batch, 1|2]): model=DIR (model.onnx, tokenizer.json, "
        + "model.json), max-length=N, batch-tokens=N";
  }

  @Override
  public Reranker create(Map<String, String> options) {
    FactoryOptions.requireKnown(NAME, options, OPTIONS);
    String model = options.get("model");
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("reranker " + NAME + ": option model=DIR is required (a directory with "
          + "model.onnx, tokenizer.json and model.json)");
    }
    Path dir = Path.of(model);
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("reranker " + NAME + ": model=" + model + " is not a directory");
    }
    ModelSpec spec;
    try {
      spec = ModelRegistry.fromDirectory(dir);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("reranker " + NAME + ": " + e.getMessage(), e);
    }
    if (options.containsKey("max-length")) {
      spec = spec.withMaxLength(FactoryOptions.integer(NAME, options, "max-length", 0, 8));
    }
    EncoderOptions encoderOptions = EncoderOptions.defaults();
    if (options.containsKey("batch-tokens")) {
      encoderOptions = encoderOptions.withMaxBatchTokens(FactoryOptions.integer(NAME, options, "batch-tokens", 0, 8));
    }
    OnnxEncoder encoder;
    try {
      encoder = OnnxEncoder.load(spec, encoderOptions);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("reranker " + NAME + ": " + e.getMessage(), e);
    }
    try {
      checkIsCrossEncoder(encoder.primaryOutput(), dir);
      return new CrossEncoderReranker(encoder, NAME);
    } catch (RuntimeException e) {
      encoder.close();
      throw e;
    }
  }

  /** Refuses an embedding model or a language model, saying what it is instead. */
  private static void checkIsCrossEncoder(PrimaryOutput out, Path dir) {
    String what = switch (out.kind()) {
      case TOKEN_STATES -> "is an encoder (last_hidden_state)";
      case TOKEN_LOGITS -> "is a language model (logits [batch, seq, vocab])";
      case SEQUENCE_SCORES -> out.width() == 1 || out.width() == 2 || out.width() < 0 ? null
          : "is a classifier with " + out.width() + " classes";
    };
    if (what != null) {
      throw new IllegalArgumentException("reranker " + NAME + ": model " + dir + "/model.onnx " + what
          + ", not a cross-encoder: it outputs " + out.describe()
          + "; a cross-encoder outputs logits [batch, 1] (the score) or [batch, 2] ([not relevant, relevant])");
    }
  }
}
