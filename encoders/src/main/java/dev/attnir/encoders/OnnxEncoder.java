package dev.attnir.encoders;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.attnir.core.ProgressListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a transformer in ONNX Runtime and hands every batch's tensors to a consumer.
 *
 * <p>The graph's {@link GraphLayout} (chosen from the graph at load) names the inputs the encoder feeds
 * ({@code input_ids}, {@code attention_mask}, and {@code token_type_ids} and {@code position_ids} when the graph
 * takes them) and its primary output: {@code last_hidden_state} of an encoder, or the {@code logits} of a scorer
 * (cross-encoder) or a language model ({@link PrimaryOutput}). A graph with any other required input is refused at
 * load, listing it. Plain encoding works for every loadable graph.
 *
 * <p>Texts are tokenized in chunks, sorted by length and cut into batches bounded by a token budget, so padding
 * wastes little compute. Plain encoding uses the unmodified graph, which ONNX Runtime is free to fuse. A consumer
 * that needs hidden states or attention probabilities gets a second session on a graph that exposes exactly the
 * requested tensors ({@link ExposedGraph}), possible only when the layout finds them by name; that session is checked
 * when it is created: its primary output must equal the unmodified graph's, every attention row must sum to 1, and
 * padded keys must get zero attention.
 *
 * <p>Concurrent runs ({@link EncoderOptions#concurrentRuns()}) share one executor owned by the encoder, created on
 * first use with daemon threads named {@code attnir-encoder-N} and shut down by {@link #close()}.
 */
public final class OnnxEncoder implements AutoCloseable {

  /** Tolerance of the load-time checks on exposed tensors. */
  static final double EXPOSED_HIDDEN_TOLERANCE = 1e-4;
  static final double ATTENTION_ROW_SUM_TOLERANCE = 1e-4;
  static final double PADDING_ATTENTION_TOLERANCE = 1e-6;

  private static final List<String> PROBE_TEXTS = List.of(
      "Exposed tensors are checked on a padded probe batch when the session is created, before any real text.",
      "A short probe.");

  /** The encoder whose executor runs the current thread, so a consumer that encodes again does not wait on itself. */
  private static final ThreadLocal<OnnxEncoder> WORKER_OF = new ThreadLocal<>();

  private final ModelSpec spec;
  private final EncoderOptions options;
  private final OrtEnvironment env;
  private final TextTokenizer tokenizer;
  private final OrtSession plainSession;
  private final String fingerprint;
  private final GraphLayout layout;
  private final PrimaryOutput primary;
  private final Map<String, OnnxJavaType> inputTypes;
  private final Map<TensorRequest, ExposedSession> exposedSessions = new ConcurrentHashMap<>();
  private volatile int numHeads;
  private final Object executorLock = new Object();
  private ExecutorService executor;
  private boolean closed;

  private record ExposedSession(OrtSession session, Map<String, String> outputs) {}

  private OnnxEncoder(ModelSpec spec, EncoderOptions options, OrtEnvironment env, TextTokenizer tokenizer,
      OrtSession plainSession, String fingerprint, GraphLayout layout, PrimaryOutput primary,
      Map<String, OnnxJavaType> inputTypes) {
    this.spec = spec;
    this.options = options;
    this.env = env;
    this.tokenizer = tokenizer;
    this.plainSession = plainSession;
    this.fingerprint = fingerprint;
    this.layout = layout;
    this.primary = primary;
    this.inputTypes = Map.copyOf(inputTypes);
  }

  /**
   * Loads a model.
   *
   * @throws IllegalArgumentException when the model files are missing, or the graph has an input the encoder cannot
   *     feed, or no {@code last_hidden_state} or {@code logits} output, or the max length exceeds the graph's
   *     position embeddings ({@link PositionLimit})
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
    // The parsed protobuf is as large as the model; keep only the layout (names). Exposed sessions parse again.
    ExposedGraph graph = ExposedGraph.parse(onnx, spec.name());
    GraphLayout layout = graph.layout();
    // before any session or index exists: ONNX Runtime would only fail on the first input longer than the table
    graph.positionLimit().ifPresent(limit -> limit.check(spec.name(), spec.maxLength()));
    graph = null; // the parsed protobuf is as large as the model
    TextTokenizer tokenizer = TextTokenizer.fromJson(tokenizerJson, spec.maxLength());
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession plain = null;
    try {
      plain = env.createSession(onnx, sessionOptions(options));
      PrimaryOutput primary = primaryOutputOf(plain, layout, spec.name());
      Map<String, OnnxJavaType> types = inputTypesOf(plain, layout, spec.name());
      return new OnnxEncoder(spec, options, env, tokenizer, plain, fingerprint, layout, primary, types);
    } catch (OrtException | RuntimeException e) {
      tokenizer.close();
      if (plain != null) {
        try {
          plain.close();
        } catch (OrtException ignored) {
          // the load failure is the error worth reporting
        }
      }
      if (e instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalArgumentException("model " + spec.name() + ": ONNX Runtime cannot load "
          + spec.source().describe() + ": " + e.getMessage(), e);
    }
  }

  private static PrimaryOutput primaryOutputOf(OrtSession session, GraphLayout layout, String modelName)
      throws OrtException {
    NodeInfo node = session.getOutputInfo().get(layout.primaryOutput());
    if (node == null) {
      throw new IllegalArgumentException("model " + modelName + " has outputs " + session.getOutputNames()
          + "; its " + layout.name() + " layout reads " + layout.primaryOutput());
    }
    if (!(node.getInfo() instanceof TensorInfo info) || info.type != OnnxJavaType.FLOAT) {
      throw new IllegalArgumentException("model " + modelName + ": output " + layout.primaryOutput() + " is "
          + node.getInfo() + ", not a float tensor");
    }
    return PrimaryOutput.of(layout.primaryOutput(), info.getShape(), modelName);
  }

  private static Map<String, OnnxJavaType> inputTypesOf(OrtSession session, GraphLayout layout, String modelName)
      throws OrtException {
    Map<String, NodeInfo> info = session.getInputInfo();
    Map<String, OnnxJavaType> types = new HashMap<>();
    for (String input : layout.inputs()) {
      NodeInfo node = info.get(input);
      if (node == null) {
        throw new IllegalArgumentException("model " + modelName + ": ONNX Runtime does not list input " + input
            + " (it lists " + info.keySet() + ")");
      }
      if (!(node.getInfo() instanceof TensorInfo t)
          || (t.type != OnnxJavaType.INT64 && t.type != OnnxJavaType.INT32)) {
        throw new IllegalArgumentException("model " + modelName + ": input " + input + " is " + node.getInfo()
            + "; the encoder feeds int64 or int32 tensors");
      }
      types.put(input, t.type);
    }
    return types;
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

  /** How the graph names its inputs, primary output and (if it can) intermediate tensors. */
  public GraphLayout layout() {
    return layout;
  }

  /** The output every run returns: {@code last_hidden_state} of an encoder, {@code logits} of a scorer or LM. */
  public PrimaryOutput primaryOutput() {
    return primary;
  }

  /** Whether hidden states and attention can be exposed ({@link GraphLayout#canExpose()}). */
  public boolean canExpose() {
    return layout.canExpose();
  }

  /** Transformer layers; hidden states are numbered 0 (embeddings) to this. 0 when the layout cannot expose. */
  public int numLayers() {
    return layout.numLayers();
  }

  /** Width of the hidden states; 0 when the primary output is not {@code last_hidden_state}. */
  public int hiddenSize() {
    return primary.kind() == PrimaryOutput.Kind.TOKEN_STATES ? primary.width() : 0;
  }

  /** Attention heads per layer, known once an exposed session with attention was created (0 before). */
  public int numHeads() {
    return numHeads;
  }

  public TextTokenizer tokenizer() {
    return tokenizer;
  }

  /**
   * Checks that this encoder can serve {@code request}: an empty one always; one that exposes tensors only when the
   * layout can, and with indices within the model.
   *
   * @throws IllegalArgumentException naming what was looked for, or the valid range
   */
  public void validate(TensorRequest request) {
    if (!request.isEmpty() && !layout.canExpose()) {
      throw new IllegalArgumentException("model " + spec.name() + " (" + layout.name() + " graph layout, inputs "
          + layout.inputs() + ", output " + primary.name() + ") cannot expose hidden states or attention: "
          + layout.exposureUnavailableReason() + "; requested " + describe(request));
    }
    request.validate(numLayers(), spec.name());
  }

  private static String describe(TensorRequest r) {
    List<String> parts = new ArrayList<>();
    if (!r.hiddenStates().isEmpty()) {
      parts.add("hidden states " + r.hiddenStates());
    }
    if (!r.attentions().isEmpty()) {
      parts.add("attention of layers " + r.attentions());
    }
    if (!r.attentionDiagonals().isEmpty()) {
      parts.add("attention diagonals of layers " + r.attentionDiagonals());
    }
    return String.join(", ", parts);
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
   * Encodes already tokenized texts (single texts, pairs or packed sequences): sorted by length, batched under the
   * token budget, with up to {@code concurrentRuns} batches in flight on the encoder's executor. The consumer may be
   * called from several threads at once (each call with other rows); every call has returned when this returns.
   */
  public EncodingReport encodeTokenized(List<TokenizedText> tokens, TensorRequest request, BatchConsumer consumer,
      ProgressListener progress) {
    List<Batch> batches = planBatches(tokens);
    if (options.concurrentRuns() <= 1 || batches.size() <= 1 || WORKER_OF.get() == this) {
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

  /**
   * The primary output of a scorer for every tokenized input, in input order: {@code [texts][n]} (n = 1 for a
   * cross-encoder). Inputs are typically pairs ({@link TextTokenizer#encodePairs}).
   *
   * @throws IllegalStateException when the model is not a scorer (its primary output is not {@code [batch, n]})
   */
  public float[][] score(List<TokenizedText> tokens) {
    if (primary.kind() != PrimaryOutput.Kind.SEQUENCE_SCORES) {
      throw new IllegalStateException("model " + spec.name() + " outputs " + primary.describe()
          + "; score() needs a scorer whose output is logits [batch, n] (e.g. a cross-encoder)");
    }
    float[][] scores = new float[tokens.size()][];
    encodeTokenized(tokens, TensorRequest.none(), (rows, out) -> {
      float[] logits = out.primaryOutput();
      int n = out.primaryShape()[1];
      for (int b = 0; b < rows.length; b++) {
        scores[rows[b]] = Arrays.copyOfRange(logits, b * n, (b + 1) * n);
      }
    }, ProgressListener.none());
    return scores;
  }

  /** Scores {@code query} against every passage as {@code [CLS] query [SEP] passage [SEP]} pairs. */
  public float[][] scorePairs(String query, List<String> passages) {
    return score(tokenizer.encodePairs(java.util.Collections.nCopies(passages.size(), query), passages));
  }

  private ExecutorService executor() {
    synchronized (executorLock) {
      if (closed) {
        throw new IllegalStateException("model " + spec.name() + ": the encoder is closed");
      }
      if (executor == null) {
        AtomicInteger threads = new AtomicInteger();
        executor = Executors.newFixedThreadPool(options.concurrentRuns(), r -> {
          Thread t = new Thread(() -> {
            WORKER_OF.set(this);
            r.run();
          }, "attnir-encoder-" + threads.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
      }
      return executor;
    }
  }

  private void runConcurrently(List<Batch> batches, TensorRequest request, BatchConsumer consumer,
      ProgressListener progress) {
    ExecutorService pool = executor();
    AtomicInteger next = new AtomicInteger();
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < Math.min(options.concurrentRuns(), batches.size()); w++) {
      workers.add(pool.submit(() -> {
        for (int i = next.getAndIncrement(); i < batches.size(); i = next.getAndIncrement()) {
          Batch batch = batches.get(i);
          consumer.accept(batch.rows(), run(batch, request));
          progress.advance(batch.size());
        }
        return null;
      }));
    }
    Throwable failure = null;
    for (Future<?> f : workers) {
      try {
        f.get();
      } catch (ExecutionException e) {
        next.set(batches.size()); // the other workers stop after their current batch
        if (failure == null) {
          failure = e.getCause();
        }
      } catch (InterruptedException e) {
        next.set(batches.size());
        workers.forEach(x -> x.cancel(false));
        Thread.currentThread().interrupt();
        throw new IllegalStateException("encoding interrupted", e);
      }
    }
    if (failure instanceof RuntimeException re) {
      throw re;
    }
    if (failure instanceof Error err) {
      throw err;
    }
    if (failure != null) {
      throw new IllegalStateException(failure);
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

  /** Runs one batch, returning the primary output and the requested tensors. */
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

  private OnnxTensor inputTensor(String name, long[] values, long[] shape) throws OrtException {
    if (inputTypes.get(name) == OnnxJavaType.INT32) {
      int[] ints = new int[values.length];
      for (int i = 0; i < ints.length; i++) {
        ints[i] = Math.toIntExact(values[i]);
      }
      return OnnxTensor.createTensor(env, IntBuffer.wrap(ints), shape);
    }
    return OnnxTensor.createTensor(env, LongBuffer.wrap(values), shape);
  }

  /** Positions {@code 0..seq-1} in every row: real tokens get {@code 0..len-1}, as models count them unasked. */
  static long[] positionIds(int rows, int seqLen) {
    long[] p = new long[rows * seqLen];
    for (int b = 0; b < rows; b++) {
      for (int t = 0; t < seqLen; t++) {
        p[b * seqLen + t] = t;
      }
    }
    return p;
  }

  private EncoderOutputs runSession(OrtSession session, Map<String, String> exposed, Batch batch) {
    long[] shape = {batch.size(), batch.seqLen()};
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      for (String input : layout.inputs()) {
        long[] values = switch (input) {
          case GraphLayout.INPUT_IDS -> batch.inputIds();
          case GraphLayout.ATTENTION_MASK -> batch.attentionMask();
          case GraphLayout.TOKEN_TYPE_IDS -> batch.typeIds();
          case GraphLayout.POSITION_IDS -> positionIds(batch.size(), batch.seqLen());
          default -> throw new IllegalStateException("no feed for input " + input);
        };
        inputs.put(input, inputTensor(input, values, shape));
      }
      boolean rowsExposed = exposed.keySet().stream().anyMatch(label -> label.startsWith("rows:"));
      if (rowsExposed) {
        inputs.put(ExposedGraph.FIRST_SEGMENT_ROWS, OnnxTensor.createTensor(env,
            LongBuffer.wrap(new long[] {batch.firstSegmentRows()}), new long[] {1}));
      }
      String primaryName = primary.name();
      Set<String> wanted = new LinkedHashSet<>();
      wanted.add(primaryName);
      wanted.addAll(exposed.values());
      try (OrtSession.Result result = session.run(inputs, wanted)) {
        float[] main = floats(result, primaryName);
        long[] mainShape = ((TensorInfo) result.get(primaryName).get().getInfo()).getShape();
        int[] primaryShape = new int[mainShape.length];
        for (int i = 0; i < mainShape.length; i++) {
          primaryShape[i] = Math.toIntExact(mainShape[i]);
        }
        Map<Integer, float[]> hidden = new HashMap<>();
        Map<Integer, float[]> attention = new HashMap<>();
        Map<Integer, float[]> diagonals = new HashMap<>();
        Map<Integer, float[]> firstSegment = new HashMap<>();
        for (Map.Entry<String, String> e : exposed.entrySet()) {
          String[] label = e.getKey().split(":");
          int index = Integer.parseInt(label[1]);
          float[] values = e.getValue().equals(primaryName) ? main : floats(result, e.getValue());
          switch (label[0]) {
            case "hidden" -> hidden.put(index, values);
            case "diagonal" -> diagonals.put(index, values);
            case "rows" -> firstSegment.put(index, values);
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
        } else if (!firstSegment.isEmpty() && batch.firstSegmentRows() > 0) {
          float[] any = firstSegment.values().iterator().next();
          h = any.length / (batch.size() * batch.firstSegmentRows() * batch.seqLen());
        }
        int width = hiddenSize();
        if (width == 0 && !hidden.isEmpty()) {
          width = hidden.values().iterator().next().length / (batch.size() * batch.seqLen());
        }
        EncoderOutputs outputs = new EncoderOutputs(batch.size(), batch.seqLen(), width, h, numLayers(),
            batch.lengths(), primaryName, main, primaryShape, hidden, attention, diagonals);
        return firstSegment.isEmpty() ? outputs
            : outputs.withFirstSegmentAttentions(batch.firstSegmentRows(), firstSegment);
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
    validate(request);
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
   * The load-time checks: on a padded probe batch, the exposed graph's primary output equals the unmodified
   * graph's, attention rows sum to 1 and padded keys receive no attention.
   */
  private void verifyExposed(OrtSession session, Map<String, String> outputs, ExposedGraph graph) {
    Batch probe = Batch.of(new int[] {0, 1}, tokenizer.encodeAll(PROBE_TEXTS));
    EncoderOutputs reference = runSession(plainSession, Map.of(), probe);
    EncoderOutputs exposed = runSession(session, outputs, probe);
    float[] a = reference.primaryOutput();
    float[] b = exposed.primaryOutput();
    double maxDiff = 0;
    for (int i = 0; i < a.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    }
    if (!(maxDiff <= EXPOSED_HIDDEN_TOLERANCE)) {
      throw new IllegalStateException("model " + spec.name() + ": exposing " + outputs.values()
          + " changed " + primary.name() + " by up to " + maxDiff + " (tolerance " + EXPOSED_HIDDEN_TOLERANCE + ")");
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
        case "rows" -> {
          Map<String, String> both = Map.of("attention:" + index, graph.attentionTensor(index), label,
              outputs.get(label));
          EncoderOutputs full = runSession(session, both, probe);
          checkAttention(full, index, spec.name());
          checkFirstSegmentRows(full, index);
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

  /** The in-graph row slice must equal the full attention map's leading rows exactly. */
  private void checkFirstSegmentRows(EncoderOutputs full, int layer) {
    float[] rows = full.firstSegmentAttention(layer);
    float[] a = full.attention(layer);
    int r = full.firstSegmentRows();
    int seq = full.seqLen();
    if (rows.length != full.batchSize() * full.numHeads() * r * seq) {
      throw new IllegalStateException("model " + spec.name() + ": first-segment attention of layer " + layer + " has "
          + rows.length + " values, not [batch, heads, " + r + ", seq]");
    }
    for (int b = 0; b < full.batchSize(); b++) {
      for (int h = 0; h < full.numHeads(); h++) {
        for (int i = 0; i < r; i++) {
          int from = full.attentionOffset(b, h, i);
          int to = full.firstSegmentAttentionOffset(b, h, i);
          for (int j = 0; j < seq; j++) {
            if (Float.compare(a[from + j], rows[to + j]) != 0) {
              throw new IllegalStateException("model " + spec.name() + ": first-segment attention of layer " + layer
                  + " at (" + b + ", " + h + ", " + i + ", " + j + ") is " + rows[to + j] + ", the map has "
                  + a[from + j]);
            }
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

  /** Shuts the executor down (waiting for runs in flight), then closes the sessions and the tokenizer. */
  @Override
  public void close() {
    ExecutorService pool;
    synchronized (executorLock) {
      closed = true;
      pool = executor;
    }
    try {
      if (pool != null) {
        pool.shutdown();
        try {
          if (!pool.awaitTermination(60, TimeUnit.SECONDS)) {
            pool.shutdownNow();
          }
        } catch (InterruptedException e) {
          pool.shutdownNow();
          Thread.currentThread().interrupt();
        }
      }
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
