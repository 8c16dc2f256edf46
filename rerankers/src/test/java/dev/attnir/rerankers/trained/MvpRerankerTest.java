package dev.attnir.rerankers.trained;

import static dev.attnir.rerankers.trained.TrainedFixtures.D;
import static dev.attnir.rerankers.trained.TrainedFixtures.PASSAGES;
import static dev.attnir.rerankers.trained.TrainedFixtures.QUERY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtSession;
import dev.attnir.core.Candidate;
import dev.attnir.core.Ranking;
import dev.attnir.core.Rerankers;
import dev.attnir.core.ScoredDoc;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The multi-view reranker on the real all-MiniLM-L6-v2 with a perturbed BERT tensor and random anchor weights: its
 * scores against a plain-Java reference (a bare ONNX Runtime session's last_hidden_state for each unpadded input, views
 * inserted by hand, and the anchor written out as direct loops: every K_i and V_i projected, softmax per head);
 * bit-identical scores under shuffles; the mean anchor with another view count; one candidate.
 */
class MvpRerankerTest {

  @TempDir
  static Path dir;
  static long[] views3;
  static long[] views2;

  @BeforeAll
  static void load() throws Exception {
    TrainedFixtures.load();
    views3 = ViewTokens.unusedIds(TrainedFixtures.tokenizerJson, 3);
    views2 = ViewTokens.unusedIds(TrainedFixtures.tokenizerJson, 2);
  }

  static List<Long> boxed(long[] v) {
    List<Long> out = new ArrayList<>();
    for (long x : v) {
      out.add(x);
    }
    return out;
  }

  static List<TrainedFixtures.T> learnedAnchor(long seed) {
    List<TrainedFixtures.T> t = new ArrayList<>();
    double k = 1 / Math.sqrt(D);
    t.add(new TrainedFixtures.T("anchor.start", new long[] {D}, "f32", TrainedFixtures.gaussian(D, 1, seed)));
    long s = seed;
    for (String p : List.of("q", "k", "v", "o")) {
      // q and k scaled up so the attention over candidates is far from uniform
      double scale = p.equals("q") || p.equals("k") ? 4 * k : k;
      t.add(new TrainedFixtures.T("anchor." + p + ".weight", new long[] {D, D}, "f16",
          TrainedFixtures.gaussian(D * D, scale, ++s)));
      t.add(new TrainedFixtures.T("anchor." + p + ".bias", new long[] {D}, "f32",
          TrainedFixtures.gaussian(D, 0.05, ++s)));
    }
    float[] lnW = TrainedFixtures.gaussian(D, 0.1, ++s);
    for (int i = 0; i < D; i++) {
      lnW[i] += 1;
    }
    t.add(new TrainedFixtures.T("anchor.ln.weight", new long[] {D}, "f32", lnW));
    t.add(new TrainedFixtures.T("anchor.ln.bias", new long[] {D}, "f32", TrainedFixtures.gaussian(D, 0.1, ++s)));
    return t;
  }

  /** The view embeddings {@code [n][m][d]} of every passage, from the bare session. */
  static float[][][] viewEmbeddings(OrtSession s, List<String> passages, long[] viewIds) throws Exception {
    float[][][] e = new float[passages.size()][viewIds.length][];
    for (int i = 0; i < passages.size(); i++) {
      float[][] h = TrainedFixtures.hidden(s, QUERY, passages.get(i), viewIds);
      for (int k = 0; k < viewIds.length; k++) {
        e[i][k] = h[1 + k];
      }
    }
    return e;
  }

  /** x · W + b with W {@code [d, d]} row-major [in, out]. */
  static double[] linear(double[] x, float[] w, float[] b) {
    double[] y = new double[D];
    for (int o = 0; o < D; o++) {
      y[o] = b[o];
      for (int i = 0; i < D; i++) {
        y[o] += x[i] * w[i * D + o];
      }
    }
    return y;
  }

  static double[] toDouble(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }

  /** The learned anchor of view k written out directly. */
  static double[] referenceLearnedAnchor(Map<String, float[]> t, float[][][] e, int k, int heads, double eps) {
    int n = e.length;
    double[] start = toDouble(t.get("anchor.start"));
    double[] q = linear(start, t.get("anchor.q.weight"), t.get("anchor.q.bias"));
    double[][] keys = new double[n][];
    double[][] values = new double[n][];
    for (int i = 0; i < n; i++) {
      keys[i] = linear(toDouble(e[i][k]), t.get("anchor.k.weight"), t.get("anchor.k.bias"));
      values[i] = linear(toDouble(e[i][k]), t.get("anchor.v.weight"), t.get("anchor.v.bias"));
    }
    int dh = D / heads;
    double[] c = new double[D];
    for (int h = 0; h < heads; h++) {
      double[] logit = new double[n];
      for (int i = 0; i < n; i++) {
        for (int j = h * dh; j < (h + 1) * dh; j++) {
          logit[i] += q[j] * keys[i][j];
        }
        logit[i] /= Math.sqrt(dh);
      }
      double z = 0;
      for (int i = 0; i < n; i++) {
        z += Math.exp(logit[i]);
      }
      for (int i = 0; i < n; i++) {
        double p = Math.exp(logit[i]) / z;
        for (int j = h * dh; j < (h + 1) * dh; j++) {
          c[j] += p * values[i][j];
        }
      }
    }
    double[] o = linear(c, t.get("anchor.o.weight"), t.get("anchor.o.bias"));
    double[] x = new double[D];
    double mean = 0;
    for (int j = 0; j < D; j++) {
      x[j] = start[j] + o[j];
      mean += x[j] / D;
    }
    double var = 0;
    for (int j = 0; j < D; j++) {
      var += (x[j] - mean) * (x[j] - mean) / D;
    }
    double[] a = new double[D];
    for (int j = 0; j < D; j++) {
      a[j] = (x[j] - mean) / Math.sqrt(var + eps) * t.get("anchor.ln.weight")[j] + t.get("anchor.ln.bias")[j];
    }
    return a;
  }

  static double[] referenceMeanAnchor(float[][][] e, int k) {
    double[] a = new double[D];
    for (float[][] c : e) {
      for (int j = 0; j < D; j++) {
        a[j] += c[k][j] / (double) e.length;
      }
    }
    return a;
  }

  static double[] referenceScores(float[][][] e, List<double[]> anchors, double scale) {
    double[] s = new double[e.length];
    for (int i = 0; i < e.length; i++) {
      for (int k = 0; k < anchors.size(); k++) {
        for (int j = 0; j < D; j++) {
          s[i] += anchors.get(k)[j] * e[i][k][j];
        }
      }
      s[i] = scale * s[i] / anchors.size();
    }
    return s;
  }

  @Test
  void learnedAnchorScoresEqualThePlainJavaReferenceAndDoNotDependOnCandidateOrder() throws Exception {
    List<TrainedFixtures.T> tensors = new ArrayList<>(learnedAnchor(20));
    tensors.add(TrainedFixtures.perturbed("encoder.layer.4.attention.output.dense.weight", 0.05, 21, "f16"));
    RerankerArtifact a = TrainedFixtures.write(TrainedFixtures.artifact("mvp", TrainedFixtures.sha, 96, boxed(views3),
        Map.of("anchor", "learned", "anchorHeads", "6", "anchorLnEps", "1e-5"), tensors), dir.resolve("mvp.rrk"));
    List<Candidate> cands = TrainedFixtures.candidates(PASSAGES);
    double[] scores;
    double one;
    Map<String, Double> byDoc = new HashMap<>();
    try (MvpReranker r = assertInstanceOf(MvpReranker.class,
        Rerankers.create("trained:file=" + dir.resolve("mvp.rrk") + ",batch-tokens=120"))) {
      assertEquals(3, r.views(), "m from the header");
      assertEquals(96, r.encoder().spec().maxLength());
      scores = r.scores(QUERY, cands);
      for (int i = 0; i < cands.size(); i++) {
        byDoc.put(cands.get(i).docId(), scores[i]);
      }
      Ranking first = r.rerank(QUERY, cands);
      for (int k = 1; k < first.size(); k++) {
        assertTrue(first.get(k - 1).score() >= first.get(k).score(), "best first");
      }
      Random random = new Random(5);
      for (int round = 0; round < 5; round++) {
        List<Candidate> shuffled = new ArrayList<>(cands);
        Collections.shuffle(shuffled, random);
        double[] again = r.scores(QUERY, shuffled);
        for (int i = 0; i < shuffled.size(); i++) {
          assertEquals(Double.doubleToLongBits(byDoc.get(shuffled.get(i).docId())), Double.doubleToLongBits(again[i]),
              "shuffle " + round + ", " + shuffled.get(i).docId() + ": bit-identical score");
        }
        Ranking ranking = r.rerank(QUERY, shuffled);
        double tau = kendallTau(first, ranking);
        assertEquals(1.0, tau, 0.0, "shuffle " + round);
      }
      System.out.println("MVP: scores bit-identical over 5 shuffles, Kendall tau = 1");
      // one candidate: softmax of one
      one = r.scores(QUERY, cands.subList(2, 3))[0];
    }
    Map<String, float[]> t = a.tensors();
    double scale = 1 / Math.sqrt(D);
    try (OrtSession s = TrainedFixtures.bareSession(a)) {
      float[][][] e = viewEmbeddings(s, PASSAGES, views3);
      List<double[]> anchors = new ArrayList<>();
      for (int k = 0; k < 3; k++) {
        anchors.add(referenceLearnedAnchor(t, e, k, 6, 1e-5));
      }
      double[] expected = referenceScores(e, anchors, scale);
      double maxDiff = 0;
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], scores[i], 1e-4, "candidate " + i);
        maxDiff = Math.max(maxDiff, Math.abs(expected[i] - scores[i]));
      }
      double spread = java.util.Arrays.stream(expected).max().orElseThrow()
          - java.util.Arrays.stream(expected).min().orElseThrow();
      System.out.printf("MVP learned anchor: max |score - reference| %.2e, score spread %.3f%n", maxDiff, spread);
      assertTrue(spread > 1e-2, "scores are not a constant");
      // a single candidate against the reference
      float[][][] e1 = viewEmbeddings(s, PASSAGES.subList(2, 3), views3);
      List<double[]> a1 = new ArrayList<>();
      for (int k = 0; k < 3; k++) {
        a1.add(referenceLearnedAnchor(t, e1, k, 6, 1e-5));
      }
      assertEquals(referenceScores(e1, a1, scale)[0], one, 1e-4, "one candidate");
    }
  }

  @Test
  void meanAnchorWithTwoViewsAndAScoreScale() throws Exception {
    RerankerArtifact a = TrainedFixtures.write(TrainedFixtures.artifact("mvp", TrainedFixtures.sha, 64, boxed(views2),
        Map.of("anchor", "mean", "scoreScale", "0.5"),
        List.of(TrainedFixtures.perturbed("encoder.layer.2.output.dense.bias", 0.1, 30, "f32"))),
        dir.resolve("mean.rrk"));
    List<Candidate> cands = TrainedFixtures.candidates(PASSAGES);
    double[] scores;
    try (MvpReranker r = (MvpReranker) Rerankers.create("trained:file=" + dir.resolve("mean.rrk"))) {
      assertEquals(2, r.views(), "m from the header");
      scores = r.scores(QUERY, cands);
    }
    try (OrtSession s = TrainedFixtures.bareSession(a)) {
      float[][][] e = viewEmbeddings(s, PASSAGES, views2);
      double[] expected = referenceScores(e, List.of(referenceMeanAnchor(e, 0), referenceMeanAnchor(e, 1)), 0.5);
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], scores[i], 1e-4, "candidate " + i);
      }
    }
  }

  /** Kendall's tau between two rankings of the same documents. */
  static double kendallTau(Ranking x, Ranking y) {
    Map<String, Integer> pos = new HashMap<>();
    for (int i = 0; i < y.size(); i++) {
      pos.put(y.get(i).docId(), i);
    }
    List<String> docs = x.docs().stream().map(ScoredDoc::docId).toList();
    long concordant = 0;
    long discordant = 0;
    for (int i = 0; i < docs.size(); i++) {
      for (int j = i + 1; j < docs.size(); j++) {
        if (pos.get(docs.get(i)) < pos.get(docs.get(j))) {
          concordant++;
        } else {
          discordant++;
        }
      }
    }
    return (double) (concordant - discordant) / (concordant + discordant);
  }
}
