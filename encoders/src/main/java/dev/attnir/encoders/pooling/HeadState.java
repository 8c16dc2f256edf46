package dev.attnir.encoders.pooling;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.apache.lucene.index.CorruptIndexException;

/**
 * A trained pooling head as stored: its configuration (JSON) and its forward pass as an ONNX graph, in one Lucene codec
 * container (codec name, format version, CRC32 footer) so a truncated or damaged file is detected.
 *
 * @param config what the head is and how it was trained
 * @param onnx the head's ONNX graph: input {@code layers} {@code [batch, layers, hidden]}, output {@code embedding}
 */
public record HeadState(HeadConfig config, byte[] onnx) {

  /** Codec name of the container. */
  public static final String CODEC = "AttnirPoolingHead";
  private static final String WHAT = "pooling head";
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * Configuration of a multi-layer trainable pooling head.
   *
   * @param model name of the encoder it was trained on
   * @param modelSha256 SHA-256 of that encoder's ONNX file
   * @param hiddenSize width of the encoder's hidden states
   * @param layerInput how each layer becomes one vector: {@code mean} (masked token mean) or {@code cls}
   * @param firstLayer first hidden state used (1 = first transformer layer, as the reference code)
   * @param lastLayer last hidden state used (the encoder's last layer)
   * @param latents number of trainable latent queries
   * @param heads attention heads of the cross-attention
   * @param headDim width of each attention head
   * @param ffMult feed-forward expansion of the GEGLU block
   * @param training how it was trained (data, steps, seed, loss), for the record
   */
  public record HeadConfig(String model, String modelSha256, int hiddenSize, String layerInput, int firstLayer,
      int lastLayer, int latents, int heads, int headDim, int ffMult, Map<String, String> training) {

    /** Number of layer vectors the head reads. */
    public int numLayerInputs() {
      return lastLayer - firstLayer + 1;
    }
  }

  /**
   * Container bytes: a Lucene codec container ({@value #CODEC}, format version 2) holding the config JSON (a Lucene
   * string) and the ONNX graph (vInt length and bytes).
   */
  public byte[] serialize() {
    String json;
    try {
      json = JSON.writeValueAsString(config);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return PoolingStateCodec.write(CODEC, WHAT, out -> {
      out.writeString(json);
      out.writeVInt(onnx.length);
      out.writeBytes(onnx, onnx.length);
    });
  }

  /**
   * Reads a container: the current codec container, or the hand-rolled format version 1 of older heads and indexes.
   *
   * @throws IllegalArgumentException when the bytes are not a head, are truncated or damaged, or have a format version
   *     this build does not read
   */
  public static HeadState deserialize(byte[] bytes) {
    if (LegacyStateV1.isHead(bytes)) {
      return LegacyStateV1.readHead(bytes);
    }
    return PoolingStateCodec.read(bytes, CODEC, WHAT, (in, version, end) -> {
      String json = in.readString();
      int onnxLength = in.readVInt();
      if (onnxLength < 1) {
        throw new CorruptIndexException("graph length " + onnxLength, in);
      }
      PoolingStateCodec.checkRemaining(in, end, onnxLength, "the graph");
      byte[] onnx = new byte[onnxLength];
      in.readBytes(onnx, 0, onnxLength);
      return new HeadState(parseConfig(json), onnx);
    });
  }

  /** The config from its JSON. */
  static HeadConfig parseConfig(String json) {
    try {
      return JSON.readValue(json, HeadConfig.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("pooling head config is invalid: " + e.getOriginalMessage(), e);
    }
  }
}
