package dev.attnir.rerankers.trained;

import java.util.Map;

/**
 * The anchor of one view of the multi-view reranker: a vector {@code a_k} summarising the view embeddings
 * {@code e_1k .. e_nk} of a query's {@code n} candidates, against which every candidate's view embedding is scored
 * ({@link MvpReranker}). All arithmetic is in double precision, over the candidates in the order given (the caller's
 * canonical order), so the result does not depend on the order candidates arrived in.
 *
 * <p>{@code mean}: {@code a = (1/n) Σ_i e_i}.
 *
 * <p>{@code learned}: one cross-attention block whose query is a learned start vector (it stands in for the first
 * decoder step of MVP's T5 decoder attending over the encoder outputs). Kernels are {@code [in, out]}
 * ({@code y = x·W + b}):
 * <pre>
 *   q = start·Wq + bq;  K_i = e_i·Wk + bk;  V_i = e_i·Wv + bv;  H heads of dh = d/H
 *   p_ih = softmax_i(q_h·K_ih / sqrt(dh));  c_h = Σ_i p_ih V_ih;  c = concat_h c_h
 *   a = LayerNorm(start + c·Wo + bo)   (anchor.ln.weight/bias, eps anchorLnEps, biased variance)
 * </pre>
 * Computed in the equivalent factored form, which avoids projecting every candidate: {@code q_h·K_ih =
 * e_i·(Wk_h q_h) + q_h·bk_h} (with {@code Wk_h} the columns of head {@code h}) and, since the {@code p_ih} sum to 1,
 * {@code c_h = (Σ_i p_ih e_i)·Wv_h + bv_h}. The result equals the direct form up to double rounding. The softmax
 * subtracts the largest logit first; one candidate gets weight 1.
 */
public final class MvpAnchor {

  private final int d;
  private final int heads;
  private final double eps;
  private final boolean learned;
  private final float[] start;
  private final float[] wq;
  private final float[] bq;
  private final float[] wk;
  private final float[] bk;
  private final float[] wv;
  private final float[] bv;
  private final float[] wo;
  private final float[] bo;
  private final float[] lnW;
  private final float[] lnB;
  /** {@code q}, per head {@code Wk_h q_h} ([H][d]) and {@code q_h·bk_h}: independent of the candidates. */
  private final double[][] keyProbe;
  private final double[] keyBias;

  private MvpAnchor(int d, int heads, double eps, boolean learned, Map<String, float[]> t) {
    this.d = d;
    this.heads = heads;
    this.eps = eps;
    this.learned = learned;
    this.start = t.get("anchor.start");
    this.wq = t.get("anchor.q.weight");
    this.bq = t.get("anchor.q.bias");
    this.wk = t.get("anchor.k.weight");
    this.bk = t.get("anchor.k.bias");
    this.wv = t.get("anchor.v.weight");
    this.bv = t.get("anchor.v.bias");
    this.wo = t.get("anchor.o.weight");
    this.bo = t.get("anchor.o.bias");
    this.lnW = t.get("anchor.ln.weight");
    this.lnB = t.get("anchor.ln.bias");
    if (!learned) {
      keyProbe = null;
      keyBias = null;
      return;
    }
    int dh = d / heads;
    double[] q = new double[d];
    for (int o = 0; o < d; o++) {
      double s = bq[o];
      for (int i = 0; i < d; i++) {
        s += (double) start[i] * wq[i * d + o];
      }
      q[o] = s;
    }
    double scale = 1 / Math.sqrt(dh);
    keyProbe = new double[heads][d];
    keyBias = new double[heads];
    for (int h = 0; h < heads; h++) {
      for (int i = 0; i < d; i++) {
        double s = 0;
        for (int j = h * dh; j < (h + 1) * dh; j++) {
          s += (double) wk[i * d + j] * q[j];
        }
        keyProbe[h][i] = s * scale;
      }
      double b = 0;
      for (int j = h * dh; j < (h + 1) * dh; j++) {
        b += q[j] * bk[j];
      }
      keyBias[h] = b * scale;
    }
  }

  /**
   * The anchor an artifact describes.
   *
   * @param tensors the artifact's tensors (those named in {@link MvpSettings#LEARNED_TENSORS} are used when the
   *     anchor is learned; their shapes were checked by {@link TrainedGraph})
   * @param d the hidden size
   * @throws IllegalArgumentException when d is not a multiple of {@code anchorHeads}, or a tensor is missing
   */
  public static MvpAnchor of(MvpSettings settings, Map<String, float[]> tensors, int d, String source) {
    if (settings.learned()) {
      if (d % settings.anchorHeads() != 0) {
        throw new IllegalArgumentException(source + ": setting anchorHeads=" + settings.anchorHeads()
            + " does not divide the hidden size " + d);
      }
      for (String name : MvpSettings.LEARNED_TENSORS) {
        float[] v = tensors.get(name);
        long want = name.endsWith(".weight") && !name.startsWith("anchor.ln.") ? (long) d * d : d;
        if (v == null || v.length != want) {
          throw new IllegalArgumentException(source + ": the learned anchor needs tensor " + name + " with " + want
              + " values, got " + (v == null ? "none" : v.length));
        }
      }
    }
    return new MvpAnchor(d, settings.anchorHeads(), settings.anchorLnEps(), settings.learned(), tensors);
  }

  /** The hidden size d. */
  public int hiddenSize() {
    return d;
  }

  /**
   * The anchor of one view.
   *
   * @param views {@code [n][d]}: the view's embedding of each candidate, in canonical order ({@code n >= 1})
   */
  public double[] anchor(float[][] views) {
    int n = views.length;
    if (n == 0) {
      throw new IllegalArgumentException("an anchor needs at least one candidate");
    }
    if (!learned) {
      double[] a = new double[d];
      for (float[] e : views) {
        for (int j = 0; j < d; j++) {
          a[j] += e[j];
        }
      }
      for (int j = 0; j < d; j++) {
        a[j] /= n;
      }
      return a;
    }
    int dh = d / heads;
    double[] c = new double[d];
    double[] logits = new double[n];
    double[] pooled = new double[d];
    for (int h = 0; h < heads; h++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < n; i++) {
        double s = keyBias[h];
        float[] e = views[i];
        double[] probe = keyProbe[h];
        for (int j = 0; j < d; j++) {
          s += e[j] * probe[j];
        }
        logits[i] = s;
        max = Math.max(max, s);
      }
      double sum = 0;
      for (int i = 0; i < n; i++) {
        logits[i] = Math.exp(logits[i] - max);
        sum += logits[i];
      }
      java.util.Arrays.fill(pooled, 0);
      for (int i = 0; i < n; i++) {
        double p = logits[i] / sum;
        float[] e = views[i];
        for (int j = 0; j < d; j++) {
          pooled[j] += p * e[j];
        }
      }
      for (int o = h * dh; o < (h + 1) * dh; o++) {
        double s = bv[o];
        for (int j = 0; j < d; j++) {
          s += pooled[j] * wv[j * d + o];
        }
        c[o] = s;
      }
    }
    double[] x = new double[d];
    for (int o = 0; o < d; o++) {
      double s = (double) start[o] + bo[o];
      for (int j = 0; j < d; j++) {
        s += c[j] * wo[j * d + o];
      }
      x[o] = s;
    }
    double mean = 0;
    for (double v : x) {
      mean += v;
    }
    mean /= d;
    double var = 0;
    for (double v : x) {
      var += (v - mean) * (v - mean);
    }
    var /= d;
    double inv = 1 / Math.sqrt(var + eps);
    for (int j = 0; j < d; j++) {
      x[j] = (x[j] - mean) * inv * lnW[j] + lnB[j];
    }
    return x;
  }
}
