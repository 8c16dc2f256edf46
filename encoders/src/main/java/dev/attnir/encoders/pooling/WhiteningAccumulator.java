package dev.attnir.encoders.pooling;

/**
 * Streaming mean and covariance of vectors (Welford's update of the co-moment matrix, in double precision), so a
 * whitening transform can be fitted over any number of vectors in one pass and constant memory.
 */
public final class WhiteningAccumulator {

  private final int dims;
  private final double[] mean;
  private final double[] comoment; // upper triangle used, row-major d x d
  private final double[] delta;
  private long count;

  public WhiteningAccumulator(int dims) {
    if (dims < 1) {
      throw new IllegalArgumentException("dims must be >= 1, got " + dims);
    }
    this.dims = dims;
    this.mean = new double[dims];
    this.comoment = new double[dims * dims];
    this.delta = new double[dims];
  }

  /** Adds one vector. */
  public void add(float[] x) {
    if (x.length != dims) {
      throw new IllegalArgumentException("vector has " + x.length + " dimensions, accumulator has " + dims);
    }
    count++;
    for (int i = 0; i < dims; i++) {
      delta[i] = x[i] - mean[i];
      mean[i] += delta[i] / count;
    }
    // C += delta_old * (x - mean_new)^T, symmetric: fill the upper triangle
    for (int i = 0; i < dims; i++) {
      double di = delta[i];
      int row = i * dims;
      for (int j = i; j < dims; j++) {
        comoment[row + j] += di * (x[j] - mean[j]);
      }
    }
  }

  public int dims() {
    return dims;
  }

  public long count() {
    return count;
  }

  /** Mean of the vectors added so far. */
  public double[] mean() {
    return mean.clone();
  }

  /** Unbiased sample covariance ({@code n - 1} in the denominator, as numpy's {@code cov}), full d x d row-major. */
  public double[] covariance() {
    if (count < 2) {
      throw new IllegalStateException("covariance needs at least 2 vectors, got " + count);
    }
    double[] c = new double[dims * dims];
    for (int i = 0; i < dims; i++) {
      for (int j = i; j < dims; j++) {
        double v = comoment[i * dims + j] / (count - 1);
        c[i * dims + j] = v;
        c[j * dims + i] = v;
      }
    }
    return c;
  }
}
