package dev.attnir.eval.pipeline;

import dev.attnir.encoders.Digests;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.ProgressListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Raw (unnormalised) pooled vectors on disk, keyed by everything that determines them: the model's weights digest,
 * its max length, the pooling's name and parameters, and the SHA-256 of each input text (prefix included). Encoding
 * dominates every experiment; with the cache, re-running an evaluation or adding a pooling re-encodes nothing that
 * was encoded before.
 *
 * <p>One append-only file per (model, pooling): records of a 32-byte text digest and the vector. A torn last record
 * (a crash mid-write) is cut off when the file is opened.
 */
public final class EmbeddingCache {

  private final Path root;

  public EmbeddingCache(Path root) {
    this.root = root;
  }

  /**
   * Raw vectors of {@code texts} (with {@code prefix} prepended) for each pooling, encoding only the texts some
   * pooling has not cached yet, in one encoder pass for all poolings.
   */
  public List<float[][]> embed(OnnxEncoder encoder, List<Pooling> poolings, List<String> texts, String prefix,
      ProgressListener progress) {
    List<Namespace> spaces = new ArrayList<>();
    for (Pooling p : poolings) {
      spaces.add(open(encoder, p));
    }
    List<byte[]> keys = new ArrayList<>(texts.size());
    List<Integer> missing = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      byte[] key = sha256Bytes(prefix + texts.get(i));
      keys.add(key);
      for (Namespace ns : spaces) {
        if (!ns.vectors.containsKey(HexFormat.of().formatHex(key))) {
          missing.add(i);
          break;
        }
      }
    }
    progress.expect(missing.size());
    if (!missing.isEmpty()) {
      List<String> toEncode = new ArrayList<>(missing.size());
      for (int i : missing) {
        toEncode.add(texts.get(i));
      }
      List<float[][]> fresh = Embedder.embedWithPoolings(encoder, poolings, toEncode, prefix, false, progress);
      for (int p = 0; p < spaces.size(); p++) {
        Namespace ns = spaces.get(p);
        for (int m = 0; m < missing.size(); m++) {
          ns.put(keys.get(missing.get(m)), fresh.get(p)[m]);
        }
        ns.flush();
      }
    }
    List<float[][]> out = new ArrayList<>(poolings.size());
    for (Namespace ns : spaces) {
      float[][] v = new float[texts.size()][];
      for (int i = 0; i < texts.size(); i++) {
        v[i] = ns.vectors.get(HexFormat.of().formatHex(keys.get(i)));
      }
      out.add(v);
    }
    return out;
  }

  private Namespace open(OnnxEncoder encoder, Pooling pooling) {
    StringBuilder id = new StringBuilder();
    id.append(encoder.fingerprint()).append('\n').append(encoder.spec().maxLength()).append('\n')
        .append(pooling.name()).append('\n');
    new TreeMap<>(pooling.parameters()).forEach((k, v) -> id.append(k).append('=').append(v).append('\n'));
    String name = Digests.sha256(id.toString().getBytes(StandardCharsets.UTF_8));
    int dims = pooling.dimension(encoder.hiddenSize());
    try {
      Files.createDirectories(root);
      Path file = root.resolve(name + ".vec");
      Files.writeString(root.resolve(name + ".txt"), encoder.spec().name() + "\n" + id);
      return new Namespace(file, dims);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open embedding cache in " + root + ": " + e.getMessage(), e);
    }
  }

  private static byte[] sha256Bytes(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One (model, pooling) file. */
  private static final class Namespace {
    private final Path file;
    private final int dims;
    private final int recordSize;
    private final Map<String, float[]> vectors = new HashMap<>();
    private final List<byte[]> pending = new ArrayList<>();

    Namespace(Path file, int dims) throws IOException {
      this.file = file;
      this.dims = dims;
      this.recordSize = 32 + 4 * dims;
      if (Files.exists(file)) {
        byte[] all = Files.readAllBytes(file);
        int complete = all.length / recordSize;
        if (complete * recordSize != all.length) {
          try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate((long) complete * recordSize);
          }
        }
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        byte[] key = new byte[32];
        for (int r = 0; r < complete; r++) {
          b.get(key);
          float[] v = new float[dims];
          for (int k = 0; k < dims; k++) {
            v[k] = b.getFloat();
          }
          vectors.put(HexFormat.of().formatHex(key), v);
        }
      }
    }

    void put(byte[] key, float[] v) {
      if (v.length != dims) {
        throw new IllegalStateException("vector of " + v.length + " dims in a cache of " + dims);
      }
      if (vectors.putIfAbsent(HexFormat.of().formatHex(key), v) == null) {
        ByteBuffer b = ByteBuffer.allocate(recordSize).order(ByteOrder.LITTLE_ENDIAN);
        b.put(key);
        for (float x : v) {
          b.putFloat(x);
        }
        pending.add(b.array());
      }
    }

    void flush() {
      if (pending.isEmpty()) {
        return;
      }
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.APPEND)) {
        for (byte[] rec : pending) {
          ch.write(ByteBuffer.wrap(rec));
        }
        ch.force(false);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write embedding cache " + file + ": " + e.getMessage(), e);
      }
      pending.clear();
    }
  }
}
