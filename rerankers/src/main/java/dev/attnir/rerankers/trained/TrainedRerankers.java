package dev.attnir.rerankers.trained;

import dev.attnir.core.Reranker;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSource;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.TextTokenizer;
import dev.attnir.encoders.VectorSimilarity;
import dev.attnir.rerankers.CrossEncoderReranker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * Makes a working reranker from a trained artifact ({@link RerankerArtifact}) and its base model: the base model is
 * resolved by name ({@link ModelRegistry#resolve}, so a built-in model from its Maven Central jar, or a local model
 * directory), the graph is reassembled ({@link TrainedGraph}) and loaded in ONNX Runtime from memory
 * ({@link ModelSource.InMemory}) with the base model's tokenizer.
 *
 * <ul>
 *   <li>kind {@code cross-encoder}: a {@link CrossEncoderReranker} over the graph with the head (one logit, the
 *       score);
 *   <li>kind {@code mvp}: an {@link MvpReranker}; the encoder reads pairs of the full max length, the pair tokenizer
 *       truncates at {@code maxLength - views} to leave room for the view tokens.
 * </ul>
 * The max length is the header's unless overridden (at least {@code 8 + views}, and checked against the graph's
 * position table). The encoder's spec takes the reranker's name and no query/passage prefixes (the pairs are
 * tokenized as training tokenized them).
 */
public final class TrainedRerankers {

  private TrainedRerankers() {}

  /** A trained artifact's encoder, reassembled on its base model and loaded. */
  private record Loaded(OnnxEncoder encoder, TrainedGraph.Reassembled graph, byte[] tokenizerJson, int maxLength) {}

  /**
   * The fine-tuned encoder of a trained artifact alone (without its head's scoring), e.g. to read its attention: the
   * graph reassembled on the base model, tokenizing plain text as the base model does.
   *
   * @throws IllegalArgumentException as {@link #load}
   */
  public static OnnxEncoder encoder(RerankerArtifact artifact, String source, String name, OptionalInt maxLength,
      EncoderOptions options) {
    return loadEncoder(artifact, source, name, maxLength, options).encoder();
  }

  private static Loaded loadEncoder(RerankerArtifact artifact, String source, String name, OptionalInt maxLength,
      EncoderOptions options) {
    RerankerArtifact.Header h = artifact.header();
    ModelSpec base;
    try {
      base = ModelRegistry.resolve(h.baseModel());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": base model: " + e.getMessage(), e);
    }
    byte[] baseOnnx;
    byte[] tokenizerJson;
    try {
      baseOnnx = base.source().readOnnx();
      tokenizerJson = base.source().readTokenizerJson();
    } catch (IOException e) {
      throw new IllegalArgumentException(source + ": cannot read base model " + h.baseModel() + " from "
          + base.source().describe() + ": " + e.getMessage(), e);
    }
    int length = maxLength.orElse(h.maxLength());
    if (length < 8 + h.views()) {
      throw new IllegalArgumentException(source + ": max length " + length + " is below " + (8 + h.views())
          + " (8 tokens plus " + h.views() + " views)");
    }
    TrainedGraph.Reassembled graph = TrainedGraph.reassemble(artifact, baseOnnx, source);
    baseOnnx = null; // the reassembled graph is as large
    ModelSpec spec = new ModelSpec(name,
        new ModelSource.InMemory(graph.onnx(), tokenizerJson, source + " on " + base.source().describe()),
        "cls", false, length, "", "", VectorSimilarity.COSINE);
    try {
      return new Loaded(OnnxEncoder.load(spec, options), graph, tokenizerJson, length);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads an artifact file.
   *
   * @throws IllegalArgumentException naming the file when it is missing, unreadable or not an artifact
   */
  public static RerankerArtifact read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(file + ": no such file", e);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
    }
    return RerankerArtifact.read(bytes, file.toString());
  }

  /**
   * Loads the reranker an artifact describes.
   *
   * @param source names the artifact in error messages (its file or registry name)
   * @param name the reranker's name in run tags
   * @param maxLength overrides the header's max length when present
   * @throws IllegalArgumentException naming the artifact when the base model is unknown, missing or mismatched, the
   *     artifact is inconsistent with it ({@link TrainedGraph#reassemble}), or the max length is out of range
   */
  public static Reranker load(RerankerArtifact artifact, String source, String name, OptionalInt maxLength,
      EncoderOptions options) {
    Loaded loaded = loadEncoder(artifact, source, name, maxLength, options);
    RerankerArtifact.Header h = artifact.header();
    OnnxEncoder encoder = loaded.encoder();
    int length = loaded.maxLength();
    byte[] tokenizerJson = loaded.tokenizerJson();
    TrainedGraph.Reassembled graph = loaded.graph();
    TextTokenizer pairTokenizer = null;
    try {
      if (h.kind().equals(TrainedGraph.CROSS_ENCODER)) {
        return new CrossEncoderReranker(encoder, name);
      }
      MvpSettings settings = MvpSettings.parse(h.settings(), source);
      MvpAnchor anchor = MvpAnchor.of(settings, artifact.tensors(), graph.hiddenSize(), source);
      long[] viewIds = h.viewTokenIds().stream().mapToLong(Long::longValue).toArray();
      pairTokenizer = TextTokenizer.fromJson(tokenizerJson, length - h.views());
      return new MvpReranker(encoder, pairTokenizer, viewIds, anchor, settings.scoreScale(graph.hiddenSize()), name);
    } catch (RuntimeException e) {
      encoder.close();
      if (pairTokenizer != null) {
        pairTokenizer.close();
      }
      throw e;
    }
  }
}
