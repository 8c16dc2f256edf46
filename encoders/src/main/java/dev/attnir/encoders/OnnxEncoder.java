package dev.attnir.encoders;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.attnir.core.ProgressListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs a transformer encoder in ONNX Runtime and hands every batch's tensors to a consumer.
 *
 * <p>Texts are tokenized in chunks, sorted by length and cut into batches bounded by a token budget, so padding
 * wastes little compute. Plain encoding uses the unmodified graph, which ONNX Runtime is free to fuse. A consumer
 * that needs hidden states or attention probabilities gets a second session on a graph that exposes exactly the
 * requested tensors ({@link ExposedGraph}); that session is checked when it is created: its
 * {@code last_hidden_state} must equal the unmodified graph's, every attention row must sum to 1, and padded keys must
 * get zero attention.
 */
public final class OnnxEncoder implements AutoCloseable {

  /** Tolerance of the load-time checks on exposed tensors. */
  static final double EXPOSED_HIDDEN_TOLERANCE = 1e-4;
  static final double ATTENTION_ROW_SUM_TOLERANCE = 1e-4;
  static final double PADDING_ATTENTION_TOLERANCE = 1e-6;

  private static final List<String> PROBE_TEXTS = List.of(
      "Exposed tensors are checked on a padded probe batch when the session is created, before any real text.",
      "A short probe.");

  private final ModelSpec spec;
  private final EncoderOptions options;
  private final OrtEnvironment env;
  private final TextTokenizer tokenizer;
  private final OrtSession plainSession;
  private final String fingerprint;
  private final int numLayers;
  private final boolean hasTokenTypeIds;
  private final int hiddenSize;
  private final Map<TensorRequest, ExposedSession> exposedSessions = new ConcurrentHashMap<>();
  private volatile int numHeads;

  private record ExposedSession(OrtSession session, Map<String, String> outputs) {}

  private OnnxEncoder(ModelSpec spec, EncoderOptions options, OrtEnvironment env, TextTokenizer tokenizer,
      OrtSession plainSession, String fingerprint, int numLayers, boolean hasTokenTypeIds, int hiddenSize) {
    this.spec = spec;
    this.options = options;
    this.env = env;
    this.tokenizer = tokenizer;
    this.plainSession = plainSession;
    this.fingerprint = fingerprint;
    this.numLayers = numLayers;
    this.hasTokenTypeIds = hasTokenTypeIds;
    this.hiddenSize = hiddenSize;
  }

  /**
   * Loads a model.
   *
   * @throws IllegalArgumentException when the model files are missing or not a usable BERT-style encoder
   */
  public static OnnxEncoder load(ModelSpec spec, EncoderOptions options) {
    byte[] onnx;
    byte[] tokenizerJson;
    try {
      onnx = spec.source().readOnnx();
      tokenizerJson = spec.source().readTokenizerJson();
    } catch (IOException e) {
      throw new IllegalArgumentException("model " + spec.name() + ": cannot read model files from "
          + spec.source().describe() + ": " + e.getMessage(), e);
    }
    String fingerprint = sha256(onnx);
    ExposedGraph graph = ExposedGraph.parse(onnx, spec.name());
    int numLayers = graph.numLayers();
    boolean hasTypeIds = graph.hasTokenTypeIds();
    graph = null; // the parsed protobuf is as large as the model; exposed sessions parse again when needed
    TextTokenizer tokenizer = TextTokenizer.fromJson(tokenizerJson, spec.maxLength());
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try {
      OrtSession plain = env.createSession(onnx, sessionOptions(options));
      if (!plain.getOutputNames().contains(ExposedGraph.LAST_HIDDEN_STATE)) {
        plain.close();
        throw new IllegalArgumentException("model " + spec.name() + " has outputs " + plain.getOutputNames()
            + "; an encoder must output " + ExposedGraph.LAST_HIDDEN_STATE);
      }
      int hidden = hiddenSizeOf(plain, spec.name());
      return new OnnxEncoder(spec, options, env, tokenizer, plain, fingerprint, numLayers, hasTypeIds, hidden);
    } catch (OrtException e) {
      tokenizer.close();
      throw new IllegalArgumentException("model " + spec.name() + ": ONNX Runtime cannot load "
          + spec.source().describe() + ": " + e.getMessage(), e);
    }
  }

  private static int hiddenSizeOf(OrtSession session, String modelName) throws OrtException {
    var info = (ai.onnxruntime.TensorInfo) session.getOutputInfo().get(ExposedGraph.LAST_HIDDEN_STATE).getInfo();
    long[] shape = info.getShape();
    if (shape.length != 3 || shape[2] <= 0) {
      throw new IllegalArgumentException("model " + modelName + ": last_hidden_state has shape "
          + Arrays.toString(shape) + ", expected [batch, sequence, hidden]");
    }
    return (int) shape[2];
  }

  private static OrtSession.SessionOptions sessionOptions(EncoderOptions options) throws OrtException {
    OrtSession.SessionOptions o = new OrtSession.SessionOptions();
    o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
    o.setIntraOpNumThreads(options.intraOpThreads());
    o.setInterOpNumThreads(1);
    return o;
  }

  static String sha256(byte[] bytes) {
    return Digests.sha256(bytes);
  }

  public ModelSpec spec() {
    return spec;
  }

  public EncoderOptions options() {
    return options;
  }

  /** SHA-256 of the ONNX file: identifies the exact weights an index was built with. */
  public String fingerprint() {
    return fingerprint;
  }

  /** Transformer layers; hidden states are numbered 0 (embeddings) to this. */
  public int numLayers() {
    return numLayers;
  }

  /** Width of the hidden states. */
  public int hiddenSize() {
    return hiddenSize;
  }

  /** Attention heads per layer, known once an exposed session with attention was created (0 before). */
  public int numHeads() {
    return numHeads;
  }

  public TextTokenizer tokenizer() {
    return tokenizer;
  }

  /** Receives each batch: its rows' positions in the encoded list, and its tensors. */
  @FunctionalInterface
  public interface BatchConsumer {
    void accept(int[] rows, EncoderOutputs outputs);
  }

  /**
   * Encodes texts (tokenized as given: add any prefix before calling) and hands each batch to {@code consumer}.
   * Batches are in length order, not input order; {@code rows} maps them back.
   */
  public EncodingReport encode(List<String> texts, TensorRequest request, BatchConsumer consumer,
      ProgressListener progress) {
    EncodingReport report = EncodingReport.empty();
    for (int from = 0; from < texts.size(); from += options.sortChunk()) {
      int to = Math.min(texts.size(), from + options.sortChunk());
      List<TokenizedText> tokens = tokenizer.encodeAll(texts.subList(from, to));
      final int offset = from;
      report = report.plus(encodeTokenized(tokens, request, (rows, out) -> {
        int[] global = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
          global[i] = rows[i] + offset;
        }
        consumer.accept(global, out);
      }, progress));
    }
    return report;
  }

  /**
   * Encodes already tokenized texts: sorted by length, batched under the token budget, with up to
   * {@code concurrentRuns} batches in flight. The consumer may be called from several threads at once (each call
   * with other rows).
   */
  public EncodingReport encodeTokenized(List<TokenizedText> tokens, TensorRequest request, BatchConsumer consumer,
      ProgressListener progress) {
    List<Batch> batches = planBatches(tokens);
    if (options.concurrentRuns() <= 1 || batches.size() <= 1) {
      for (Batch batch : batches) {
        consumer.accept(batch.rows(), run(batch, request));
        progress.advance(batch.size());
      }
    } else {
      runConcurrently(batches, request, consumer, progress);
    }
    long realTokens = 0;
    long padded = 0;
    for (Batch batch : batches) {
      for (int len : batch.lengths()) {
        realTokens += len;
      }
      padded += (long) batch.size() * batch.seqLen();
    }
    long truncated = tokens.stream().filter(TokenizedText::truncated).count();
    return new EncodingReport(tokens.size(), realTokens, padded, truncated, batches.size());
  }

  private void runConcurrently(List<Batch> batches, TensorRequest request, BatchConsumer consumer,
      ProgressListener progress) {
    java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
        options.concurrentRuns(), r -> {
          Thread t = new Thread(r, "attnir-encoder");
          t.setDaemon(true);
          return t;
        });
    try {
      List<java.util.concurrent.Future<?>> workers = new ArrayList<>();
      for (int w = 0; w < options.concurrentRuns(); w++) {
        workers.add(pool.submit(() -> {
          for (int i = next.getAndIncrement(); i < batches.size(); i = next.getAndIncrement()) {
            Batch batch = batches.get(i);
            consumer.accept(batch.rows(), run(batch, request));
            progress.advance(batch.size());
          }
          return null;
        }));
      }
      for (java.util.concurrent.Future<?> f : workers) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          next.set(batches.size()); // stop the other workers
          Throwable cause = e.getCause();
          if (cause instanceof RuntimeException re) {
            throw re;
          }
          throw new IllegalStateException(cause);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("encoding interrupted", e);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Cuts tokenized texts into batches: longest first, each batch holding at most {@code maxBatchSize} rows and
   * {@code maxBatchTokens} padded positions (a single over-budget text still gets its own batch).
   */
  public List<Batch> planBatches(List<TokenizedText> tokens) {
    Integer[] order = new Integer[tokens.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    // Stable sort keeps equal-length texts in input order, so runs are reproducible.
    Arrays.sort(order, (a, b) -> Integer.compare(tokens.get(b).length(), tokens.get(a).length()));
    List<Batch> batches = new ArrayList<>();
    int i = 0;
    while (i < order.length) {
      int longest = tokens.get(order[i]).length();
      int rows = 1;
      while (i + rows < order.length && rows < options.maxBatchSize()
          && (long) (rows + 1) * longest <= options.maxBatchTokens()) {
        rows++;
      }
      int[] idx = new int[rows];
      for (int r = 0; r < rows; r++) {
        idx[r] = order[i + r];
      }
      batches.add(Batch.of(idx, tokens));
      i += rows;
    }
    return batches;
  }

  /** Runs one batch, returning {@code last_hidden_state} and the requested tensors. */
  public EncoderOutputs run(Batch batch, TensorRequest request) {
    OrtSession session;
    Map<String, String> exposed;
    if (request.isEmpty()) {
      session = plainSession;
      exposed = Map.of();
    } else {
      ExposedSession es = exposedSession(request);
      session = es.session();
      exposed = es.outputs();
    }
    return runSession(session, exposed, batch);
  }

  private EncoderOutputs runSession(OrtSession session, Map<String, String> exposed, Batch batch) {
    long[] shape = {batch.size(), batch.seqLen()};
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      inputs.put(ExposedGraph.INPUT_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(batch.inputIds()), shape));
      inputs.put(ExposedGraph.ATTENTION_MASK,
          OnnxTensor.createTensor(env, LongBuffer.wrap(batch.attentionMask()), shape));
      if (hasTokenTypeIds) {
        inputs.put(ExposedGraph.TOKEN_TYPE_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(batch.typeIds()), shape));
      }
      Set<String> wanted = new LinkedHashSet<>();
      wanted.add(ExposedGraph.LAST_HIDDEN_STATE);
      wanted.addAll(exposed.values());
      try (OrtSession.Result result = session.run(inputs, wanted)) {
        float[] last = floats(result, ExposedGraph.LAST_HIDDEN_STATE);
        Map<Integer, float[]> hidden = new HashMap<>();
        Map<Integer, float[]> attention = new HashMap<>();
        Map<Integer, float[]> diagonals = new HashMap<>();
        for (Map.Entry<String, String> e : exposed.entrySet()) {
          String[] label = e.getKey().split(":");
          int index = Integer.parseInt(label[1]);
          float[] values = e.getValue().equals(ExposedGraph.LAST_HIDDEN_STATE) ? last : floats(result, e.getValue());
          switch (label[0]) {
            case "hidden" -> hidden.put(index, values);
            case "diagonal" -> diagonals.put(index, values);
            default -> attention.put(index, values);
          }
        }
        int h = numHeads;
        if (!attention.isEmpty()) {
          float[] any = attention.values().iterator().next();
          h = any.length / (batch.size() * batch.seqLen() * batch.seqLen());
        } else if (!diagonals.isEmpty()) {
          float[] any = diagonals.values().iterator().next();
          h = any.length / (batch.size() * batch.seqLen());
        }
        return new EncoderOutputs(batch.size(), batch.seqLen(), hiddenSize, h, numLayers, batch.lengths(), last,
            hidden, attention, diagonals);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("model " + spec.name() + ": inference failed on a batch of " + batch.size()
          + " x " + batch.seqLen() + " tokens: " + e.getMessage(), e);
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  private static float[] floats(OrtSession.Result result, String name) {
    OnnxValue v = result.get(name).orElseThrow(() -> new IllegalStateException("no output " + name));
    FloatBuffer buffer = ((OnnxTensor) v).getFloatBuffer();
    if (buffer.hasArray() && buffer.arrayOffset() == 0 && buffer.array().length == buffer.remaining()) {
      return buffer.array();
    }
    float[] copy = new float[buffer.remaining()];
    buffer.get(copy);
    return copy;
  }

  private ExposedSession exposedSession(TensorRequest request) {
    request.validate(numLayers, spec.name());
    return exposedSessions.computeIfAbsent(request, this::createExposedSession);
  }

  private ExposedSession createExposedSession(TensorRequest request) {
    byte[] onnx;
    try {
      onnx = spec.source().readOnnx();
    } catch (IOException e) {
      throw new UncheckedIOException("model " + spec.name() + ": cannot re-read the ONNX file", e);
    }
    ExposedGraph graph = ExposedGraph.parse(onnx, spec.name());
    Map<String, String> outputs = new LinkedHashMap<>(graph.outputNames(request));
    byte[] edited = graph.withOutputs(request);
    OrtSession session;
    try {
      session = env.createSession(edited, sessionOptions(options));
    } catch (OrtException e) {
      throw new IllegalStateException("model " + spec.name() + ": the graph with exposed tensors "
          + outputs.values() + " does not load: " + e.getMessage(), e);
    }
    try {
      verifyExposed(session, outputs, graph);
    } catch (RuntimeException e) {
      try {
        session.close();
      } catch (OrtException ignored) {
        // the verification failure is the error worth reporting
      }
      throw e;
    }
    return new ExposedSession(session, outputs);
  }

  /**
   * The load-time checks: on a padded probe batch, the exposed graph's last hidden state equals the unmodified
   * graph's, attention rows sum to 1 and padded keys receive no attention.
   */
  private void verifyExposed(OrtSession session, Map<String, String> outputs, ExposedGraph graph) {
    Batch probe = Batch.of(new int[] {0, 1}, tokenizer.encodeAll(PROBE_TEXTS));
    EncoderOutputs reference = runSession(plainSession, Map.of(), probe);
    EncoderOutputs exposed = runSession(session, outputs, probe);
    float[] a = reference.lastHidden();
    float[] b = exposed.lastHidden();
    double maxDiff = 0;
    for (int i = 0; i < a.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    }
    if (!(maxDiff <= EXPOSED_HIDDEN_TOLERANCE)) {
      throw new IllegalStateException("model " + spec.name() + ": exposing " + outputs.values()
          + " changed last_hidden_state by up to " + maxDiff + " (tolerance " + EXPOSED_HIDDEN_TOLERANCE + ")");
    }
    for (String label : outputs.keySet()) {
      String[] parts = label.split(":");
      int index = Integer.parseInt(parts[1]);
      switch (parts[0]) {
        case "hidden" -> checkFinite(exposed.hiddenState(index), "hidden state " + index);
        case "diagonal" -> {
          // The graph also outputs the full map (unfetched in normal runs): check it, then the diagonal against it.
          Map<String, String> both = Map.of("attention:" + index, graph.attentionTensor(index), label,
              outputs.get(label));
          EncoderOutputs full = runSession(session, both, probe);
          checkAttention(full, index, spec.name());
          checkDiagonal(full, exposed, index);
          numHeads = full.numHeads();
        }
        default -> {
          checkAttention(exposed, index, spec.name());
          numHeads = exposed.numHeads();
        }
      }
    }
  }

  /** The in-graph diagonal must equal the full attention map's diagonal exactly. */
  private void checkDiagonal(EncoderOutputs full, EncoderOutputs exposed, int layer) {
    float[] d = exposed.attentionDiagonal(layer);
    float[] a = full.attention(layer);
    if (d.length != full.batchSize() * full.numHeads() * full.seqLen()) {
      throw new IllegalStateException("model " + spec.name() + ": attention diagonal of layer " + layer + " has "
          + d.length + " values, not [batch, heads, seq]");
    }
    for (int b = 0; b < full.batchSize(); b++) {
      for (int h = 0; h < full.numHeads(); h++) {
        for (int i = 0; i < full.seqLen(); i++) {
          float expected = a[full.attentionOffset(b, h, i) + i];
          float got = d[(b * full.numHeads() + h) * full.seqLen() + i];
          if (Float.compare(expected, got) != 0) {
            throw new IllegalStateException("model " + spec.name() + ": attention diagonal of layer " + layer
                + " at (" + b + ", " + h + ", " + i + ") is " + got + ", the map has " + expected);
          }
        }
      }
    }
  }

  private void checkFinite(float[] values, String what) {
    for (float v : values) {
      if (!Float.isFinite(v)) {
        throw new IllegalStateException("model " + spec.name() + ": exposed " + what + " has non-finite values");
      }
    }
  }

  /** Attention rows must sum to 1 and padded keys must get no attention; throws naming the first violation. */
  static void checkAttention(EncoderOutputs out, int layer, String modelName) {
    float[] att = out.attention(layer);
    int seq = out.seqLen();
    if (out.numHeads() < 1 || att.length != out.batchSize() * out.numHeads() * seq * seq) {
      throw new IllegalStateException("model " + modelName + ": attention of layer " + layer + " has "
          + att.length + " values, not [batch, heads, seq, seq] for batch " + out.batchSize() + ", seq " + seq);
    }
    for (int b = 0; b < out.batchSize(); b++) {
      int len = out.length(b);
      for (int h = 0; h < out.numHeads(); h++) {
        for (int i = 0; i < seq; i++) {
          int row = out.attentionOffset(b, h, i);
          double sum = 0;
          for (int j = 0; j < seq; j++) {
            float p = att[row + j];
            sum += p;
            if (j >= len && !(Math.abs(p) <= PADDING_ATTENTION_TOLERANCE)) {
              throw new IllegalStateException("model " + modelName + ": attention of layer " + layer + " gives "
                  + p + " to padding (row " + b + ", head " + h + ", query " + i + ", key " + j + ")");
            }
          }
          if (!(Math.abs(sum - 1.0) <= ATTENTION_ROW_SUM_TOLERANCE)) {
            throw new IllegalStateException("model " + modelName + ": attention of layer " + layer
                + " row (" + b + ", head " + h + ", query " + i + ") sums to " + sum);
          }
        }
      }
    }
  }

  @Override
  public void close() {
    try {
      plainSession.close();
      for (ExposedSession s : exposedSessions.values()) {
        s.session().close();
      }
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    } finally {
      tokenizer.close();
    }
  }
}
