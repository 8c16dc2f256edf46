package dev.attnir.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The multi-layer trainable pooling head as DJL arrays with gradients: the architecture of PoolingAndAttn's
 * {@code PerceiverResampler} (per-layer position embedding; latents cross-attending over the layer vectors with
 * pre-LayerNorm on both sides and a residual; GEGLU feed-forward with pre-LayerNorm and a residual; mean over latents;
 * L2 normalisation). Weights are stored input-major ({@code y = x W}); initialisation follows PyTorch's defaults
 * (latents and position embeddings N(0, 1), linear layers U(+-1/sqrt(fan_in)), LayerNorm scale 1 and shift 0) from a
 * seeded generator, so a seed fixes the run.
 */
public final class HeadModel implements AutoCloseable {

  /** LayerNorm epsilon, PyTorch's default. */
  public static final float LN_EPSILON = 1e-5f;

  private final HeadShape shape;
  private final NDManager manager;
  private final Map<String, NDArray> params = new LinkedHashMap<>();
  private final NDArray attentionScale;

  private HeadModel(HeadShape shape, NDManager manager) {
    this.shape = shape;
    this.manager = manager;
    this.attentionScale = manager.create((float) (1.0 / Math.sqrt(shape.headDim())));
  }

  /** A freshly initialised head. */
  public static HeadModel initialize(HeadShape s, long seed) {
    HeadModel m = new HeadModel(s, NDManager.newBaseManager());
    Random r = new Random(seed);
    int d = s.hidden();
    int inner = s.inner();
    int ff = s.ffMult() * d;
    m.add("pos_emb", normal(r, s.layers() * d), s.layers(), d);
    m.add("latents", normal(r, s.latents() * d), s.latents(), d);
    m.add("ln_layers.gamma", fill(d, 1f), d);
    m.add("ln_layers.beta", fill(d, 0f), d);
    m.add("ln_latents.gamma", fill(d, 1f), d);
    m.add("ln_latents.beta", fill(d, 0f), d);
    m.add("to_q", uniform(r, d * inner, d), d, inner);
    m.add("to_kv", uniform(r, d * 2 * inner, d), d, 2 * inner);
    m.add("to_out", uniform(r, inner * d, inner), inner, d);
    m.add("ln_ff.gamma", fill(d, 1f), d);
    m.add("ln_ff.beta", fill(d, 0f), d);
    m.add("ff1.weight", uniform(r, d * 2 * ff, d), d, 2 * ff);
    m.add("ff1.bias", uniform(r, 2 * ff, d), 2 * ff);
    m.add("ff2.weight", uniform(r, ff * d, ff), ff, d);
    m.add("ff2.bias", uniform(r, d, ff), d);
    return m;
  }

  /** A head with given parameter values (e.g. restored for checking an export). */
  public static HeadModel of(HeadShape s, Map<String, float[]> values) {
    HeadModel init = initialize(s, 0);
    for (var e : values.entrySet()) {
      NDArray p = init.params.get(e.getKey());
      if (p == null || p.size() != e.getValue().length) {
        init.close();
        throw new IllegalArgumentException("parameter " + e.getKey() + " does not fit the head shape " + s);
      }
      p.set(e.getValue());
    }
    return init;
  }

  private void add(String name, float[] values, long... dims) {
    NDArray a = manager.create(values, new Shape(dims));
    a.setRequiresGradient(true);
    params.put(name, a);
  }

  private static float[] normal(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  private static float[] uniform(Random r, int n, int fanIn) {
    float bound = (float) (1.0 / Math.sqrt(fanIn));
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (r.nextFloat() * 2 - 1) * bound;
    }
    return v;
  }

  private static float[] fill(int n, float x) {
    float[] v = new float[n];
    java.util.Arrays.fill(v, x);
    return v;
  }

  public HeadShape shape() {
    return shape;
  }

  /** Trainable parameters by name. */
  public Map<String, NDArray> parameters() {
    return params;
  }

  /** Parameter values copied out of the engine. */
  public Map<String, float[]> values() {
    Map<String, float[]> out = new LinkedHashMap<>();
    params.forEach((k, v) -> out.put(k, v.toFloatArray()));
    return out;
  }

  /** Total trainable values. */
  public long size() {
    return params.values().stream().mapToLong(NDArray::size).sum();
  }

  /**
   * Forward pass. DJL attaches an operation's result to its first operand's manager, so parameters are used through
   * views attached to {@code scope}: everything the pass creates is freed with the scope, and gradients still reach
   * the parameters through the views.
   *
   * @param features {@code [batch, layers * hidden]} (one vector per layer, concatenated)
   * @param scope manager owning the pass's intermediate arrays (closed by the caller after backward)
   * @return L2-normalised embeddings {@code [batch, hidden]}
   */
  public NDArray forward(NDArray features, NDManager scope) {
    Map<String, NDArray> views = new LinkedHashMap<>();
    for (var e : params.entrySet()) {
      NDArray view = e.getValue().reshape(e.getValue().getShape());
      view.attach(scope);
      views.put(e.getKey(), view);
    }
    return forward(features, views);
  }

  private NDArray forward(NDArray features, Map<String, NDArray> w) {
    java.util.function.Function<String, NDArray> p = w::get;
    HeadShape s = shape;
    long b = features.getShape().get(0);
    int d = s.hidden();
    int heads = s.heads();
    int dh = s.headDim();
    int inner = s.inner();
    int ff = s.ffMult() * d;
    NDArray h = features.reshape(b, s.layers(), d).add(p.apply("pos_emb"));
    NDArray hn = layerNorm(h, w, "ln_layers");
    NDArray lat = p.apply("latents");
    NDArray latn = layerNorm(lat, w, "ln_latents");
    NDArray q = latn.matMul(p.apply("to_q")).reshape(s.latents(), heads, dh).transpose(1, 0, 2);
    NDList kv = hn.matMul(p.apply("to_kv")).split(new long[] {inner}, 2);
    NDArray k = kv.get(0).reshape(b, s.layers(), heads, dh).transpose(0, 2, 3, 1);
    NDArray v = kv.get(1).reshape(b, s.layers(), heads, dh).transpose(0, 2, 1, 3);
    NDArray attn = q.matMul(k).mul(attentionScale).softmax(-1);
    NDArray o = attn.matMul(v).transpose(0, 2, 1, 3).reshape(b, s.latents(), inner);
    NDArray x = o.matMul(p.apply("to_out")).add(lat);
    NDArray xn = layerNorm(x, w, "ln_ff");
    NDList ab = xn.matMul(p.apply("ff1.weight")).add(p.apply("ff1.bias")).split(new long[] {ff}, 2);
    NDArray geglu = ab.get(0).mul(ab.get(1).getNDArrayInternal().gelu());
    x = geglu.matMul(p.apply("ff2.weight")).add(p.apply("ff2.bias")).add(x);
    NDArray y = x.mean(new int[] {1});
    return y.div(y.norm(new int[] {-1}, true));
  }

  private NDArray layerNorm(NDArray x, Map<String, NDArray> w, String prefix) {
    return LayerNorm.layerNorm(x, new Shape(shape.hidden()), w.get(prefix + ".gamma"), w.get(prefix + ".beta"),
        LN_EPSILON).singletonOrThrow();
  }

  /** Manager owning the parameters. */
  public NDManager manager() {
    return manager;
  }

  @Override
  public void close() {
    manager.close();
  }
}
