package dev.attnir.rerankers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.attnir.core.Candidate;
import dev.attnir.core.Ranking;
import dev.attnir.core.Reranker;
import dev.attnir.core.Rerankers;
import dev.attnir.core.ScoredDoc;
import dev.attnir.encoders.CrossEncoderFixture;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cross-encoder reranker on a real graph (all-MiniLM-L6-v2 with a random CLS head): its scores against a bare ONNX
 * Runtime session on the unmodified MiniLM graph (optimisations off, one unpadded pair per run) times the head in
 * plain Java; order independence; and the factory's refusals.
 */
public class CrossEncoderRerankerTest {

  /** A query and passages of very different lengths and relevance; other packages' reranker tests share them. */
  public static final String QUERY = "who discovered penicillin";
  public static final List<String> PASSAGES = List.of(
      "Alexander Fleming discovered penicillin in 1928 at St Mary's Hospital in London.",
      "The mitochondrion is the powerhouse of the cell.",
      "Penicillin",
      "Howard Florey and Ernst Chain turned penicillin into a drug during the Second World War, and the three shared "
          + "the 1945 Nobel Prize in Physiology or Medicine.",
      "x",
      "Fleming noticed that a mould, Penicillium notatum, killed the bacteria around it on a culture plate.",
      "Antibiotics are medicines that fight bacterial infections in people and animals.",
      "The discovery of penicillin is usually credited to the Scottish scientist Alexander Fleming.");

  @TempDir
  static Path dir;
  static OnnxMl.ModelProto base;
  static OrtEnvironment env;
  static OrtSession bare;
  static HuggingFaceTokenizer hf;
  static float[] w1;
  static final float B1 = 0.25f;
  static Path oneLogit;

  @BeforeAll
  static void load() throws Exception {
    base = CrossEncoderFixture.miniLm();
    env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      bare = env.createSession(base.toByteArray(), options);
    }
    hf = HuggingFaceTokenizer.newInstance(
        new ByteArrayInputStream(CrossEncoderFixture.miniLmSpec().source().readTokenizerJson()),
        Map.of("padding", "false", "truncation", "false", "addSpecialTokens", "true"));
    w1 = CrossEncoderFixture.weights(1, 7);
    oneLogit = CrossEncoderFixture.write(dir, "ce1", CrossEncoderFixture.crossEncoder(base, w1, new float[] {B1}), 256);
  }

  @AfterAll
  static void close() throws Exception {
    bare.close();
    hf.close();
  }

  /** The CLS row of last_hidden_state for one unpadded pair, from the bare session on the unmodified graph. */
  static float[] referenceCls(String query, String passage) throws Exception {
    Encoding e = hf.encode(query, passage);
    Map<String, OnnxTensor> in = new HashMap<>();
    try {
      in.put("input_ids", OnnxTensor.createTensor(env, new long[][] {e.getIds()}));
      in.put("attention_mask", OnnxTensor.createTensor(env, new long[][] {e.getAttentionMask()}));
      in.put("token_type_ids", OnnxTensor.createTensor(env, new long[][] {e.getTypeIds()}));
      try (OrtSession.Result r = bare.run(in)) {
        return ((float[][][]) r.get("last_hidden_state").get().getValue())[0][0];
      }
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  /** CLS · column {@code col} of {@code w} ({@code [384, n]} row-major) + bias. */
  static double head(float[] cls, float[] w, int n, int col, float bias) {
    double s = bias;
    for (int i = 0; i < cls.length; i++) {
      s += (double) cls[i] * w[i * n + col];
    }
    return s;
  }

  static List<Candidate> candidates(List<String> texts) {
    List<Candidate> out = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      out.add(new Candidate("d" + i, i + 1, 100 - i, 0, 0, texts.get(i).length(), texts.get(i)));
    }
    return out;
  }

  static CrossEncoderReranker create(String spec) {
    return assertInstanceOf(CrossEncoderReranker.class, Rerankers.create(spec));
  }

  @Test
  void oneLogitScoresAreTheClsRowTimesTheHeadAndTheRankingSortsThem() throws Exception {
    List<Candidate> cands = candidates(PASSAGES);
    try (CrossEncoderReranker r = create("cross-encoder:model=" + oneLogit + ",batch-tokens=64")) {
      assertEquals(256, r.encoder().spec().maxLength(), "default max length is the model.json's");
      assertEquals(64, r.encoder().options().maxBatchTokens());
      double[] scores = r.scores(QUERY, cands);
      for (int i = 0; i < PASSAGES.size(); i++) {
        double expected = head(referenceCls(QUERY, PASSAGES.get(i)), w1, 1, 0, B1);
        assertEquals(expected, scores[i], 1e-4, "pair " + i);
      }
      assertTrue(Math.abs(scores[0] - scores[1]) > 1e-3, "the scores are not a constant");
      Ranking ranking = r.rerank(QUERY, cands);
      assertEquals(cands.size(), ranking.size());
      for (int k = 1; k < ranking.size(); k++) {
        assertTrue(ranking.get(k - 1).score() >= ranking.get(k).score(), "best first");
      }
      for (ScoredDoc d : ranking) {
        assertEquals(scores[Integer.parseInt(d.docId().substring(1))], d.score(), 0.0, d.docId());
      }
    }
  }

  @Test
  void twoLogitsScoreThePositiveClassLogSoftmax() throws Exception {
    float[] w2 = CrossEncoderFixture.weights(2, 11);
    float[] b2 = {0.1f, -0.3f};
    Path two = CrossEncoderFixture.write(dir, "ce2", CrossEncoderFixture.crossEncoder(base, w2, b2), 128);
    try (CrossEncoderReranker r = create("cross-encoder:model=" + two)) {
      double[] scores = r.scores(QUERY, candidates(PASSAGES));
      for (int i = 0; i < PASSAGES.size(); i++) {
        float[] cls = referenceCls(QUERY, PASSAGES.get(i));
        double l0 = head(cls, w2, 2, 0, b2[0]);
        double l1 = head(cls, w2, 2, 1, b2[1]);
        double logP1 = Math.log(Math.exp(l1) / (Math.exp(l0) + Math.exp(l1)));
        assertEquals(logP1, scores[i], 1e-4, "pair " + i);
      }
    }
  }

  @Test
  void scoresDoNotDependOnCandidateOrder() throws Exception {
    // enough candidates of varied length that a 96-token budget cuts them into many batches
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      texts.add(PASSAGES.get(i % PASSAGES.size()) + " ".repeat(1) + "extra words ".repeat(i % 5));
    }
    List<Candidate> cands = candidates(texts);
    try (CrossEncoderReranker r = create("cross-encoder:model=" + oneLogit + ",batch-tokens=96")) {
      Ranking reference = r.rerank(QUERY, cands);
      Map<String, Double> byDoc = new HashMap<>();
      reference.forEach(d -> byDoc.put(d.docId(), d.score()));
      Random random = new Random(3);
      for (int s = 0; s < 5; s++) {
        List<Candidate> shuffled = new ArrayList<>(cands);
        Collections.shuffle(shuffled, random);
        Ranking got = r.rerank(QUERY, shuffled);
        assertEquals(1.0, kendallTau(reference, got), 0.0, "shuffle " + s);
        for (ScoredDoc d : got) {
          assertEquals(byDoc.get(d.docId()), d.score(), 0.0, "shuffle " + s + ", " + d.docId());
        }
      }
    }
  }

  /** Kendall's tau between two rankings of the same documents, from the pairs' orders. */
  static double kendallTau(Ranking a, Ranking b) {
    Map<String, Integer> posB = new HashMap<>();
    for (int i = 0; i < b.size(); i++) {
      posB.put(b.get(i).docId(), i);
    }
    long concordant = 0;
    long discordant = 0;
    for (int i = 0; i < a.size(); i++) {
      for (int j = i + 1; j < a.size(); j++) {
        if (posB.get(a.get(i).docId()) < posB.get(a.get(j).docId())) {
          concordant++;
        } else {
          discordant++;
        }
      }
    }
    return (double) (concordant - discordant) / (concordant + discordant);
  }

  @Test
  void maxLengthTruncatesThePassage() throws Exception {
    String longPassage = "the ".repeat(100);
    try (CrossEncoderReranker r = create("cross-encoder:model=" + oneLogit + ",max-length=32")) {
      assertEquals(32, r.encoder().spec().maxLength());
      double got = r.scores(QUERY, candidates(List.of(longPassage)))[0];
      // the query and 3 special tokens leave the rest to the passage, whose end is cut; "the" is one token
      int queryTokens = hf.encode(QUERY).getIds().length - 2;
      String kept = "the ".repeat(32 - 3 - queryTokens).trim();
      double expected = head(referenceCls(QUERY, kept), w1, 1, 0, B1);
      assertEquals(32, hf.encode(QUERY, kept).getIds().length, "the independent pair is exactly 32 tokens");
      assertEquals(expected, got, 1e-4);
    }
  }

  @Test
  void badInputsAreRefusedNamingTheProblem() throws Exception {
    Path noTokenizer = Files.createDirectories(dir.resolve("no-tokenizer"));
    Files.copy(oneLogit.resolve("model.onnx"), noTokenizer.resolve("model.onnx"));
    Files.copy(oneLogit.resolve("model.json"), noTokenizer.resolve("model.json"));
    assertMessage("cross-encoder:model=" + noTokenizer, "has no tokenizer.json");

    Path encoder = CrossEncoderFixture.write(dir, "plain-encoder", base, 256);
    assertMessage("cross-encoder:model=" + encoder, "is an encoder (last_hidden_state), not a cross-encoder");

    Path three = CrossEncoderFixture.write(dir, "three-classes",
        CrossEncoderFixture.crossEncoder(base, CrossEncoderFixture.weights(3, 5), new float[3]), 256);
    assertMessage("cross-encoder:model=" + three, "is a classifier with 3 classes");

    assertMessage("cross-encoder:model=" + oneLogit + ",pooling=cls", "unknown option(s) [pooling]");
    assertMessage("cross-encoder:batch-tokens=64", "option model=DIR is required");
    assertMessage("cross-encoder:model=" + dir.resolve("missing"), "is not a directory");
    assertMessage("cross-encoder:model=" + oneLogit + ",max-length=abc", "max-length=abc is not an integer");
    assertMessage("cross-encoder:model=" + oneLogit + ",max-length=100000", "exceeds");
  }

  static void assertMessage(String spec, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
      Reranker r = Rerankers.create(spec);
      ((AutoCloseable) r).close();
    }, spec);
    assertTrue(e.getMessage().contains(expected), spec + ": " + e.getMessage());
  }

  @Test
  void scoreOfTwoLogitsMatchesSoftmaxWithoutSaturating() {
    assertEquals(Math.log(Math.exp(2.0) / (Math.exp(1.0) + Math.exp(2.0))),
        CrossEncoderReranker.score(new float[] {1f, 2f}), 1e-12);
    // softmax in float would round to 1.0 here; the log keeps the two apart
    assertTrue(CrossEncoderReranker.score(new float[] {-20f, 20f})
        > CrossEncoderReranker.score(new float[] {-19f, 20f}));
    assertArrayEquals(new double[] {3.5}, new double[] {CrossEncoderReranker.score(new float[] {3.5f})}, 0.0);
  }
}
