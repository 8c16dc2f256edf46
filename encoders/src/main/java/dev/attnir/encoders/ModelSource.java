package dev.attnir.encoders;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Where the bytes of a model's ONNX graph and its {@code tokenizer.json} come from. */
public sealed interface ModelSource permits ModelSource.Classpath, ModelSource.Directory, ModelSource.InMemory {

  /** The ONNX graph as serialized protobuf. */
  byte[] readOnnx() throws IOException;

  /** The HuggingFace {@code tokenizer.json}. */
  byte[] readTokenizerJson() throws IOException;

  /** Human-readable origin, used in error messages and manifests. */
  String describe();

  /**
   * A model packed as resources in a jar on the classpath, e.g. the
   * {@code dev.langchain4j:langchain4j-embeddings-*} jars on Maven Central, which we use purely as data.
   *
   * @param onnxResource resource name of the ONNX file at the jar root
   * @param tokenizerResource resource name of the tokenizer.json at the jar root
   * @param mavenCoordinates the artifact that provides the resources, named in the error when it is missing
   */
  record Classpath(String onnxResource, String tokenizerResource, String mavenCoordinates) implements ModelSource {
    @Override
    public byte[] readOnnx() throws IOException {
      return read(onnxResource);
    }

    @Override
    public byte[] readTokenizerJson() throws IOException {
      return read(tokenizerResource);
    }

    /** True when the jar providing this model is on the classpath. */
    public boolean isAvailable() {
      return ModelSource.class.getClassLoader().getResource(onnxResource) != null;
    }

    private byte[] read(String resource) throws IOException {
      try (InputStream in = ModelSource.class.getClassLoader().getResourceAsStream(resource)) {
        if (in == null) {
          throw new NoSuchFileException(resource, null,
              "classpath resource not found; add the Maven artifact " + mavenCoordinates
                  + " (exclude its transitive dependencies) to use this model");
        }
        return in.readAllBytes();
      }
    }

    @Override
    public String describe() {
      return "classpath:" + onnxResource + " (" + mavenCoordinates + ")";
    }
  }

  /** A local directory holding {@code model.onnx}, {@code tokenizer.json} and {@code model.json}. */
  record Directory(Path dir) implements ModelSource {
    @Override
    public byte[] readOnnx() throws IOException {
      return Files.readAllBytes(dir.resolve("model.onnx"));
    }

    @Override
    public byte[] readTokenizerJson() throws IOException {
      return Files.readAllBytes(dir.resolve("tokenizer.json"));
    }

    @Override
    public String describe() {
      return dir.toAbsolutePath().normalize().toString();
    }
  }

  /**
   * A model held in memory, e.g. a graph reassembled from a base model and trained tensors
   * ({@code dev.attnir.rerankers.trained.TrainedRerankers}). The arrays are kept, not copied, and handed out as they
   * are: neither the caller nor a reader may modify them.
   *
   * @param onnx the serialized ONNX graph
   * @param tokenizerJson the {@code tokenizer.json} bytes
   * @param description where the bytes came from, for messages (e.g. the artifact and its base model)
   */
  record InMemory(byte[] onnx, byte[] tokenizerJson, String description) implements ModelSource {
    public InMemory {
      java.util.Objects.requireNonNull(onnx, "onnx");
      java.util.Objects.requireNonNull(tokenizerJson, "tokenizerJson");
      java.util.Objects.requireNonNull(description, "description");
    }

    @Override
    public byte[] readOnnx() {
      return onnx;
    }

    @Override
    public byte[] readTokenizerJson() {
      return tokenizerJson;
    }

    @Override
    public String describe() {
      return description;
    }

    @Override
    public String toString() {
      return "InMemory[" + description + ", " + onnx.length + " ONNX bytes]";
    }
  }
}
