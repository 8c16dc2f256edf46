package dev.attnir.encoders.pooling;

import java.io.IOException;
import org.apache.lucene.index.CorruptIndexException;
import org.apache.lucene.store.DataOutput;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * A fitted whitening transform {@code y = (x - mu) W}, as in BERT-whitening (Su et al., 2021) and WhiteningBERT
 * (Huang et al., Findings of EMNLP 2021): {@code mu} and the covariance {@code Sigma} of sample vectors, the SVD
 * {@code Sigma = U S U^T}, {@code W = U diag(1 / sqrt(S))} keeping the first {@code k} columns (largest singular
 * values; {@code k < d} also shrinks the index).
 *
 * <p>Deviation: singular values below {@code epsilon * S_max} are raised to it before inverting, so near-singular
 * directions (a corpus sample smaller than needed, duplicated passages) cannot blow up; with the default epsilon
 * {@code 1e-6} no well-conditioned direction is touched.
 */
public final class WhiteningTransform {

  /** Default relative guard on small singular values. */
  public static final double DEFAULT_EPSILON = 1e-6;

  /** Codec name of the serialized form. */
  public static final String CODEC = "AttnirWhitening";
  private static final String WHAT = "whitening transform";

  private final String modelName;
  private final String modelSha256;
  private final float[] mean;
  private final float[] w; // d x k row-major
  private final float[] singularValues; // all d, descending
  private final int dims;
  private final int k;
  private final long fitCount;
  private final double epsilon;

  private WhiteningTransform(String modelName, String modelSha256, float[] mean, float[] w, float[] singularValues,
      int k, long fitCount, double epsilon) {
    this.modelName = modelName;
    this.modelSha256 = modelSha256;
    this.mean = mean;
    this.w = w;
    this.singularValues = singularValues;
    this.dims = mean.length;
    this.k = k;
    this.fitCount = fitCount;
    this.epsilon = epsilon;
  }

  /**
   * A transform from explicit parameters (tests and fixtures; {@link #fit} is the normal way to make one).
   *
   * @param mean {@code mu}, {@code d} values
   * @param w {@code W}, {@code d x k} row-major
   * @param singularValues all {@code d} singular values, descending
   */
  static WhiteningTransform of(String modelName, String modelSha256, float[] mean, float[] w, float[] singularValues,
      int k, long fitCount, double epsilon) {
    int d = mean.length;
    if (d < 1 || k < 1 || k > d || w.length != d * k || singularValues.length != d) {
      throw new IllegalArgumentException("inconsistent whitening parameters: d=" + d + ", k=" + k + ", |W|=" + w.length
          + ", singular values " + singularValues.length);
    }
    return new WhiteningTransform(modelName, modelSha256, mean.clone(), w.clone(), singularValues.clone(), k, fitCount,
        epsilon);
  }

  /**
   * Fits the transform to the accumulated vectors.
   *
   * @param modelName model whose vectors were accumulated
   * @param modelSha256 SHA-256 of that model's ONNX file
   * @param k output dimensions, 1..d
   * @throws IllegalArgumentException when there are not more vectors than dimensions (the covariance would be
   *     singular), or k is out of range
   */
  public static WhiteningTransform fit(WhiteningAccumulator acc, int k, double epsilon, String modelName,
      String modelSha256) {
    int d = acc.dims();
    if (acc.count() <= d) {
      throw new IllegalArgumentException("whitening needs more vectors than dimensions: it was fitted on "
          + acc.count() + " vectors of " + d + " dimensions, so their covariance is singular; sample at least "
          + (d + 1) + " passages");
    }
    if (k < 1 || k > d) {
      throw new IllegalArgumentException("whitening dimensions must be between 1 and " + d + ", got " + k);
    }
    if (!(epsilon >= 0)) {
      throw new IllegalArgumentException("whitening epsilon must be >= 0, got " + epsilon);
    }
    DMatrixRMaj cov = DMatrixRMaj.wrap(d, d, acc.covariance());
    SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(d, d, true, false, true);
    if (!svd.decompose(cov.copy())) {
      throw new IllegalStateException("SVD of the " + d + "x" + d + " covariance did not converge");
    }
    DMatrixRMaj u = svd.getU(null, false);
    DMatrixRMaj s = svd.getW(null);
    SingularOps_DDRM.descendingOrder(u, false, s, null, false);
    double sMax = s.get(0, 0);
    float[] sv = new float[d];
    float[] w = new float[d * k];
    for (int j = 0; j < d; j++) {
      sv[j] = (float) s.get(j, j);
    }
    for (int j = 0; j < k; j++) {
      double scale = 1.0 / Math.sqrt(Math.max(s.get(j, j), epsilon * sMax));
      for (int i = 0; i < d; i++) {
        w[i * k + j] = (float) (u.get(i, j) * scale);
      }
    }
    double[] m = acc.mean();
    float[] mean = new float[d];
    for (int i = 0; i < d; i++) {
      mean[i] = (float) m[i];
    }
    return new WhiteningTransform(modelName, modelSha256, mean, w, sv, k, acc.count(), epsilon);
  }

  /** Model the transform was fitted on. */
  public String modelName() {
    return modelName;
  }

  /** SHA-256 of that model's ONNX file. */
  public String modelSha256() {
    return modelSha256;
  }

  /** {@code (x - mu) W}. */
  public float[] apply(float[] x) {
    if (x.length != dims) {
      throw new IllegalArgumentException("vector has " + x.length + " dimensions, whitening was fitted on " + dims);
    }
    double[] acc = new double[k];
    for (int i = 0; i < dims; i++) {
      double c = x[i] - mean[i];
      int row = i * k;
      for (int j = 0; j < k; j++) {
        acc[j] += c * w[row + j];
      }
    }
    float[] y = new float[k];
    for (int j = 0; j < k; j++) {
      y[j] = (float) acc[j];
    }
    return y;
  }

  /** Input dimensions. */
  public int inputDims() {
    return dims;
  }

  /** Output dimensions. */
  public int outputDims() {
    return k;
  }

  /** Vectors the transform was fitted on. */
  public long fitCount() {
    return fitCount;
  }

  public double epsilon() {
    return epsilon;
  }

  /** Singular values of the covariance, descending. */
  public float[] singularValues() {
    return singularValues.clone();
  }

  /** The mean {@code mu}. */
  public float[] mean() {
    return mean.clone();
  }

  /** {@code W}, {@code d x k} row-major. */
  public float[] matrix() {
    return w.clone();
  }

  /**
   * Binary form: a Lucene codec container ({@value #CODEC}, format version 2) holding d
   * and k (vInts), the fit count (vLong), epsilon (as long bits), model name and model SHA-256 (Lucene strings), mean
   * ({@code d} floats), W ({@code d * k}) and singular values ({@code d}), floats as little-endian int bits.
   */
  public byte[] serialize() {
    return PoolingStateCodec.write(CODEC, WHAT, out -> {
      out.writeVInt(dims);
      out.writeVInt(k);
      out.writeVLong(fitCount);
      out.writeLong(Double.doubleToRawLongBits(epsilon));
      out.writeString(modelName);
      out.writeString(modelSha256);
      writeFloats(out, mean);
      writeFloats(out, w);
      writeFloats(out, singularValues);
    });
  }

  private static void writeFloats(DataOutput out, float[] values) throws IOException {
    for (float v : values) {
      out.writeInt(Float.floatToRawIntBits(v));
    }
  }

  /**
   * Reads the binary form: the current codec container, or the hand-rolled format version 1 of older indexes.
   *
   * @throws IllegalArgumentException when the bytes are not a whitening transform, are truncated or damaged, or have
   *     a format version this build does not read
   */
  public static WhiteningTransform deserialize(byte[] bytes) {
    if (LegacyStateV1.isWhitening(bytes)) {
      return LegacyStateV1.readWhitening(bytes);
    }
    return PoolingStateCodec.read(bytes, CODEC, WHAT, (in, version, end) -> {
      int d = in.readVInt();
      int k = in.readVInt();
      if (d < 1 || k < 1 || k > d) {
        throw new CorruptIndexException("bad dimensions d=" + d + ", k=" + k, in);
      }
      long n = in.readVLong();
      double eps = Double.longBitsToDouble(in.readLong());
      String name = in.readString();
      String sha = in.readString();
      PoolingStateCodec.checkRemaining(in, end, 4L * (d + (long) d * k + d), "mean, W and singular values");
      float[] mean = new float[d];
      float[] w = new float[d * k];
      float[] sv = new float[d];
      in.readFloats(mean, 0, d);
      in.readFloats(w, 0, d * k);
      in.readFloats(sv, 0, d);
      return new WhiteningTransform(name, sha, mean, w, sv, k, n, eps);
    });
  }
}
