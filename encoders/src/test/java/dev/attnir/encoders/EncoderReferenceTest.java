package dev.attnir.encoders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.attnir.core.ProgressListener;
import java.io.ByteArrayInputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The pipeline's embeddings (batched, length-sorted, padded, pooled, normalised) must equal an independent reference:
 * a bare ONNX Runtime session with graph optimisations off, one unpadded text per call, CLS or mean computed with
 * plain loops over {@code last_hidden_state}.
 */
class EncoderReferenceTest {

  static final List<String> SENTENCES = List.of(
      "The quick brown fox jumps over the lazy dog.",
      "Mitochondria are the powerhouse of the cell.",
      "0-dimensional biomaterials show inductive properties.",
      "Naïve café owners in Zürich serve crème brûlée — 𝔘nicode included.",
      "A",
      "Transformers compute contextual token representations with self-attention; pooling turns them into one "
          + "vector per text, and the choice of pooling changes what that vector emphasises in long inputs.");

  @ParameterizedTest
  @CsvSource({"bge-small-en-v1.5, cls", "all-MiniLM-L6-v2, mean", "e5-small-v2, mean"})
  void pipelineEqualsBareOnnxRuntimeReference(String modelName, String pooling) throws Exception {
    ModelSpec spec = ModelRegistry.resolve(modelName);
    assertEquals(pooling, spec.pooling());
    float[][] passages;
    float[][] queries;
    try (Embedder embedder = Embedder.load(spec, EncoderOptions.defaults().withMaxBatchSize(4))) {
      passages = embedder.embedPassages(SENTENCES, ProgressListener.none());
      queries = embedder.embedQueries(SENTENCES);
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      try (OrtSession bare = env.createSession(spec.source().readOnnx(), options);
          HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(
              new ByteArrayInputStream(spec.source().readTokenizerJson()),
              Map.of("padding", "false", "truncation", "true", "maxLength", Integer.toString(spec.maxLength())))) {
        for (int i = 0; i < SENTENCES.size(); i++) {
          float[] p = reference(env, bare, tok, spec.passagePrefix() + SENTENCES.get(i), pooling);
          float[] q = reference(env, bare, tok, spec.queryPrefix() + SENTENCES.get(i), pooling);
          assertClose(p, passages[i], modelName + " passage " + i);
          assertClose(q, queries[i], modelName + " query " + i);
        }
      }
    }
  }

  private static float[] reference(OrtEnvironment env, OrtSession session, HuggingFaceTokenizer tok, String text,
      String pooling) throws Exception {
    Encoding e = tok.encode(text);
    long[][] ids = {e.getIds()};
    long[][] mask = {e.getAttentionMask()};
    long[][] types = {e.getTypeIds()};
    Map<String, OnnxTensor> in = new HashMap<>();
    in.put("input_ids", OnnxTensor.createTensor(env, ids));
    in.put("attention_mask", OnnxTensor.createTensor(env, mask));
    in.put("token_type_ids", OnnxTensor.createTensor(env, types));
    try (OrtSession.Result r = session.run(in)) {
      float[][] tokens = ((float[][][]) r.get("last_hidden_state").get().getValue())[0];
      float[] v = new float[tokens[0].length];
      if (pooling.equals("cls")) {
        v = tokens[0].clone();
      } else {
        for (float[] t : tokens) {
          for (int k = 0; k < v.length; k++) {
            v[k] += t[k] / tokens.length;
          }
        }
      }
      double norm = 0;
      for (float x : v) {
        norm += x * x;
      }
      for (int k = 0; k < v.length; k++) {
        v[k] /= (float) Math.sqrt(norm);
      }
      return v;
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    double max = 0;
    for (int k = 0; k < expected.length; k++) {
      max = Math.max(max, Math.abs(expected[k] - actual[k]));
    }
    assertTrue(max <= 1e-5, what + ": max abs difference " + max + " > 1e-5");
  }
}
