package dev.attnir.encoders.pooling;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;
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

  private static final int MAGIC = 0x41545748; // "ATWH"
  private static final int VERSION = 1;

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
   * Binary form (little-endian): magic, version, d, k, fit count, epsilon, model name (length-prefixed UTF-8), model
   * SHA-256 (length-prefixed), mean, W, singular values, CRC32 of everything before it.
   */
  public byte[] serialize() {
    byte[] name = modelName.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] sha = modelSha256.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int size = 4 + 4 + 4 + 4 + 8 + 8 + 4 + name.length + 4 + sha.length + 4 * (dims + dims * k + dims) + 8;
    ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(MAGIC).putInt(VERSION).putInt(dims).putInt(k).putLong(fitCount).putDouble(epsilon);
    b.putInt(name.length).put(name).putInt(sha.length).put(sha);
    for (float v : mean) {
      b.putFloat(v);
    }
    for (float v : w) {
      b.putFloat(v);
    }
    for (float v : singularValues) {
      b.putFloat(v);
    }
    CRC32 crc = new CRC32();
    crc.update(b.array(), 0, b.position());
    b.putLong(crc.getValue());
    return b.array();
  }

  /**
   * Reads the binary form.
   *
   * @throws IllegalArgumentException when the bytes are not a whitening transform or are damaged
   */
  public static WhiteningTransform deserialize(byte[] bytes) {
    if (bytes.length < 56) {
      throw new IllegalArgumentException("not a whitening transform (only " + bytes.length + " bytes)");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (b.getInt() != MAGIC) {
      throw new IllegalArgumentException("not a whitening transform (bad magic number)");
    }
    int version = b.getInt();
    if (version != VERSION) {
      throw new IllegalArgumentException("unsupported whitening transform version " + version);
    }
    CRC32 crc = new CRC32();
    crc.update(bytes, 0, bytes.length - 8);
    long stored = ByteBuffer.wrap(bytes, bytes.length - 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (stored != crc.getValue()) {
      throw new IllegalArgumentException("whitening transform is truncated or damaged (checksum mismatch)");
    }
    int d = b.getInt();
    int k = b.getInt();
    long n = b.getLong();
    double eps = b.getDouble();
    String name = string(b, bytes.length);
    String sha = string(b, bytes.length);
    long expected = b.position() + 4L * (d + (long) d * k + d) + 8;
    if (d < 1 || k < 1 || k > d || expected != bytes.length) {
      throw new IllegalArgumentException("whitening transform is damaged (" + bytes.length + " bytes for d=" + d
          + ", k=" + k + ")");
    }
    float[] mean = new float[d];
    float[] w = new float[d * k];
    float[] sv = new float[d];
    for (int i = 0; i < d; i++) {
      mean[i] = b.getFloat();
    }
    for (int i = 0; i < d * k; i++) {
      w[i] = b.getFloat();
    }
    for (int i = 0; i < d; i++) {
      sv[i] = b.getFloat();
    }
    return new WhiteningTransform(name, sha, mean, w, sv, k, n, eps);
  }

  private static String string(ByteBuffer b, int total) {
    int len = b.getInt();
    if (len < 0 || len > total - b.position()) {
      throw new IllegalArgumentException("whitening transform is damaged (string length " + len + ")");
    }
    byte[] s = new byte[len];
    b.get(s);
    return new String(s, java.nio.charset.StandardCharsets.UTF_8);
  }
}
