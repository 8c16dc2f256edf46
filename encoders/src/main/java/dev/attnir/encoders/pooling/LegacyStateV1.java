package dev.attnir.encoders.pooling;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Read-only support for format version 1 of the pooling state, the hand-rolled containers written before the Lucene
 * codec containers of {@link PoolingStateCodec}, so indexes built then still open. Both are little-endian: a magic
 * number, the version ({@code 1}), the body, and a CRC32 (as a long) of everything before it.
 *
 * <ul>
 *   <li>whitening ({@code "ATWH"}): d, k, fit count, epsilon, model name and model SHA-256 (int-length-prefixed
 *       UTF-8), mean ({@code d} floats), W ({@code d * k}), singular values ({@code d});
 *   <li>pooling head ({@code "ATTH"}): config JSON and ONNX graph, each int-length-prefixed.
 * </ul>
 */
final class LegacyStateV1 {

  static final int WHITENING_MAGIC = 0x41545748; // "ATWH"
  static final int HEAD_MAGIC = 0x41545448; // "ATTH"

  private LegacyStateV1() {}

  static boolean isWhitening(byte[] bytes) {
    return hasMagic(bytes, WHITENING_MAGIC);
  }

  static boolean isHead(byte[] bytes) {
    return hasMagic(bytes, HEAD_MAGIC);
  }

  private static boolean hasMagic(byte[] bytes, int magic) {
    return bytes.length >= 4 && ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt() == magic;
  }

  /** Checks the version and the checksum; returns a buffer positioned after the version. */
  private static ByteBuffer open(byte[] bytes, int magic, int minLength, String what) {
    if (bytes.length < minLength) {
      throw new IllegalArgumentException(what + " (format version 1) is truncated: only " + bytes.length + " bytes");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (b.getInt() != magic) {
      throw new IllegalArgumentException("not a " + what + " (bad magic number)");
    }
    int version = b.getInt();
    if (version != PoolingStateCodec.VERSION_LEGACY) {
      throw new IllegalArgumentException(what + " has format version " + version + " in a version-1 container; "
          + "expected " + PoolingStateCodec.VERSION_LEGACY);
    }
    CRC32 crc = new CRC32();
    crc.update(bytes, 0, bytes.length - 8);
    long stored = ByteBuffer.wrap(bytes, bytes.length - 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (stored != crc.getValue()) {
      throw new IllegalArgumentException(what + " (format version 1) is truncated or damaged: checksum mismatch "
          + "(stored " + Long.toHexString(stored) + ", computed " + Long.toHexString(crc.getValue()) + ")");
    }
    return b;
  }

  /** Reads a version-1 whitening transform. */
  static WhiteningTransform readWhitening(byte[] bytes) {
    String what = "whitening transform";
    ByteBuffer b = open(bytes, WHITENING_MAGIC, 56, what);
    int d = b.getInt();
    int k = b.getInt();
    long n = b.getLong();
    double eps = b.getDouble();
    String name = string(b, bytes.length - 8, what);
    String sha = string(b, bytes.length - 8, what);
    long expected = b.position() + 4L * (d + (long) d * k + d) + 8;
    if (d < 1 || k < 1 || k > d || expected != bytes.length) {
      throw new IllegalArgumentException(what + " (format version 1) is damaged (" + bytes.length + " bytes for d=" + d
          + ", k=" + k + ")");
    }
    float[] mean = floats(b, d);
    float[] w = floats(b, d * k);
    float[] sv = floats(b, d);
    return WhiteningTransform.of(name, sha, mean, w, sv, k, n, eps);
  }

  /** Reads a version-1 pooling head. */
  static HeadState readHead(byte[] bytes) {
    String what = "pooling head";
    ByteBuffer b = open(bytes, HEAD_MAGIC, 24, what);
    int jsonLength = b.getInt();
    if (jsonLength < 2 || jsonLength > bytes.length - 24) {
      throw new IllegalArgumentException(what + " (format version 1) is damaged (config length " + jsonLength + ")");
    }
    byte[] json = new byte[jsonLength];
    b.get(json);
    int onnxLength = b.getInt();
    if (onnxLength < 1 || onnxLength != bytes.length - 12 - jsonLength - 4 - 8) {
      throw new IllegalArgumentException(what + " (format version 1) is damaged (graph length " + onnxLength + ")");
    }
    byte[] onnx = new byte[onnxLength];
    b.get(onnx);
    return new HeadState(HeadState.parseConfig(new String(json, StandardCharsets.UTF_8)), onnx);
  }

  private static float[] floats(ByteBuffer b, int n) {
    float[] v = new float[n];
    b.asFloatBuffer().get(v);
    b.position(b.position() + 4 * n);
    return v;
  }

  private static String string(ByteBuffer b, int end, String what) {
    int len = b.getInt();
    if (len < 0 || len > end - b.position()) {
      throw new IllegalArgumentException(what + " (format version 1) is damaged (string length " + len + ")");
    }
    byte[] s = new byte[len];
    b.get(s);
    return new String(s, StandardCharsets.UTF_8);
  }
}
