package dev.attnir.rerankers.trained;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The trained part of a reranker, as shipped: only the tensors training changed (dense kernels in the {@code [in, out]}
 * layout of {@code dev.attnir.encoders.bert.BertWeights}, heads, anchors), stored as float16 or float32, plus what is
 * needed to reassemble the reranker with its base model from Maven Central.
 *
 * <p>Layout: the 16 ASCII bytes {@code ATTNIR-RERANKER\n}, a little-endian int32 header length, the header as UTF-8
 * JSON ({@link Header}), then the tensors' raw little-endian values, concatenated in header order. Integrity is the
 * caller's: the registry records each shipped file's SHA-256 ({@link TrainedRegistry}), the header the base model's
 * (checked by {@link TrainedGraph}).
 *
 * @param header what the file describes
 * @param tensors values by tensor name, in header order (float16 tensors are held as the floats they round to)
 */
public record RerankerArtifact(Header header, Map<String, float[]> tensors) {

  static final byte[] MAGIC = "ATTNIR-RERANKER\n".getBytes(StandardCharsets.US_ASCII);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A tensor's entry in the header. */
  public record TensorInfo(String name, long[] shape, String dtype) {
    public TensorInfo {
      Objects.requireNonNull(name, "name");
      if (!"f16".equals(dtype) && !"f32".equals(dtype)) {
        throw new IllegalArgumentException("tensor " + name + ": dtype must be f16 or f32, got " + dtype);
      }
    }

    long size() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }
  }

  /**
   * The header.
   *
   * @param format file format version (1)
   * @param kind {@code cross-encoder} or {@code mvp}
   * @param baseModel the registered encoder the reranker starts from (e.g. {@code all-MiniLM-L6-v2})
   * @param baseOnnxSha256 SHA-256 of that encoder's ONNX graph, checked at load
   * @param maxLength pair length in tokens, special and view tokens included
   * @param views MVP's view count m (0 for a cross-encoder)
   * @param viewTokenIds the token ids of MVP's view tokens, in view order (empty for a cross-encoder)
   * @param settings method settings (e.g. {@code anchor}, {@code scoreScale}, {@code anchorHeads}), as strings
   * @param training how it was trained, for the record
   * @param tensors the tensors, in file order
   */
  public record Header(int format, String kind, String baseModel, String baseOnnxSha256, int maxLength, int views,
      List<Long> viewTokenIds, Map<String, String> settings, Map<String, Object> training, List<TensorInfo> tensors) {
    public Header {
      viewTokenIds = List.copyOf(viewTokenIds);
      settings = Map.copyOf(settings);
      training = training == null ? Map.of() : new LinkedHashMap<>(training);
      tensors = List.copyOf(tensors);
    }
  }

  public RerankerArtifact {
    Objects.requireNonNull(header, "header");
    if (tensors.size() != header.tensors().size()) {
      throw new IllegalArgumentException("header lists " + header.tensors().size() + " tensors but "
          + tensors.size() + " are given");
    }
    for (TensorInfo t : header.tensors()) {
      float[] v = tensors.get(t.name());
      if (v == null || v.length != t.size()) {
        throw new IllegalArgumentException("tensor " + t.name() + ": expected " + t.size() + " values, got "
            + (v == null ? "none" : v.length));
      }
    }
  }

  /** The file's bytes. */
  public byte[] toBytes() {
    try {
      byte[] head = JSON.writeValueAsBytes(header);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(MAGIC);
      out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(head.length).array());
      out.write(head);
      for (TensorInfo t : header.tensors()) {
        float[] v = tensors.get(t.name());
        boolean half = t.dtype().equals("f16");
        ByteBuffer b = ByteBuffer.allocate(v.length * (half ? 2 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
          if (half) {
            b.putShort(Float.floatToFloat16(x));
          } else {
            b.putFloat(x);
          }
        }
        out.write(b.array());
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads a file's bytes.
   *
   * @param source names the file in error messages
   * @throws IllegalArgumentException naming {@code source} and what is wrong when the bytes are not such a file
   */
  public static RerankerArtifact read(byte[] bytes, String source) {
    if (bytes.length < MAGIC.length + 4
        || !java.util.Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new IllegalArgumentException(source + ": not an attnir reranker artifact (bad magic)");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    b.position(MAGIC.length);
    int headLength = b.getInt();
    if (headLength <= 0 || headLength > b.remaining()) {
      throw new IllegalArgumentException(source + ": header length " + headLength + " exceeds the file");
    }
    Header header;
    try {
      header = JSON.readValue(bytes, b.position(), headLength, new TypeReference<Header>() {});
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(source + ": unreadable header: " + e.getMessage(), e);
    }
    if (header.format() != 1) {
      throw new IllegalArgumentException(source + ": format " + header.format() + " is not supported (1 is)");
    }
    b.position(b.position() + headLength);
    Map<String, float[]> tensors = new LinkedHashMap<>();
    for (TensorInfo t : header.tensors()) {
      long n = t.size();
      long need = n * (t.dtype().equals("f16") ? 2 : 4);
      if (need > b.remaining()) {
        throw new IllegalArgumentException(source + ": tensor " + t.name() + " needs " + need + " bytes, "
            + b.remaining() + " left (truncated file?)");
      }
      float[] v = new float[(int) n];
      for (int i = 0; i < v.length; i++) {
        v[i] = t.dtype().equals("f16") ? Float.float16ToFloat(b.getShort()) : b.getFloat();
      }
      tensors.put(t.name(), v);
    }
    if (b.remaining() != 0) {
      throw new IllegalArgumentException(source + ": " + b.remaining() + " bytes after the last tensor");
    }
    return new RerankerArtifact(header, tensors);
  }

  /** Tensor names in file order. */
  public List<String> tensorNames() {
    List<String> names = new ArrayList<>();
    header.tensors().forEach(t -> names.add(t.name()));
    return names;
  }
}
