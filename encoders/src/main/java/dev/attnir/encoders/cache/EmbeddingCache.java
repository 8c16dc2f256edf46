package dev.attnir.encoders.cache;

import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.Digests;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EmbeddingIdentity;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.QueryEmbedder;
import dev.attnir.encoders.TokenizedText;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Raw (unnormalised) pooled vectors on disk, keyed by everything that determines them: the model's weights digest,
 * its max length, the pooling's name and parameters, and the SHA-256 of the token ids the encoder actually sees
 * (prefix included, truncated at the max length). Encoding dominates every experiment; with the cache, re-running an
 * evaluation or adding a pooling re-encodes nothing that was encoded before.
 *
 * <p>Keying on the truncated token ids rather than on the text means that texts which differ only beyond the
 * encoder's max length share one vector: in a position-controlled set, whole documents whose relevant passage lies
 * past the first 512 tokens are one encoder input, whatever follows. Within one call, each distinct input is encoded
 * once.
 *
 * <p>One append-only file per (model, pooling): records of a 32-byte input digest and the vector. A torn last record
 * (a crash mid-write) is cut off when the file is opened. A file is read once per instance and then kept in memory;
 * vectors another process appends later are not seen by this instance (it encodes and appends them again).
 */
public final class EmbeddingCache {

  /** Part of every namespace's identity, so files written under another keying scheme are never read. */
  private static final String KEY_SCHEME = "key=sha256(token ids, type ids)";

  private static final int TOKENIZE_CHUNK = 4096;

  private final Path root;

  /**
   * Namespaces read so far, by file name. A namespace file is read once per instance: re-reading it on every call
   * cost seconds per call once a file held hundreds of thousands of vectors (one call per set and system).
   */
  private final Map<String, Namespace> loaded = new HashMap<>();

  public EmbeddingCache(Path root) {
    this.root = root;
  }

  /**
   * Raw vectors of {@code texts} (with {@code prefix} prepended) for each pooling, encoding only the inputs some
   * pooling has not cached yet, each distinct input once, in one encoder pass for all poolings.
   */
  public List<float[][]> embed(OnnxEncoder encoder, List<Pooling> poolings, List<String> texts, String prefix,
      ProgressListener progress) {
    List<Namespace> spaces = new ArrayList<>();
    for (Pooling p : poolings) {
      spaces.add(open(encoder, p));
    }
    List<String> keys = inputKeys(encoder, texts, prefix);
    Map<String, Integer> missing = new LinkedHashMap<>();
    for (int i = 0; i < texts.size(); i++) {
      String key = keys.get(i);
      for (Namespace ns : spaces) {
        if (!ns.vectors.containsKey(key)) {
          missing.putIfAbsent(key, i);
          break;
        }
      }
    }
    progress.expect(missing.size());
    if (!missing.isEmpty()) {
      List<String> toEncode = new ArrayList<>(missing.size());
      for (int i : missing.values()) {
        toEncode.add(texts.get(i));
      }
      List<float[][]> fresh = Embedder.embedWithPoolings(encoder, poolings, toEncode, prefix, false, progress);
      for (int p = 0; p < spaces.size(); p++) {
        Namespace ns = spaces.get(p);
        int m = 0;
        for (String key : missing.keySet()) {
          ns.put(key, fresh.get(p)[m++]);
        }
        ns.flush();
      }
    }
    List<float[][]> out = new ArrayList<>(poolings.size());
    for (Namespace ns : spaces) {
      float[][] v = new float[texts.size()][];
      for (int i = 0; i < texts.size(); i++) {
        v[i] = ns.vectors.get(keys.get(i));
      }
      out.add(v);
    }
    return out;
  }

  /**
   * Final vectors of one pooling (L2-normalised when {@code normalize}), as an {@link Embedder} with that pooling
   * would return them, through the cache.
   */
  public float[][] vectors(OnnxEncoder encoder, Pooling pooling, List<String> texts, String prefix, boolean normalize,
      ProgressListener progress) {
    float[][] raw = embed(encoder, List.of(pooling), texts, prefix, progress).get(0);
    return normalize ? Embedder.l2Normalized(raw) : raw;
  }

  /** A query embedder that encodes through this cache (with the model's query prefix). */
  public QueryEmbedder queryEmbedder(OnnxEncoder encoder, Pooling pooling, boolean normalize) {
    EmbeddingIdentity identity = Embedder.identity(encoder, pooling, normalize);
    return new QueryEmbedder() {
      @Override
      public EmbeddingIdentity identity() {
        return identity;
      }

      @Override
      public float[][] embedQueries(List<String> queries) {
        return vectors(encoder, pooling, queries, encoder.spec().queryPrefix(), normalize, ProgressListener.none());
      }
    };
  }

  /** Hex SHA-256 of each text's encoder input: its token ids and type ids after prefixing and truncation. */
  static List<String> inputKeys(OnnxEncoder encoder, List<String> texts, String prefix) {
    List<String> keys = new ArrayList<>(texts.size());
    MessageDigest sha = sha256();
    for (int from = 0; from < texts.size(); from += TOKENIZE_CHUNK) {
      List<String> chunk = new ArrayList<>();
      for (String t : texts.subList(from, Math.min(texts.size(), from + TOKENIZE_CHUNK))) {
        chunk.add(prefix + t);
      }
      for (TokenizedText tokens : encoder.tokenizer().encodeAll(chunk)) {
        ByteBuffer b = ByteBuffer.allocate(8 * (tokens.ids().length + tokens.typeIds().length) + 4)
            .order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(tokens.ids().length);
        for (long id : tokens.ids()) {
          b.putLong(id);
        }
        for (long id : tokens.typeIds()) {
          b.putLong(id);
        }
        keys.add(HexFormat.of().formatHex(sha.digest(b.array())));
      }
    }
    return keys;
  }

  private Namespace open(OnnxEncoder encoder, Pooling pooling) {
    StringBuilder id = new StringBuilder();
    id.append(encoder.fingerprint()).append('\n').append(encoder.spec().maxLength()).append('\n')
        .append(pooling.name()).append('\n').append(KEY_SCHEME).append('\n');
    new TreeMap<>(pooling.parameters()).forEach((k, v) -> id.append(k).append('=').append(v).append('\n'));
    String name = Digests.sha256(id.toString().getBytes(StandardCharsets.UTF_8));
    Namespace known = loaded.get(name);
    if (known != null) {
      return known;
    }
    int dims = pooling.dimension(encoder.hiddenSize());
    try {
      Files.createDirectories(root);
      Path file = root.resolve(name + ".vec");
      Files.writeString(root.resolve(name + ".txt"), encoder.spec().name() + "\n" + id);
      Namespace ns = new Namespace(file, dims);
      loaded.put(name, ns);
      return ns;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open embedding cache in " + root + ": " + e.getMessage(), e);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
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

    void put(String key, float[] v) {
      if (v.length != dims) {
        throw new IllegalStateException("vector of " + v.length + " dims in a cache of " + dims);
      }
      if (vectors.putIfAbsent(key, v) == null) {
        ByteBuffer b = ByteBuffer.allocate(recordSize).order(ByteOrder.LITTLE_ENDIAN);
        b.put(HexFormat.of().parseHex(key));
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
