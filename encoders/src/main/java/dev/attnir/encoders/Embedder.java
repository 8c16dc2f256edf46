package dev.attnir.encoders;

import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.pooling.Poolings;
import java.util.ArrayList;
import java.util.List;

/**
 * Texts to vectors: prefix, tokenize, encode ({@link OnnxEncoder}), pool ({@link Pooling}), optionally L2-normalise.
 * Queries and passages differ only in the prefix the model was trained with.
 */
public final class Embedder implements QueryEmbedder, AutoCloseable {

  private static final String PROBE = "A probe sentence checks the pooling when the embedder is created.";

  private final OnnxEncoder encoder;
  private final Pooling pooling;
  private final boolean ownsEncoder;
  private final boolean normalize;
  private final TensorRequest request;
  private volatile EncodingReport lastReport = EncodingReport.empty();

  /**
   * @param encoder the encoder (not closed by this embedder)
   * @param pooling the pooling; it is validated against the model now
   */
  public Embedder(OnnxEncoder encoder, Pooling pooling) {
    this(encoder, pooling, false, encoder.spec().normalize());
  }

  private Embedder(OnnxEncoder encoder, Pooling pooling, boolean ownsEncoder, boolean normalize) {
    this.encoder = encoder;
    this.pooling = pooling;
    this.ownsEncoder = ownsEncoder;
    this.normalize = normalize;
    this.request = validate(encoder, pooling);
  }

  /**
   * Checks a pooling against a model: the tensors it reads exist, anything fitted or trained on a model was fitted on
   * these weights, and it runs on a probe text (so a bad layer or head fails here, naming the valid range).
   *
   * @return the tensors the pooling needs
   */
  public static TensorRequest validate(OnnxEncoder encoder, Pooling pooling) {
    if (pooling instanceof ModelBound bound && !bound.modelSha256().equals(encoder.fingerprint())) {
      throw new IllegalArgumentException("pooling " + pooling.name() + " was fitted on model " + bound.modelName()
          + " (sha256 " + bound.modelSha256().substring(0, 12) + "...), not on " + encoder.spec().name()
          + " (sha256 " + encoder.fingerprint().substring(0, 12) + "...)");
    }
    PrimaryOutput primary = encoder.primaryOutput();
    if (primary.kind() != PrimaryOutput.Kind.TOKEN_STATES) {
      throw new IllegalArgumentException("model " + encoder.spec().name() + " outputs " + primary.describe()
          + ", not last_hidden_state [batch, seq, hidden]: an embedder pools token states, so it cannot use this "
          + "model" + (primary.kind() == PrimaryOutput.Kind.SEQUENCE_SCORES
              ? " (score pairs with OnnxEncoder.score instead)" : ""));
    }
    TensorRequest request;
    try {
      request = pooling.requirements(encoder.numLayers());
    } catch (RuntimeException e) {
      if (!encoder.canExpose()) {
        throw new IllegalArgumentException("pooling " + pooling.name() + " cannot run on model "
            + encoder.spec().name() + ": its " + encoder.layout().name() + " graph layout cannot expose hidden "
            + "states or attention (" + encoder.layout().exposureUnavailableReason() + ")", e);
      }
      throw e;
    }
    encoder.validate(request);
    pooling.dimension(encoder.hiddenSize());
    encoder.encode(List.of(PROBE), request, (rows, out) -> pooling.pool(out), ProgressListener.none());
    return request;
  }

  /** Loads the model and uses its default pooling. */
  public static Embedder load(ModelSpec spec, EncoderOptions options) {
    return load(spec, Poolings.parse(spec.pooling(), spec), options);
  }

  /** Loads the model with the given pooling; the embedder owns and closes the encoder. */
  public static Embedder load(ModelSpec spec, Pooling pooling, EncoderOptions options) {
    OnnxEncoder encoder = OnnxEncoder.load(spec, options);
    try {
      return new Embedder(encoder, pooling, true, spec.normalize());
    } catch (RuntimeException e) {
      encoder.close();
      throw e;
    }
  }

  /** An embedder over an already loaded encoder that it owns and closes. */
  public static Embedder owning(OnnxEncoder encoder, Pooling pooling) {
    return new Embedder(encoder, pooling, true, encoder.spec().normalize());
  }

  /** An embedder returning the pooling's raw vectors, never normalised (e.g. to fit a whitening transform on). */
  public static Embedder raw(OnnxEncoder encoder, Pooling pooling) {
    return new Embedder(encoder, pooling, false, false);
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
  @Override
  public EmbeddingIdentity identity() {
    return identity(encoder, pooling, normalize);
  }

  /**
   * The identity of vectors made by {@code pooling} on {@code encoder}'s outputs (L2-normalised or not) with the
   * model's prefixes and max length, whether or not an embedder makes them (experiments pool cached outputs).
   */
  public static EmbeddingIdentity identity(OnnxEncoder encoder, Pooling pooling, boolean normalize) {
    ModelSpec s = encoder.spec();
    return new EmbeddingIdentity(s.name(), encoder.fingerprint(), pooling.name(), pooling.parameters(), normalize,
        s.maxLength(), s.queryPrefix(), s.passagePrefix(), s.similarity(), pooling.dimension(encoder.hiddenSize()));
  }

  /** Report of the most recent call (texts, tokens, truncations). */
  public EncodingReport lastReport() {
    return lastReport;
  }

  /** Embeds queries (with the model's query prefix). */
  @Override
  public float[][] embedQueries(List<String> queries) {
    return embed(queries, encoder.spec().queryPrefix(), ProgressListener.none());
  }

  /** Embeds one query. */
  @Override
  public float[] embedQuery(String query) {
    return embedQueries(List.of(query))[0];
  }

  /** Embeds passages (with the model's passage prefix), reporting progress per batch. */
  public float[][] embedPassages(List<String> passages, ProgressListener progress) {
    return embed(passages, encoder.spec().passagePrefix(), progress);
  }

  private float[][] embed(List<String> texts, String prefix, ProgressListener progress) {
    List<float[][]> out = new ArrayList<>(1);
    lastReport = embedAll(encoder, List.of(pooling), request, texts, prefix, normalize, progress, out);
    return out.get(0);
  }

  /**
   * Embeds texts with several poolings from one encoder pass (the union of their tensor requests): one result per
   * pooling, in order. Poolings that read only {@code last_hidden_state} share the pass with the others.
   */
  public static List<float[][]> embedWithPoolings(OnnxEncoder encoder, List<Pooling> poolings, List<String> texts,
      String prefix, boolean normalize, ProgressListener progress) {
    TensorRequest union = TensorRequest.none();
    for (Pooling p : poolings) {
      union = union.union(validate(encoder, p));
    }
    List<float[][]> out = new ArrayList<>(poolings.size());
    embedAll(encoder, poolings, union, texts, prefix, normalize, progress, out);
    return out;
  }

  private static EncodingReport embedAll(OnnxEncoder encoder, List<Pooling> poolings, TensorRequest request,
      List<String> texts, String prefix, boolean normalize, ProgressListener progress, List<float[][]> out) {
    List<String> input = texts;
    if (!prefix.isEmpty()) {
      input = new ArrayList<>(texts.size());
      for (String t : texts) {
        input.add(prefix + t);
      }
    }
    for (int p = 0; p < poolings.size(); p++) {
      out.add(new float[texts.size()][]);
    }
    return encoder.encode(input, request, (rows, outputs) -> {
      for (int p = 0; p < poolings.size(); p++) {
        float[][] pooled = poolings.get(p).pool(outputs);
        float[][] target = out.get(p);
        for (int b = 0; b < rows.length; b++) {
          if (normalize) {
            l2Normalize(pooled[b]);
          }
          target[rows[b]] = pooled[b];
        }
      }
    }, progress);
  }

  /**
   * Unit-length copies of raw pooled vectors, as an embedder that normalises would have returned them (experiments
   * pool once, cache the raw vectors, and normalise here).
   */
  public static float[][] l2Normalized(float[][] raw) {
    float[][] out = new float[raw.length][];
    for (int i = 0; i < raw.length; i++) {
      out[i] = raw[i].clone();
      l2Normalize(out[i]);
    }
    return out;
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
    try {
      if (pooling instanceof AutoCloseable c) {
        c.close();
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      if (ownsEncoder) {
        encoder.close();
      }
    }
  }
}
