package dev.attnir.encoders.pooling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.encoders.Digests;
import dev.attnir.encoders.StatefulPooling;
import java.util.Map;
import java.util.Random;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.Test;

class WhiteningTest {

  /** Correlated Gaussian vectors: x = A z + offset. */
  private static float[][] sample(int n, int d, long seed) {
    Random r = new Random(seed);
    double[][] a = new double[d][d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        a[i][j] = r.nextGaussian() * (i == j ? 2 : 0.5);
      }
    }
    float[][] x = new float[n][d];
    for (int s = 0; s < n; s++) {
      double[] z = new double[d];
      for (int j = 0; j < d; j++) {
        z[j] = r.nextGaussian();
      }
      for (int i = 0; i < d; i++) {
        double v = 3 + i;
        for (int j = 0; j < d; j++) {
          v += a[i][j] * z[j];
        }
        x[s][i] = (float) v;
      }
    }
    return x;
  }

  private static WhiteningAccumulator accumulate(float[][] x) {
    WhiteningAccumulator acc = new WhiteningAccumulator(x[0].length);
    for (float[] v : x) {
      acc.add(v);
    }
    return acc;
  }

  @Test
  void streamingMeanAndCovarianceEqualTwoPassComputation() {
    float[][] x = sample(500, 6, 1);
    WhiteningAccumulator acc = accumulate(x);
    int d = 6;
    double[] mean = new double[d];
    for (float[] v : x) {
      for (int i = 0; i < d; i++) {
        mean[i] += v[i] / 500.0;
      }
    }
    double[] cov = acc.covariance();
    for (int i = 0; i < d; i++) {
      assertEquals(mean[i], acc.mean()[i], 1e-9);
      for (int j = 0; j < d; j++) {
        double c = 0;
        for (float[] v : x) {
          c += (v[i] - mean[i]) * (v[j] - mean[j]);
        }
        assertEquals(c / 499, cov[i * d + j], 1e-9, "cov " + i + "," + j);
      }
    }
  }

  @Test
  void whiteningMatrixEqualsAnIndependentEigenDecomposition() {
    int d = 8;
    float[][] x = sample(3000, d, 2);
    WhiteningAccumulator acc = accumulate(x);
    WhiteningTransform t = WhiteningTransform.fit(acc, d, 0, "m", "s");
    // Independent: commons-math eigen-decomposition of the same covariance. Eigenvectors are defined up to sign, so
    // compare W W^T = U diag(1/S) U^T, which is sign-free.
    RealMatrix cov = MatrixUtils.createRealMatrix(d, d);
    double[] c = acc.covariance();
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        cov.setEntry(i, j, c[i * d + j]);
      }
    }
    RealMatrix inverse = new EigenDecomposition(cov).getSolver().getInverse(); // U diag(1/S) U^T
    float[] w = t.matrix();
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        double wwt = 0;
        for (int k = 0; k < d; k++) {
          wwt += (double) w[i * d + k] * w[j * d + k];
        }
        assertEquals(inverse.getEntry(i, j), wwt, 1e-5 * Math.abs(inverse.getEntry(i, i)), "WW^T " + i + "," + j);
      }
    }
    // the whitened sample has zero mean and identity covariance
    WhiteningAccumulator after = new WhiteningAccumulator(d);
    for (float[] v : x) {
      after.add(t.apply(v));
    }
    double[] ci = after.covariance();
    for (int i = 0; i < d; i++) {
      assertEquals(0, after.mean()[i], 1e-4);
      for (int j = 0; j < d; j++) {
        assertEquals(i == j ? 1 : 0, ci[i * d + j], 1e-3, "whitened cov " + i + "," + j);
      }
    }
  }

  @Test
  void keepingFewerDimensionsKeepsTheLargestSingularValues() {
    int d = 8;
    WhiteningTransform full = WhiteningTransform.fit(accumulate(sample(2000, d, 3)), d, 0, "m", "s");
    WhiteningTransform top3 = WhiteningTransform.fit(accumulate(sample(2000, d, 3)), 3, 0, "m", "s");
    float[] sv = full.singularValues();
    for (int i = 1; i < d; i++) {
      assertTrue(sv[i] <= sv[i - 1], "descending");
    }
    float[] v = sample(1, d, 9)[0];
    float[] y = full.apply(v);
    float[] y3 = top3.apply(v);
    assertEquals(3, y3.length);
    for (int j = 0; j < 3; j++) {
      assertEquals(Math.abs(y[j]), Math.abs(y3[j]), 1e-4, "component " + j + " up to sign");
    }
  }

  @Test
  void fewerVectorsThanDimensionsIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WhiteningTransform.fit(accumulate(sample(8, 8, 4)), 8, 1e-6, "m", "s"));
    assertTrue(e.getMessage().contains("8 vectors of 8 dimensions"), e.getMessage());
  }

  @Test
  void serializedStateRoundTripsAndDamageIsDetected() {
    WhiteningTransform t = WhiteningTransform.fit(accumulate(sample(100, 4, 5)), 3, 1e-6, "bge", "abc123");
    byte[] bytes = t.serialize();
    WhiteningTransform back = WhiteningTransform.deserialize(bytes);
    assertEquals("bge", back.modelName());
    assertEquals("abc123", back.modelSha256());
    float[] v = {1, 2, 3, 4};
    assertEquals(java.util.Arrays.toString(t.apply(v)), java.util.Arrays.toString(back.apply(v)));
    byte[] flipped = bytes.clone();
    flipped[bytes.length / 2] ^= 1;
    assertThrows(IllegalArgumentException.class, () -> WhiteningTransform.deserialize(flipped));
    assertThrows(IllegalArgumentException.class,
        () -> WhiteningTransform.deserialize(java.util.Arrays.copyOf(bytes, bytes.length - 5)));
  }

  @Test
  void restoringFromAnIndexRecordVerifiesTheState() {
    WhiteningTransform t = WhiteningTransform.fit(accumulate(sample(50, 4, 6)), 4, 1e-6, "m", "s");
    WhiteningPooling p = new WhiteningPooling(new MeanPooling(), t);
    Map<String, String> params = p.parameters();
    byte[] state = p.state();
    assertEquals(Digests.sha256(state), params.get(StatefulPooling.STATE_SHA256));
    WhiteningPooling back = (WhiteningPooling) Poolings.restore("whiten", params, sha -> state);
    assertEquals("mean", back.base().name());
    byte[] damaged = state.clone();
    damaged[60] ^= 1;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Poolings.restore("whiten", params, sha -> damaged));
    assertTrue(e.getMessage().contains("damaged"), e.getMessage());
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> Poolings.restore("whiten", params, sha -> null));
    assertTrue(missing.getMessage().contains("missing"), missing.getMessage());
  }
}
