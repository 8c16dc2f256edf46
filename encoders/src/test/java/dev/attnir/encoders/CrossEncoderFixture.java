package dev.attnir.encoders;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * A real cross-encoder graph for the tests of the rerankers and the CLI (shared through this module's test-jar): the
 * all-MiniLM-L6-v2 graph with a head {@code logits [batch, n] = last_hidden_state[:, 0, :] · W + b} built by
 * {@link TestGraphs#crossEncoder(OnnxMl.ModelProto, float[], float[])}. The head is random, so the scores mean
 * nothing; tests check them against a bare session on the unmodified graph.
 */
public final class CrossEncoderFixture {

  public static final int HIDDEN = 384;

  private CrossEncoderFixture() {}

  public static OnnxMl.ModelProto miniLm() throws IOException {
    return OnnxMl.ModelProto.parseFrom(miniLmSpec().source().readOnnx());
  }

  public static ModelSpec miniLmSpec() {
    return ModelRegistry.resolve("all-MiniLM-L6-v2");
  }

  /** Gaussian weights {@code [HIDDEN, n]}, row-major. */
  public static float[] weights(int n, long seed) {
    Random r = new Random(seed);
    float[] w = new float[HIDDEN * n];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (r.nextGaussian() * 0.2);
    }
    return w;
  }

  /** The base graph with outputs replaced by {@code logits [batch, n]}; {@code w} is {@code [HIDDEN, n]}. */
  public static OnnxMl.ModelProto crossEncoder(OnnxMl.ModelProto base, float[] w, float[] bias) {
    return TestGraphs.crossEncoder(base, w, bias);
  }

  /** Writes a local model directory (model.onnx, tokenizer.json, model.json with {@code maxLength}). */
  public static Path write(Path parent, String name, OnnxMl.ModelProto model, int maxLength) throws IOException {
    Path dir = Files.createDirectories(parent.resolve(name));
    Files.write(dir.resolve("model.onnx"), model.toByteArray());
    Files.write(dir.resolve("tokenizer.json"), miniLmSpec().source().readTokenizerJson());
    Files.writeString(dir.resolve("model.json"), "{\"name\": \"" + name + "\", \"maxLength\": " + maxLength + "}",
        StandardCharsets.UTF_8);
    return dir;
  }
}
