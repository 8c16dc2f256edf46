package dev.attnir.rerankers.trained;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import dev.attnir.core.Candidate;
import dev.attnir.encoders.CrossEncoderFixture;
import dev.attnir.encoders.Digests;
import dev.attnir.encoders.bert.BertWeights;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The real all-MiniLM-L6-v2 graph and tokenizer, read once, with the tests' own tools: artifact building, a bare ONNX
 * Runtime session (optimisations off) over the graph with tensors replaced by initializer name, and unpadded pair
 * encoding with view tokens inserted by hand. None of it uses the code under test except {@link BertWeights} (to find
 * which initializer holds a named tensor) and the artifact record.
 */
final class TrainedFixtures {

  static final String BASE = "all-MiniLM-L6-v2";
  static final int D = 384;
  static final String QUERY = dev.attnir.rerankers.CrossEncoderRerankerTest.QUERY;
  static final List<String> PASSAGES = dev.attnir.rerankers.CrossEncoderRerankerTest.PASSAGES;

  static byte[] onnx;
  static byte[] tokenizerJson;
  static String sha;
  static BertWeights bert;
  static HuggingFaceTokenizer hf;
  static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  private TrainedFixtures() {}

  static synchronized void load() throws IOException {
    if (onnx != null) {
      return;
    }
    onnx = CrossEncoderFixture.miniLmSpec().source().readOnnx();
    tokenizerJson = CrossEncoderFixture.miniLmSpec().source().readTokenizerJson();
    sha = Digests.sha256(onnx);
    bert = BertWeights.read(onnx);
    hf = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson),
        Map.of("padding", "false", "truncation", "false", "addSpecialTokens", "true"));
  }

  /** One tensor of an artifact under construction. */
  record T(String name, long[] shape, String dtype, float[] values) {}

  /** A BERT tensor of the base with Gaussian noise of {@code sigma} added. */
  static T perturbed(String name, double sigma, long seed, String dtype) {
    BertWeights.Tensor t = bert.tensor(name);
    Random r = new Random(seed);
    float[] v = t.values().clone();
    for (int i = 0; i < v.length; i++) {
      v[i] += (float) (r.nextGaussian() * sigma);
    }
    return new T(name, t.shape(), dtype, v);
  }

  static float[] gaussian(int n, double sigma, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextGaussian() * sigma);
    }
    return v;
  }

  static RerankerArtifact artifact(String kind, String baseSha, int maxLength, List<Long> viewIds,
      Map<String, String> settings, List<T> tensors) {
    List<RerankerArtifact.TensorInfo> infos = new ArrayList<>();
    Map<String, float[]> values = new LinkedHashMap<>();
    for (T t : tensors) {
      infos.add(new RerankerArtifact.TensorInfo(t.name(), t.shape(), t.dtype()));
      values.put(t.name(), t.values());
    }
    return new RerankerArtifact(new RerankerArtifact.Header(1, kind, BASE, baseSha, maxLength, viewIds.size(),
        viewIds, settings, Map.of("note", "test"), infos), values);
  }

  /** Writes the artifact and reads it back (so f16 tensors hold their rounded values). */
  static RerankerArtifact write(RerankerArtifact a, Path file) throws IOException {
    Files.write(file, a.toBytes());
    return RerankerArtifact.read(Files.readAllBytes(file), file.toString());
  }

  /** A bare session on the base graph with the BERT tensors of {@code a} written into their initializers. */
  static OrtSession bareSession(RerankerArtifact a) throws Exception {
    Map<String, float[]> byInit = new HashMap<>();
    for (var e : a.tensors().entrySet()) {
      BertWeights.Tensor t = bert.tensors().get(e.getKey());
      if (t != null) {
        byInit.put(t.initializer(), e.getValue());
      }
    }
    OnnxMl.ModelProto model = OnnxMl.ModelProto.parseFrom(onnx);
    OnnxMl.GraphProto.Builder g = model.getGraph().toBuilder();
    int n = 0;
    for (int i = 0; i < g.getInitializerCount(); i++) {
      float[] v = byInit.get(g.getInitializer(i).getName());
      if (v != null) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        g.setInitializer(i, g.getInitializer(i).toBuilder().clearFloatData().setRawData(ByteString.copyFrom(b.array())));
        n++;
      }
    }
    if (n != byInit.size()) {
      throw new IllegalStateException("replaced " + n + " of " + byInit.size());
    }
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      return ENV.createSession(model.toBuilder().setGraph(g).build().toByteArray(), o);
    }
  }

  /**
   * last_hidden_state {@code [seq][d]} of one unpadded pair {@code [CLS] views query [SEP] passage [SEP]} (no views
   * when {@code viewIds} is empty); views take the first token's type id.
   */
  static float[][] hidden(OrtSession s, String query, String passage, long[] viewIds) throws Exception {
    Encoding e = hf.encode(query, passage);
    long[] ids0 = e.getIds();
    long[] types0 = e.getTypeIds();
    int m = viewIds.length;
    long[] ids = new long[ids0.length + m];
    long[] types = new long[ids0.length + m];
    long[] mask = new long[ids0.length + m];
    ids[0] = ids0[0];
    types[0] = types0[0];
    for (int k = 0; k < m; k++) {
      ids[1 + k] = viewIds[k];
      types[1 + k] = types0[0];
    }
    for (int t = 1; t < ids0.length; t++) {
      ids[t + m] = ids0[t];
      types[t + m] = types0[t];
    }
    java.util.Arrays.fill(mask, 1);
    Map<String, OnnxTensor> in = new HashMap<>();
    try {
      in.put("input_ids", OnnxTensor.createTensor(ENV, new long[][] {ids}));
      in.put("attention_mask", OnnxTensor.createTensor(ENV, new long[][] {mask}));
      in.put("token_type_ids", OnnxTensor.createTensor(ENV, new long[][] {types}));
      try (OrtSession.Result r = s.run(in)) {
        return ((float[][][]) r.get("last_hidden_state").get().getValue())[0];
      }
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  static List<Candidate> candidates(List<String> texts) {
    List<Candidate> out = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      out.add(new Candidate("d" + i, i + 1, 100 - i, 0, 0, texts.get(i).length(), texts.get(i)));
    }
    return out;
  }
}
