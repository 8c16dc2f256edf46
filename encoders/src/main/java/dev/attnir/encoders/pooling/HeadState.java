package dev.attnir.encoders.pooling;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * A trained pooling head as stored: its configuration (JSON) and its forward pass as an ONNX graph, in one container
 * with a magic number and a CRC32 so a truncated or damaged file is detected.
 *
 * @param config what the head is and how it was trained
 * @param onnx the head's ONNX graph: input {@code layers} {@code [batch, layers, hidden]}, output {@code embedding}
 */
public record HeadState(HeadConfig config, byte[] onnx) {

  private static final int MAGIC = 0x41545448; // "ATTH"
  private static final int VERSION = 1;
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

  /** Container bytes. */
  public byte[] serialize() {
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(config);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    ByteBuffer b = ByteBuffer.allocate(4 + 4 + 4 + json.length + 4 + onnx.length + 8).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(MAGIC).putInt(VERSION).putInt(json.length).put(json).putInt(onnx.length).put(onnx);
    CRC32 crc = new CRC32();
    crc.update(b.array(), 0, b.position());
    b.putLong(crc.getValue());
    return b.array();
  }

  /**
   * Reads a container.
   *
   * @throws IllegalArgumentException when the bytes are not a head, or are truncated or damaged
   */
  public static HeadState deserialize(byte[] bytes) {
    if (bytes.length < 24) {
      throw new IllegalArgumentException("not a pooling head (only " + bytes.length + " bytes)");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (b.getInt() != MAGIC) {
      throw new IllegalArgumentException("not a pooling head (bad magic number)");
    }
    int version = b.getInt();
    if (version != VERSION) {
      throw new IllegalArgumentException("unsupported pooling head version " + version);
    }
    CRC32 crc = new CRC32();
    crc.update(bytes, 0, bytes.length - 8);
    long stored = ByteBuffer.wrap(bytes, bytes.length - 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (stored != crc.getValue()) {
      throw new IllegalArgumentException("pooling head is truncated or damaged (checksum mismatch)");
    }
    int jsonLength = b.getInt();
    if (jsonLength < 2 || jsonLength > bytes.length - 24) {
      throw new IllegalArgumentException("pooling head is damaged (config length " + jsonLength + ")");
    }
    byte[] json = new byte[jsonLength];
    b.get(json);
    int onnxLength = b.getInt();
    if (onnxLength < 1 || onnxLength != bytes.length - 12 - jsonLength - 4 - 8) {
      throw new IllegalArgumentException("pooling head is damaged (graph length " + onnxLength + ")");
    }
    byte[] onnx = new byte[onnxLength];
    b.get(onnx);
    try {
      return new HeadState(JSON.readValue(new String(json, StandardCharsets.UTF_8), HeadConfig.class), onnx);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("pooling head config is invalid: " + e.getOriginalMessage(), e);
    }
  }
}
