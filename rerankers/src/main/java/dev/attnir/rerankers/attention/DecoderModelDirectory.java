package dev.attnir.rerankers.attention;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.encoders.Digests;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A user's causal language model as a {@link DecoderReader}, opened from a directory laid out as Hugging Face
 * exports are:
 * <ul>
 *   <li>{@code model.onnx}: the causal-LM graph (the layouts {@link DecoderReader} reads), its weights inside or in
 *       external data files beside it;
 *   <li>{@code tokenizer.json}: the model's tokenizer, used without its special tokens (the reader places BOS itself);
 *   <li>{@code config.json}: {@code architectures} naming a {@code *ForCausalLM} class, {@code bos_token_id},
 *       {@code pad_token_id} (else {@code eos_token_id}) and {@code max_position_embeddings};
 *   <li>{@code attnir-prompt.json} (optional): ICR's prompt pieces {@code prefix}, {@code instruction},
 *       {@code separator}, {@code late_instruction}, {@code query_label}, {@code suffix}; missing pieces keep
 *       ICR's QA prompt ({@link DecoderReader.Prompt#icrQa()}). A chat model wants its chat template's pieces here.
 * </ul>
 * Every missing file, field or unknown prompt key is an error naming it.
 */
public final class DecoderModelDirectory {

  /** The prompt file's name. */
  public static final String PROMPT_FILE = "attnir-prompt.json";

  private static final ObjectMapper JSON = new ObjectMapper();
  /** The fewest positions a reader is opened with (as the reranker factories require). */
  private static final int MIN_POSITIONS = 8;
  private static final List<String> PROMPT_KEYS =
      List.of("prefix", "instruction", "separator", "late_instruction", "query_label", "suffix");

  private DecoderModelDirectory() {}

  /**
   * True when {@code dir} holds a {@code config.json} naming a causal-LM architecture: what the reader options
   * ({@code reader=DIR}) open as a decoder rather than as an encoder.
   */
  public static boolean isDecoder(Path dir) {
    Path config = dir.resolve("config.json");
    if (!Files.isRegularFile(config)) {
      return false;
    }
    try {
      for (JsonNode a : JSON.readTree(config.toFile()).path("architectures")) {
        if (a.asText().endsWith("ForCausalLM")) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      throw new IllegalArgumentException(config + ": not readable JSON: " + e.getMessage(), e);
    }
  }

  /**
   * Opens the model in {@code dir}.
   *
   * @param maxPositions positions to read at most; empty for the model's {@code max_position_embeddings}
   * @throws IllegalArgumentException naming the missing file or field, or the graph's attention that cannot be read
   */
  public static DecoderReader open(Path dir, OptionalInt maxPositions) {
    Path modelFile = require(dir, "model.onnx");
    Path tokenizerFile = require(dir, "tokenizer.json");
    Path configFile = require(dir, "config.json");
    JsonNode config = readJson(configFile);
    long bos = requireId(config, configFile, "bos_token_id");
    // a pad id of -1 (some configs) means none: the first end token pads, as any masked id would
    boolean hasPad = config.hasNonNull("pad_token_id") && !(config.get("pad_token_id").canConvertToLong()
        && config.get("pad_token_id").asLong() == -1);
    long pad = hasPad ? requireId(config, configFile, "pad_token_id")
        : requireId(config, configFile, "eos_token_id", "(no pad_token_id: the first end token pads)");
    int modelPositions;
    try {
      modelPositions = Math.toIntExact(requireId(config, configFile, "max_position_embeddings"));
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(configFile + ": max_position_embeddings " + config.get(
          "max_position_embeddings") + " is beyond what a reader can lay out", e);
    }
    int positions = modelPositions;
    if (maxPositions.isPresent()) {
      if (maxPositions.getAsInt() < MIN_POSITIONS) {
        throw new IllegalArgumentException("max-length must be at least " + MIN_POSITIONS + ", got "
            + maxPositions.getAsInt());
      }
      if (maxPositions.getAsInt() > modelPositions) {
        throw new IllegalArgumentException("max-length " + maxPositions.getAsInt() + " is more than the "
            + modelPositions + " positions " + configFile + " gives (max_position_embeddings)");
      }
      positions = maxPositions.getAsInt();
    }
    DecoderReader.Prompt prompt = prompt(dir.resolve(PROMPT_FILE));
    byte[] onnx;
    try {
      if (Files.size(modelFile) > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException(modelFile + " is over 2 GB: ONNX keeps weights that large in external "
            + "data files beside the graph (onnx.save(..., save_as_external_data=True)); export it that way");
      }
      onnx = Files.readAllBytes(modelFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + modelFile, e);
    }
    byte[] tokenizerJson = readBytes(tokenizerFile);
    HuggingFaceTokenizer tokenizer;
    try {
      tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson), Map.of("padding", "false",
          "truncation", "false", "addSpecialTokens", "false"));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(tokenizerFile + " could not be loaded: " + e.getMessage(), e);
    }
    DecoderReader.Tokens tokens = new DecoderReader.Tokens() {
      @Override
      public long[] encode(String text) {
        return tokenizer.encode(text, false, false).getIds();
      }

      @Override
      public void close() {
        tokenizer.close();
      }
    };
    String name = dir.toAbsolutePath().normalize().getFileName().toString();
    try {
      return new DecoderReader(name, onnx, dir.toAbsolutePath().normalize(), tokens, bos, pad, positions, prompt,
          "onnx-sha256=" + Digests.sha256(onnx).substring(0, 16) + externalDataSizes(dir, onnx) + ",tokenizer-sha256="
              + Digests.sha256(tokenizerJson).substring(0, 16));
    } catch (RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }

  /**
   * The external data files the graph names, each by its real path, size and modification time: part of the
   * reader's identity without hashing gigabytes at every open (so a profile is refused for weights written again).
   */
  private static String externalDataSizes(Path dir, byte[] onnx) {
    java.util.TreeSet<String> locations = new java.util.TreeSet<>();
    try {
      for (OnnxMl.TensorProto t : OnnxMl.ModelProto.parseFrom(onnx).getGraph().getInitializerList()) {
        if (t.getDataLocation() == OnnxMl.TensorProto.DataLocation.EXTERNAL) {
          t.getExternalDataList().stream().filter(e -> e.getKey().equals("location"))
              .forEach(e -> locations.add(e.getValue()));
        }
      }
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return ""; // the reader refuses the graph with the parser's message
    }
    StringBuilder b = new StringBuilder();
    for (String location : locations) {
      Path file = externalFile(dir, location, "decoder model directory " + dir);
      try {
        b.append(",external=").append(file).append(':').append(Files.size(file)).append('@')
            .append(Files.getLastModifiedTime(file).toMillis());
      } catch (IOException e) {
        throw new IllegalArgumentException("decoder model directory " + dir + ": the graph keeps weights in "
            + location + ", which cannot be read: " + e.getMessage(), e);
      }
    }
    return b.toString();
  }

  /**
   * The real path of an external data file the graph names, which must lie inside the model's folder (links
   * followed): a graph cannot make the reader open files elsewhere.
   */
  static Path externalFile(Path dir, String location, String what) {
    try {
      Path folder = dir.toRealPath();
      Path file = folder.resolve(location).toRealPath();
      if (!file.startsWith(folder)) {
        throw new IllegalArgumentException(what + ": external data location " + location + " is outside " + folder);
      }
      return file;
    } catch (IOException e) {
      throw new IllegalArgumentException(what + ": external data " + location + " cannot be read: " + e.getMessage(),
          e);
    }
  }

  private static Path require(Path dir, String file) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("decoder model directory " + dir + (Files.exists(dir) ? " is not a directory"
          : " does not exist"));
    }
    Path path = dir.resolve(file);
    if (!Files.isRegularFile(path)) {
      throw new IllegalArgumentException("decoder model directory " + dir + " has no " + file + " (it needs "
          + "model.onnx, tokenizer.json and config.json; " + PROMPT_FILE + " is optional)");
    }
    return path;
  }

  private static long requireId(JsonNode config, Path file, String field) {
    return requireId(config, file, field, "");
  }

  private static long requireId(JsonNode config, Path file, String field, String why) {
    JsonNode value = config.get(field);
    if (value != null && value.isArray() && !value.isEmpty()) {
      value = value.get(0); // several end tokens (Llama 3's eos_token_id): the first pads as well as any
    }
    if (value == null || !value.canConvertToLong() || value.asLong() < 0) {
      throw new IllegalArgumentException(file + ": field " + field + " must be a non-negative integer, got "
          + (value == null ? "nothing" : value.toString()) + (why.isEmpty() ? "" : " " + why));
    }
    return value.asLong();
  }

  private static DecoderReader.Prompt prompt(Path file) {
    DecoderReader.Prompt qa = DecoderReader.Prompt.icrQa();
    if (!Files.exists(file)) {
      return qa;
    }
    JsonNode json = readJson(file);
    if (!json.isObject()) {
      throw new IllegalArgumentException(file + ": expected a JSON object with the keys " + PROMPT_KEYS);
    }
    List<String> unknown = new ArrayList<>();
    for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!PROMPT_KEYS.contains(key)) {
        unknown.add(key);
      } else if (!json.get(key).isTextual()) {
        throw new IllegalArgumentException(file + ": " + key + " must be a string, got " + json.get(key));
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(file + ": unknown keys " + unknown + " (known: " + PROMPT_KEYS + ")");
    }
    return new DecoderReader.Prompt(json.path("prefix").asText(qa.prefix()),
        json.path("instruction").asText(qa.instruction()), json.path("separator").asText(qa.separator()),
        json.path("late_instruction").asText(qa.lateInstruction()),
        json.path("query_label").asText(qa.queryLabel()), json.path("suffix").asText(qa.suffix()));
  }

  private static JsonNode readJson(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": not readable JSON: " + e.getMessage(), e);
    }
  }

  private static byte[] readBytes(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
