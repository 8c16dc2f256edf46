package dev.attnir.encoders;

import dev.attnir.encoders.pooling.Poolings;
import java.util.ArrayList;
import java.util.List;

/**
 * Texts to vectors: prefix, tokenize, encode ({@link OnnxEncoder}), pool ({@link Pooling}), optionally L2-normalise.
 * Queries and passages differ only in the prefix the model was trained with.
 */
public final class Embedder implements AutoCloseable {

  private final OnnxEncoder encoder;
  private final Pooling pooling;
  private final boolean ownsEncoder;
  private final TensorRequest request;
  private volatile EncodingReport lastReport = EncodingReport.empty();

  /**
   * @param encoder the encoder (not closed by this embedder)
   * @param pooling the pooling; its tensor requirements are validated against the model now
   */
  public Embedder(OnnxEncoder encoder, Pooling pooling) {
    this(encoder, pooling, false);
  }

  private Embedder(OnnxEncoder encoder, Pooling pooling, boolean ownsEncoder) {
    this.encoder = encoder;
    this.pooling = pooling;
    this.ownsEncoder = ownsEncoder;
    this.request = pooling.requirements(encoder.numLayers());
    request.validate(encoder.numLayers(), encoder.spec().name());
  }

  /** Loads the model and uses its default pooling. */
  public static Embedder load(ModelSpec spec, EncoderOptions options) {
    return load(spec, Poolings.parse(spec.pooling()), options);
  }

  /** Loads the model with the given pooling; the embedder owns and closes the encoder. */
  public static Embedder load(ModelSpec spec, Pooling pooling, EncoderOptions options) {
    OnnxEncoder encoder = OnnxEncoder.load(spec, options);
    try {
      return new Embedder(encoder, pooling, true);
    } catch (RuntimeException e) {
      encoder.close();
      throw e;
    }
  }

  public OnnxEncoder encoder() {
    return encoder;
  }

  public Pooling pooling() {
    return pooling;
  }

  public ModelSpec spec() {
    return encoder.spec();
  }

  /** Vector dimension. */
  public int dimension() {
    return pooling.dimension(encoder.hiddenSize());
  }

  /** What determines this embedder's vectors; stored by indexes and compared at query time. */
  public EmbeddingIdentity identity() {
    ModelSpec s = encoder.spec();
    return new EmbeddingIdentity(s.name(), encoder.fingerprint(), pooling.name(), pooling.parameters(), s.normalize(),
        s.maxLength(), s.queryPrefix(), s.passagePrefix(), s.similarity(), dimension());
  }

  /** Report of the most recent call (texts, tokens, truncations). */
  public EncodingReport lastReport() {
    return lastReport;
  }

  /** Embeds queries (with the model's query prefix). */
  public float[][] embedQueries(List<String> queries) {
    return embed(queries, encoder.spec().queryPrefix(), ProgressListener.none());
  }

  /** Embeds one query. */
  public float[] embedQuery(String query) {
    return embedQueries(List.of(query))[0];
  }

  /** Embeds passages (with the model's passage prefix), reporting progress per batch. */
  public float[][] embedPassages(List<String> passages, ProgressListener progress) {
    return embed(passages, encoder.spec().passagePrefix(), progress);
  }

  private float[][] embed(List<String> texts, String prefix, ProgressListener progress) {
    List<String> input = texts;
    if (!prefix.isEmpty()) {
      input = new ArrayList<>(texts.size());
      for (String t : texts) {
        input.add(prefix + t);
      }
    }
    float[][] vectors = new float[texts.size()][];
    boolean normalize = encoder.spec().normalize();
    lastReport = encoder.encode(input, request, (rows, outputs) -> {
      float[][] pooled = pooling.pool(outputs);
      for (int b = 0; b < rows.length; b++) {
        if (normalize) {
          l2Normalize(pooled[b]);
        }
        vectors[rows[b]] = pooled[b];
      }
    }, progress);
    return vectors;
  }

  /** Scales {@code v} to unit length in place (a zero vector stays zero). */
  public static void l2Normalize(float[] v) {
    double sum = 0;
    for (float x : v) {
      sum += (double) x * x;
    }
    if (sum > 0) {
      float inv = (float) (1.0 / Math.sqrt(sum));
      for (int i = 0; i < v.length; i++) {
        v[i] *= inv;
      }
    }
  }

  @Override
  public void close() {
    if (ownsEncoder) {
      encoder.close();
    }
  }
}
