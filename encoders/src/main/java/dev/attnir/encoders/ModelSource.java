package dev.attnir.encoders;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Where the bytes of a model's ONNX graph and its {@code tokenizer.json} come from. */
public sealed interface ModelSource permits ModelSource.Classpath, ModelSource.Directory {

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
}
