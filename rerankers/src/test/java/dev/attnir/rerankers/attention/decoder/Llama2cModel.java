package dev.attnir.rerankers.attention.decoder;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A llama2.c checkpoint (Karpathy's {@code run.c} format) and a plain-Java forward written from {@code run.c}: the
 * independent reference the ONNX Llama graph and the decoder reader are checked against. Header: dim, hidden_dim,
 * n_layers, n_heads, n_kv_heads, vocab_size (negative = unshared classifier), seq_len; then float32 weights, matrices
 * stored (out, in) row-major.
 */
final class Llama2cModel {

  final int dim;
  final int hidden;
  final int layers;
  final int heads;
  final int kvHeads;
  final int vocab;
  final int seqLen;
  final int headSize;
  final int kvDim;
  final float[] embedding; // [vocab, dim]
  final float[][] rmsAtt; // [layer][dim]
  final float[][] wq; // [layer][dim * dim] (out, in)
  final float[][] wk; // [layer][kvDim * dim]
  final float[][] wv;
  final float[][] wo; // [layer][dim * dim]
  final float[][] rmsFfn;
  final float[][] w1; // [layer][hidden * dim]
  final float[][] w2; // [layer][dim * hidden]
  final float[][] w3;
  final float[] rmsFinal;
  final float[] classifier; // [vocab, dim]

  private Llama2cModel(ByteBuffer b) {
    dim = b.getInt();
    hidden = b.getInt();
    layers = b.getInt();
    heads = b.getInt();
    kvHeads = b.getInt();
    int v = b.getInt();
    boolean shared = v > 0;
    vocab = Math.abs(v);
    seqLen = b.getInt();
    headSize = dim / heads;
    kvDim = kvHeads * headSize;
    var f = b.asFloatBuffer();
    embedding = take(f, vocab * dim);
    rmsAtt = take(f, layers, dim);
    wq = take(f, layers, dim * dim);
    wk = take(f, layers, kvDim * dim);
    wv = take(f, layers, kvDim * dim);
    wo = take(f, layers, dim * dim);
    rmsFfn = take(f, layers, dim);
    w1 = take(f, layers, hidden * dim);
    w2 = take(f, layers, dim * hidden);
    w3 = take(f, layers, hidden * dim);
    rmsFinal = take(f, dim);
    f.position(f.position() + seqLen * headSize); // the unused freq_cis_real and freq_cis_imag tables
    classifier = shared ? embedding : take(f, vocab * dim);
    if (f.hasRemaining()) {
      throw new IllegalStateException(f.remaining() + " floats left over after the weights");
    }
  }

  static Llama2cModel read(Path file) throws IOException {
    return new Llama2cModel(ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN));
  }

  private static float[] take(java.nio.FloatBuffer f, int n) {
    float[] out = new float[n];
    f.get(out);
    return out;
  }

  private static float[][] take(java.nio.FloatBuffer f, int rows, int n) {
    float[][] out = new float[rows][];
    for (int i = 0; i < rows; i++) {
      out[i] = take(f, n);
    }
    return out;
  }

  /** Logits per position and attention probabilities [layer][head][query pos][key pos] (0 beyond the query). */
  record Output(float[][] logits, float[][][][] attention) {}

  /** run.c's forward over a whole sequence, one position at a time with a key/value cache. */
  Output forward(int[] tokens) {
    int n = tokens.length;
    float[][][] keyCache = new float[layers][n][];
    float[][][] valueCache = new float[layers][n][];
    float[][] logits = new float[n][];
    float[][][][] attention = new float[layers][heads][n][n];
    int kvMul = heads / kvHeads;
    for (int pos = 0; pos < n; pos++) {
      float[] x = new float[dim];
      System.arraycopy(embedding, tokens[pos] * dim, x, 0, dim);
      for (int l = 0; l < layers; l++) {
        float[] xb = rmsnorm(x, rmsAtt[l]);
        float[] q = matmul(xb, wq[l], dim, dim);
        float[] k = matmul(xb, wk[l], dim, kvDim);
        float[] v = matmul(xb, wv[l], dim, kvDim);
        for (int i = 0; i < dim; i += 2) {
          int headDim = i % headSize;
          double freq = 1.0 / Math.pow(10000.0, headDim / (double) headSize);
          double val = pos * freq;
          float fcr = (float) Math.cos(val);
          float fci = (float) Math.sin(val);
          int rotn = i < kvDim ? 2 : 1;
          for (int which = 0; which < rotn; which++) {
            float[] vec = which == 0 ? q : k;
            float v0 = vec[i];
            float v1 = vec[i + 1];
            vec[i] = v0 * fcr - v1 * fci;
            vec[i + 1] = v0 * fci + v1 * fcr;
          }
        }
        keyCache[l][pos] = k;
        valueCache[l][pos] = v;
        float[] out = new float[dim];
        for (int h = 0; h < heads; h++) {
          int kvh = h / kvMul;
          double[] att = new double[pos + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int t = 0; t <= pos; t++) {
            double score = 0;
            for (int i = 0; i < headSize; i++) {
              score += q[h * headSize + i] * keyCache[l][t][kvh * headSize + i];
            }
            att[t] = score / Math.sqrt(headSize);
            max = Math.max(max, att[t]);
          }
          double sum = 0;
          for (int t = 0; t <= pos; t++) {
            att[t] = Math.exp(att[t] - max);
            sum += att[t];
          }
          for (int t = 0; t <= pos; t++) {
            att[t] /= sum;
            attention[l][h][pos][t] = (float) att[t];
            for (int i = 0; i < headSize; i++) {
              out[h * headSize + i] += (float) (att[t] * valueCache[l][t][kvh * headSize + i]);
            }
          }
        }
        float[] o = matmul(out, wo[l], dim, dim);
        for (int i = 0; i < dim; i++) {
          x[i] += o[i];
        }
        xb = rmsnorm(x, rmsFfn[l]);
        float[] hb = matmul(xb, w1[l], dim, hidden);
        float[] hb2 = matmul(xb, w3[l], dim, hidden);
        for (int i = 0; i < hidden; i++) {
          float s = hb[i];
          hb[i] = (float) (s / (1.0 + Math.exp(-s))) * hb2[i];
        }
        float[] down = matmul(hb, w2[l], hidden, dim);
        for (int i = 0; i < dim; i++) {
          x[i] += down[i];
        }
      }
      x = rmsnorm(x, rmsFinal);
      logits[pos] = matmul(x, classifier, dim, vocab);
    }
    return new Output(logits, attention);
  }

  /** run.c's rmsnorm: w * x / sqrt(mean(x^2) + 1e-5). */
  private static float[] rmsnorm(float[] x, float[] w) {
    double ss = 0;
    for (float v : x) {
      ss += v * v;
    }
    ss = ss / x.length + 1e-5;
    double scale = 1.0 / Math.sqrt(ss);
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = (float) (w[i] * (scale * x[i]));
    }
    return out;
  }

  /** W (d, n) times x (n): run.c's matmul. */
  private static float[] matmul(float[] x, float[] w, int n, int d) {
    float[] out = new float[d];
    for (int i = 0; i < d; i++) {
      double s = 0;
      for (int j = 0; j < n; j++) {
        s += w[i * n + j] * x[j];
      }
      out[i] = (float) s;
    }
    return out;
  }
}
