package dev.attnir.rerankers.attention;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.attnir.encoders.TextTokenizer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A causal language model in ONNX as an attention reader, for the user's own LLM export.
 *
 * <p>The context follows ICR's prompt (OSU-NLP-Group/In-Context-Reranking, {@code instruct} template, query last):
 * {@code <bos>} + prefix + instruction, then per passage a separator and {@code [i] passage}, then a separator, the
 * late instruction and {@code Query: query} + suffix. Each piece is tokenized on its own and the ids concatenated, so
 * the spans are exact: a passage's span is its marker and text, the focus span runs from the late instruction to the
 * end (ICR's query span), or is its last token ({@link AttentionReader.Focus#LAST_QUERY_TOKEN}). Passages are cut
 * from their ends, sharing the positions left by the rest of the prompt equally ({@link TextTokenizer#waterFill}).
 *
 * <p>Graph layouts read (inputs {@code input_ids}, {@code attention_mask}, optionally {@code position_ids} and the
 * cache {@code past_key_values.N.key|value} with outputs {@code present.N.key|value}, float32):
 * <ul>
 *   <li><b>Exposed probabilities</b>: eager-attention exports (optimum's, with or without a cache) keep one
 *       {@code Softmax} per layer, found by the HF naming {@code /model/layers.N/self_attn/Softmax} and added as graph
 *       outputs ([batch, heads, new tokens, past + new tokens]).
 *   <li><b>Recomputed rows</b>: exports with fused attention ({@code com.microsoft.GroupQueryAttention}, as
 *       onnxruntime-genai's model builder writes Llama-family models) never form the probabilities. As ICR's code does
 *       for FlashAttention, the reader exposes each layer's query (the node's first input, rotated here with the
 *       node's own cos/sin caches when it applies RoPE itself) and keys after RoPE (its {@code present_key} output),
 *       and recomputes softmax(q·kᵀ·scale) with the causal mask for just the focus rows: no [heads, seq, seq] map is
 *       materialised. Node features that change the probabilities and are not reproduced here (softcap, smooth
 *       softmax, a local window, an attention bias, head sinks, quantised caches, Q/K norms, non-causal attention)
 *       are refused by name.
 * </ul>
 *
 * <p>With a cache in the graph, contexts that share everything before the query tokens (ICR's read and its "N/A"
 * calibration read, whose passages are cut alike) run that prefix once: the focus rows inside it (the late
 * instruction) are read from the prefix pass, and each query is fed alone with the prefix's cache. Such graphs are run
 * one context at a time (no padding), graphs without a cache in right-padded batches.
 *
 * <p>Other fused attention ({@code MultiHeadAttention}, {@code Attention}, ONNX {@code Attention}) and float16 caches
 * are refused with a message saying what was looked for.
 */
public final class DecoderReader implements AttentionReader {

  /** Text to token ids, without special tokens; closed with the reader. */
  @FunctionalInterface
  public interface Tokens extends AutoCloseable {
    long[] encode(String text);

    @Override
    default void close() {}
  }

  /** ICR's prompt pieces. */
  public record Prompt(String prefix, String instruction, String separator, String lateInstruction,
      String queryLabel, String suffix) {

    /** ICR's QA prompt (their defaults for a model without a chat template). */
    public static Prompt icrQa() {
      return new Prompt("", " Here are some paragraphs:", "\n\n",
          "Please answer the following question based on the information in the paragraphs above.", "Query:", "");
    }
  }

  /** How attention is obtained from the graph. */
  public enum Route {
    /** Per-layer Softmax outputs exposed. */
    EXPOSED_PROBABILITIES,
    /** Focus rows recomputed from exposed per-layer Q and K (fused attention). */
    RECOMPUTED_FROM_QK
  }

  private static final Pattern SOFTMAX = Pattern.compile("^/model/layers\\.(\\d+)/self_attn/Softmax$");
  private static final Pattern PAST = Pattern.compile("^past_key_values\\.(\\d+)\\.(key|value)$");
  private static final Set<String> FUSED = Set.of("MultiHeadAttention", "Attention", "GroupQueryAttention",
      "PackedMultiHeadAttention", "PagedAttention", "SparseAttention");

  private final String name;
  private final String identity;
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession session;
  private final Route route;
  private final List<String> attentionOutputs; // probabilities per layer (exposed route)
  private final List<FusedLayer> fusedLayers; // per layer (recomputed route)
  private final boolean takesPositions;
  /** Cache inputs in order, each with its present output; empty when the graph has no cache. */
  private final Map<String, String> pastToPresent;
  private final Map<String, long[]> pastShape; // [kv heads, head size] per cache input
  private final Set<String> requested;
  private final Tokens tokens;
  private final long bos;
  private final long pad;
  private final int maxPositions;
  private final Prompt prompt;
  private final java.nio.file.Path externalData;

  /** A fused attention node's tensors and settings. */
  private record FusedLayer(String node, String query, String presentKey, int heads, int kvHeads, Float scale,
      boolean rotary, boolean interleaved, float[][] cos, float[][] sin) {}

  /**
   * @param onnx the causal-LM graph
   * @param bos the beginning-of-sequence id put first
   * @param pad the id padded rows are filled with (masked)
   * @param maxPositions the longest context the model was trained for
   * @throws IllegalArgumentException when the graph's attention cannot be read, saying what was looked for
   */
  public DecoderReader(String name, byte[] onnx, Tokens tokens, long bos, long pad, int maxPositions, Prompt prompt,
      String weightsDigest) {
    this(name, onnx, null, tokens, bos, pad, maxPositions, prompt, weightsDigest);
  }

  /**
   * As above, for a graph that keeps its weights in external data files (ONNX's layout for models over 2 GB).
   *
   * @param externalData the folder holding the graph's external data files (its own folder), or null when the graph
   *     holds all its tensors
   */
  public DecoderReader(String name, byte[] onnx, java.nio.file.Path externalData, Tokens tokens, long bos, long pad,
      int maxPositions, Prompt prompt, String weightsDigest) {
    this.name = name;
    this.externalData = externalData;
    this.tokens = tokens;
    this.bos = bos;
    this.pad = pad;
    this.maxPositions = maxPositions;
    this.prompt = prompt;
    OnnxMl.ModelProto model;
    try {
      model = OnnxMl.ModelProto.parseFrom(onnx);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("reader " + name + ": not an ONNX model: " + e.getMessage(), e);
    }
    OnnxMl.GraphProto graph0 = model.getGraph();
    Set<String> outputs = new HashSet<>();
    graph0.getOutputList().forEach(o -> outputs.add(o.getName()));
    pastToPresent = new LinkedHashMap<>();
    pastShape = new HashMap<>();
    List<String> unsupported = new ArrayList<>();
    List<String> inputs = new ArrayList<>();
    for (OnnxMl.ValueInfoProto input : graph0.getInputList()) {
      String in = input.getName();
      inputs.add(in);
      Matcher past = PAST.matcher(in);
      if (past.matches()) {
        String present = "present." + past.group(1) + "." + past.group(2);
        if (!outputs.contains(present)) {
          throw new IllegalArgumentException("reader " + name + ": the graph takes the cache input " + in
              + " but has no output " + present + " to read the cache from");
        }
        OnnxMl.TypeProto.Tensor type = input.getType().getTensorType();
        if (type.getElemType() != OnnxMl.TensorProto.DataType.FLOAT.getNumber()) {
          throw new IllegalArgumentException("reader " + name + ": cache input " + in + " is of ONNX type "
              + type.getElemType() + "; only float32 caches are read");
        }
        List<OnnxMl.TensorShapeProto.Dimension> dims = type.getShape().getDimList();
        if (dims.size() != 4 || !dims.get(1).hasDimValue() || !dims.get(3).hasDimValue()) {
          throw new IllegalArgumentException("reader " + name + ": cache input " + in + " must be declared "
              + "[batch, kv heads, past length, head size] with fixed kv heads and head size, got " + dims);
        }
        pastToPresent.put(in, present);
        pastShape.put(in, new long[] {dims.get(1).getDimValue(), dims.get(3).getDimValue()});
      } else if (!List.of("input_ids", "attention_mask", "position_ids").contains(in)) {
        unsupported.add(in);
      }
    }
    if (!inputs.contains("input_ids") || !inputs.contains("attention_mask") || !unsupported.isEmpty()) {
      throw new IllegalArgumentException("reader " + name + ": a decoder reader feeds input_ids, attention_mask and "
          + "optionally position_ids and past_key_values.N.key|value; the graph takes " + inputs
          + (unsupported.isEmpty() ? "" : " (unsupported: " + unsupported + ")"));
    }
    takesPositions = inputs.contains("position_ids");
    Map<String, OnnxMl.TensorProto> initializers = new HashMap<>();
    graph0.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
    if (externalData == null) {
      for (OnnxMl.TensorProto t : graph0.getInitializerList()) {
        if (t.getDataLocation() == OnnxMl.TensorProto.DataLocation.EXTERNAL) {
          throw new IllegalArgumentException("reader " + name + ": the graph keeps tensor " + t.getName()
              + " in an external data file; open it from its folder (a decoder model directory), where the file is");
        }
      }
    }

    Map<Integer, String> softmax = new TreeMap<>();
    List<OnnxMl.NodeProto> gqa = new ArrayList<>();
    Set<String> otherFused = new java.util.TreeSet<>();
    for (OnnxMl.NodeProto node : graph0.getNodeList()) {
      Matcher m = SOFTMAX.matcher(node.getName());
      if (node.getOpType().equals("Softmax") && m.matches()) {
        softmax.put(Integer.parseInt(m.group(1)), node.getOutput(0));
      } else if (node.getOpType().equals("GroupQueryAttention") && node.getDomain().equals("com.microsoft")) {
        gqa.add(node);
      } else if (FUSED.contains(node.getOpType())) {
        otherFused.add((node.getDomain().isEmpty() ? "" : node.getDomain() + ".") + node.getOpType());
      }
    }
    List<String> extraOutputs = new ArrayList<>();
    if (!softmax.isEmpty()) {
      route = Route.EXPOSED_PROBABILITIES;
      attentionOutputs = List.copyOf(softmax.values());
      fusedLayers = List.of();
      extraOutputs.addAll(attentionOutputs);
    } else if (!gqa.isEmpty() && otherFused.isEmpty()) {
      route = Route.RECOMPUTED_FROM_QK;
      attentionOutputs = List.of();
      List<FusedLayer> layers = new ArrayList<>();
      for (OnnxMl.NodeProto node : gqa) {
        layers.add(fusedLayer(node, initializers));
      }
      fusedLayers = List.copyOf(layers);
      for (FusedLayer l : fusedLayers) {
        extraOutputs.add(l.query());
        if (!outputs.contains(l.presentKey())) {
          extraOutputs.add(l.presentKey());
        }
      }
    } else {
      throw new IllegalArgumentException("reader " + name + ": cannot expose attention: looked for a Softmax node "
          + "named '/model/layers.N/self_attn/Softmax' per layer (eager-attention exports) or a "
          + "com.microsoft.GroupQueryAttention node per layer (fused attention, rows recomputed from its Q and K)"
          + (otherFused.isEmpty() ? "; found neither" : "; found only " + otherFused + ", which is not read"));
    }
    OnnxMl.GraphProto.Builder graph = graph0.toBuilder();
    for (String out : extraOutputs) {
      if (!outputs.contains(out)) {
        graph.addOutput(OnnxMl.ValueInfoProto.newBuilder().setName(out).setType(OnnxMl.TypeProto.newBuilder()
            .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()))));
      }
    }
    requested = new HashSet<>(extraOutputs);
    requested.addAll(pastToPresent.values());
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      if (externalData != null) {
        // the graph is handed over from memory, so ONNX Runtime is told where its external data files are
        options.addConfigEntry("session.model_external_initializers_file_folder_path", externalData.toString());
      }
      session = env.createSession(model.toBuilder().setGraph(graph).build().toByteArray(), options);
    } catch (OrtException e) {
      throw new IllegalArgumentException("reader " + name + ": ONNX Runtime cannot load the graph: " + e.getMessage(),
          e);
    }
    int layers = route == Route.EXPOSED_PROBABILITIES ? attentionOutputs.size() : fusedLayers.size();
    // the prompt and BOS decide which tokens sit where, so a profile must not cross them
    String promptDigest = dev.attnir.encoders.Digests.sha256((prompt + "\u0000bos=" + bos)
        .getBytes(java.nio.charset.StandardCharsets.UTF_8)).substring(0, 16);
    this.identity = "decoder:" + name + ",weights=" + weightsDigest + ",max-positions=" + maxPositions + ",layers=all("
        + layers + "),prompt=" + promptDigest;
  }

  private FusedLayer fusedLayer(OnnxMl.NodeProto node, Map<String, OnnxMl.TensorProto> initializers) {
    Map<String, OnnxMl.AttributeProto> attributes = new HashMap<>();
    node.getAttributeList().forEach(a -> attributes.put(a.getName(), a));
    String where = "reader " + name + ": GroupQueryAttention node " + node.getName() + ": ";
    List<String> refused = new ArrayList<>();
    if (attributes.containsKey("softcap") && attributes.get("softcap").getF() != 0) {
      refused.add("softcap=" + attributes.get("softcap").getF());
    }
    if (attributes.containsKey("smooth_softmax") && attributes.get("smooth_softmax").getI() != 0) {
      refused.add("smooth_softmax");
    }
    if (attributes.containsKey("local_window_size") && attributes.get("local_window_size").getI() != -1) {
      refused.add("local_window_size=" + attributes.get("local_window_size").getI());
    }
    if (attributes.containsKey("causal") && attributes.get("causal").getI() != 1) {
      refused.add("causal=" + attributes.get("causal").getI());
    }
    for (String quant : List.of("k_quant_type", "v_quant_type")) {
      if (attributes.containsKey(quant) && !attributes.get(quant).getS().toStringUtf8().equals("NONE")) {
        refused.add(quant + "=" + attributes.get(quant).getS().toStringUtf8());
      }
    }
    String[] optionalInputs = {null, null, null, null, null, null, null, null, null, null, "attention_bias",
        "head_sink", "k_scale", "v_scale", "q_norm_weight", "k_norm_weight"};
    for (int i = 10; i < node.getInputCount() && i < optionalInputs.length; i++) {
      if (!node.getInput(i).isEmpty()) {
        refused.add("input " + optionalInputs[i]);
      }
    }
    if (!refused.isEmpty()) {
      throw new IllegalArgumentException(where + "its attention cannot be recomputed exactly with " + refused);
    }
    if (node.getOutputCount() < 2 || node.getOutput(1).isEmpty()) {
      throw new IllegalArgumentException(where + "has no present_key output to read the keys from");
    }
    boolean rotary = attributes.containsKey("do_rotary") && attributes.get("do_rotary").getI() == 1;
    float[][] cos = null;
    float[][] sin = null;
    if (rotary) {
      if (node.getInputCount() < 9 || node.getInput(7).isEmpty() || node.getInput(8).isEmpty()) {
        throw new IllegalArgumentException(where + "do_rotary=1 without cos_cache and sin_cache inputs");
      }
      cos = matrix(initializers.get(node.getInput(7)), where + "cos_cache " + node.getInput(7));
      sin = matrix(initializers.get(node.getInput(8)), where + "sin_cache " + node.getInput(8));
      if (cos.length < maxPositions || sin.length != cos.length) {
        throw new IllegalArgumentException(where + "its cos/sin caches hold " + cos.length + "/" + sin.length
            + " positions, fewer than the reader's " + maxPositions);
      }
    }
    Float scale = attributes.containsKey("scale") && attributes.get("scale").getF() != 0
        ? attributes.get("scale").getF() : null;
    return new FusedLayer(node.getName(), node.getInput(0), node.getOutput(1),
        (int) attributes.get("num_heads").getI(), (int) attributes.get("kv_num_heads").getI(), scale, rotary,
        attributes.containsKey("rotary_interleaved") && attributes.get("rotary_interleaved").getI() == 1, cos, sin);
  }

  /** A 2-D float initializer as rows. */
  private float[][] matrix(OnnxMl.TensorProto t, String what) {
    if (t == null) {
      throw new IllegalArgumentException(what + " is computed in the graph; only caches stored as initializers are "
          + "read");
    }
    if (t.getDataType() != OnnxMl.TensorProto.DataType.FLOAT.getNumber() || t.getDimsCount() != 2) {
      throw new IllegalArgumentException(what + " must be a 2-D float32 initializer, got type " + t.getDataType()
          + " dims " + t.getDimsList());
    }
    int rows = Math.toIntExact(t.getDims(0));
    int cols = Math.toIntExact(t.getDims(1));
    float[] flat = new float[rows * cols];
    java.nio.ByteBuffer raw = t.getDataLocation() == OnnxMl.TensorProto.DataLocation.EXTERNAL ? external(t, what)
        : t.getRawData().asReadOnlyByteBuffer();
    int stored = t.getFloatDataCount() > 0 ? t.getFloatDataCount() : raw.remaining() / Float.BYTES;
    if (stored != flat.length) {
      throw new IllegalArgumentException(what + " holds " + stored + " values for dims " + t.getDimsList());
    }
    if (t.getFloatDataCount() > 0) {
      for (int i = 0; i < flat.length; i++) {
        flat[i] = t.getFloatData(i);
      }
    } else {
      raw.order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(flat);
    }
    float[][] out = new float[rows][];
    for (int r = 0; r < rows; r++) {
      out[r] = Arrays.copyOfRange(flat, r * cols, (r + 1) * cols);
    }
    return out;
  }

  /** The bytes of an initializer kept in an external data file (ONNX's location/offset/length entries). */
  private java.nio.ByteBuffer external(OnnxMl.TensorProto t, String what) {
    if (externalData == null) {
      throw new IllegalArgumentException(what + " is stored as external data, and no folder to read it from was given");
    }
    Map<String, String> entries = new HashMap<>();
    t.getExternalDataList().forEach(e -> entries.put(e.getKey(), e.getValue()));
    String location = entries.get("location");
    if (location == null) {
      throw new IllegalArgumentException(what + " is stored as external data without a location");
    }
    java.nio.file.Path file = DecoderModelDirectory.externalFile(externalData, location, what);
    long offset = externalNumber(entries, "offset", 0, what);
    try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file)) {
      long length = externalNumber(entries, "length", channel.size() - offset, what);
      if (offset < 0 || length < 0 || offset + length > channel.size()) {
        throw new IllegalArgumentException(what + ": external data " + file + " holds " + channel.size()
            + " bytes, the tensor asks for " + length + " at offset " + offset);
      }
      java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(Math.toIntExact(length));
      while (bytes.hasRemaining() && channel.read(bytes, offset + bytes.position()) >= 0) {
        // read until full
      }
      return bytes.flip();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(what + ": cannot read its external data " + file, e);
    }
  }

  private static long externalNumber(Map<String, String> entries, String key, long absent, String what) {
    String value = entries.get(key);
    if (value == null) {
      return absent;
    }
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + ": external data " + key + " '" + value + "' is not a number", e);
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String identity() {
    return identity;
  }

  /** Layers whose attention is read. */
  public int layers() {
    return route == Route.EXPOSED_PROBABILITIES ? attentionOutputs.size() : fusedLayers.size();
  }

  /** How attention is obtained from this graph. */
  public Route route() {
    return route;
  }

  /** Whether the graph has a cache, so a shared prompt prefix is run once. */
  public boolean reusesPrefix() {
    return !pastToPresent.isEmpty();
  }

  /**
   * A context laid out as token ids: each passage's span {@code [start, end)}, the focus span, where the query's
   * tokens start (everything before is shared by contexts with the same passages), whether a passage was cut.
   */
  public record Layout(long[] ids, int[][] passageSpans, int focusStart, int focusEnd, int queryStart,
      boolean truncated) {}

  /** How {@link #read} lays {@code context} out. */
  public Layout layout(Context context) {
    List<long[]> passages = new ArrayList<>();
    for (int i = 0; i < context.passages().size(); i++) {
      passages.add(tokens.encode("[" + (i + 1) + "] " + context.passages().get(i)));
    }
    long[] head = concat(new long[] {bos}, tokens.encode(prompt.prefix() + prompt.instruction()));
    long[] separator = tokens.encode(prompt.separator());
    long[] late = tokens.encode(prompt.separator() + prompt.lateInstruction() + prompt.separator()
        + prompt.queryLabel());
    long[] query = queryTokens(context.query());
    // the passages get the room left by the longer of the query and the layout query, so two reads laid out for each
    // other's query cut them alike
    int queryRoom = context.layoutQuery() == null ? query.length
        : Math.max(query.length, queryTokens(context.layoutQuery()).length);
    int fixed = head.length + late.length + queryRoom + separator.length * passages.size();
    int budget = maxPositions - fixed;
    int[] lengths = passages.stream().mapToInt(p -> p.length).toArray();
    int[] keep = TextTokenizer.waterFill(lengths, budget);
    boolean truncated = false;
    for (int i = 0; i < keep.length; i++) {
      if (keep[i] == 0 && lengths[i] > 0) {
        throw new IllegalArgumentException("reader " + name + ": " + passages.size() + " passages do not fit in "
            + maxPositions + " positions with this query (" + fixed + " positions of prompt): passage " + i
            + " would keep no token");
      }
      truncated |= keep[i] < lengths[i];
    }
    List<long[]> pieces = new ArrayList<>();
    pieces.add(head);
    int position = head.length;
    int[][] spans = new int[passages.size()][];
    for (int i = 0; i < passages.size(); i++) {
      pieces.add(separator);
      position += separator.length;
      pieces.add(Arrays.copyOf(passages.get(i), keep[i]));
      spans[i] = new int[] {position, position + keep[i]};
      position += keep[i];
    }
    pieces.add(late);
    int focusStart = position + separator.length; // ICR: the late instruction onward
    int queryStart = position + late.length;
    pieces.add(query);
    long[] ids = concat(pieces.toArray(new long[0][]));
    return new Layout(ids, spans, focusStart, ids.length, queryStart, truncated);
  }

  private long[] queryTokens(String query) {
    return tokens.encode(" " + query.strip() + prompt.suffix());
  }

  @Override
  public List<ContextAttention> read(List<Context> contexts, Focus focus) {
    List<Layout> layouts = new ArrayList<>();
    for (int c = 0; c < contexts.size(); c++) {
      try {
        layouts.add(layout(contexts.get(c)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("context " + c + ": " + e.getMessage(), e);
      }
    }
    double[][] weights = new double[layouts.size()][];
    try {
      if (reusesPrefix()) {
        readWithSharedPrefixes(layouts, focus, weights);
      } else if (route == Route.EXPOSED_PROBABILITIES) {
        readBatched(layouts, focus, weights);
      } else {
        for (int i = 0; i < layouts.size(); i++) {
          Layout l = layouts.get(i);
          weights[i] = new double[l.ids().length];
          try (Step step = run(l.ids(), 0, null)) {
            int from = focusFrom(l, focus);
            step.addRows(0, from, l.focusEnd(), 1.0 / (l.focusEnd() - from), weights[i]);
          }
        }
      }
    } catch (OrtException e) {
      throw new IllegalStateException("reader " + name + ": ONNX Runtime failed: " + e.getMessage(), e);
    }
    List<ContextAttention> out = new ArrayList<>(layouts.size());
    for (int i = 0; i < layouts.size(); i++) {
      Layout l = layouts.get(i);
      List<float[]> slots = new ArrayList<>();
      for (int[] span : l.passageSpans()) {
        float[] w = new float[span[1] - span[0]];
        for (int t = 0; t < w.length; t++) {
          w[t] = (float) weights[i][span[0] + t];
        }
        slots.add(w);
      }
      out.add(new ContextAttention(slots, l.truncated()));
    }
    return out;
  }

  private static int focusFrom(Layout l, Focus focus) {
    return focus == Focus.LAST_QUERY_TOKEN ? l.focusEnd() - 1 : l.focusStart();
  }

  /** Contexts grouped by the ids before their query: each prefix is run once, each query with its cache. */
  private void readWithSharedPrefixes(List<Layout> layouts, Focus focus, double[][] weights) throws OrtException {
    boolean[] done = new boolean[layouts.size()];
    for (int i = 0; i < layouts.size(); i++) {
      if (done[i]) {
        continue;
      }
      Layout first = layouts.get(i);
      long[] prefix = Arrays.copyOf(first.ids(), first.queryStart());
      List<Integer> group = new ArrayList<>();
      for (int j = i; j < layouts.size(); j++) {
        Layout l = layouts.get(j);
        if (!done[j] && l.queryStart() == prefix.length && Arrays.equals(prefix, 0, prefix.length, l.ids(), 0,
            prefix.length)) {
          group.add(j);
          done[j] = true;
        }
      }
      try (Step prefixStep = run(prefix, 0, null)) {
        Map<String, float[]> cache = prefixStep.present();
        double[] prefixRows = new double[prefix.length];
        int prefixFocusRows = 0;
        if (focus == Focus.QUERY && first.focusStart() < prefix.length) {
          prefixFocusRows = prefix.length - first.focusStart();
          prefixStep.addRows(0, first.focusStart(), prefix.length, 1.0, prefixRows);
        }
        for (int j : group) {
          Layout l = layouts.get(j);
          int queryLength = l.ids().length - prefix.length;
          if (queryLength == 0) {
            throw new IllegalArgumentException("reader " + name + ": the query has no tokens");
          }
          int from = focusFrom(l, focus);
          int rows = l.focusEnd() - from;
          double[] w = new double[l.ids().length];
          for (int t = 0; t < prefix.length; t++) {
            w[t] = prefixRows[t];
          }
          try (Step queryStep = run(Arrays.copyOfRange(l.ids(), prefix.length, l.ids().length), prefix.length,
              cache)) {
            int fromInQuery = Math.max(0, from - prefix.length);
            queryStep.addRows(0, fromInQuery, queryLength, 1.0, w);
          }
          if (focus == Focus.QUERY && rows != prefixFocusRows + queryLength) {
            throw new IllegalStateException("focus rows " + rows + " != " + prefixFocusRows + " + " + queryLength);
          }
          for (int t = 0; t < w.length; t++) {
            w[t] /= rows;
          }
          weights[j] = w;
        }
      }
    }
  }

  /** Contexts right-padded into one batch (graphs without a cache, exposed probabilities). */
  private void readBatched(List<Layout> layouts, Focus focus, double[][] weights) throws OrtException {
    int s = layouts.stream().mapToInt(l -> l.ids().length).max().orElse(0);
    int b = layouts.size();
    long[][] ids = new long[b][s];
    long[][] mask = new long[b][s];
    long[][] positions = new long[b][s];
    for (int i = 0; i < b; i++) {
      long[] row = layouts.get(i).ids();
      Arrays.fill(ids[i], pad);
      System.arraycopy(row, 0, ids[i], 0, row.length);
      for (int t = 0; t < s; t++) {
        mask[i][t] = t < row.length ? 1 : 0;
        positions[i][t] = Math.min(t, row.length - 1);
      }
    }
    try (Step step = run(ids, mask, positions, 0, null)) {
      for (int i = 0; i < b; i++) {
        Layout l = layouts.get(i);
        weights[i] = new double[l.ids().length];
        int from = focusFrom(l, focus);
        step.addRows(i, from, l.focusEnd(), 1.0 / (l.focusEnd() - from), weights[i]);
      }
    }
  }

  private Step run(long[] ids, int pastLength, Map<String, float[]> cache) throws OrtException {
    long[][] positions = new long[1][ids.length];
    long[][] mask = new long[1][pastLength + ids.length];
    Arrays.fill(mask[0], 1);
    for (int t = 0; t < ids.length; t++) {
      positions[0][t] = pastLength + t;
    }
    return run(new long[][] {ids}, mask, positions, pastLength, cache);
  }

  private Step run(long[][] ids, long[][] mask, long[][] positions, int pastLength, Map<String, float[]> cache)
      throws OrtException {
    Map<String, OnnxTensor> in = new HashMap<>();
    try {
      in.put("input_ids", OnnxTensor.createTensor(env, ids));
      in.put("attention_mask", OnnxTensor.createTensor(env, mask));
      if (takesPositions) {
        in.put("position_ids", OnnxTensor.createTensor(env, positions));
      }
      for (String past : pastToPresent.keySet()) {
        long[] shape = pastShape.get(past);
        float[] data = cache == null ? new float[0] : cache.get(past);
        in.put(past, OnnxTensor.createTensor(env, FloatBuffer.wrap(data),
            new long[] {ids.length, shape[0], pastLength, shape[1]}));
      }
      return new Step(session.run(in, requested), pastLength);
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  /** One forward pass's outputs. */
  private final class Step implements AutoCloseable {
    private final OrtSession.Result result;
    private final int pastLength;
    private final Map<String, Object> values = new HashMap<>();

    Step(OrtSession.Result result, int pastLength) {
      this.result = result;
      this.pastLength = pastLength;
    }

    /** The cache after this pass, keyed by the cache input it feeds next. */
    Map<String, float[]> present() {
      Map<String, float[]> out = new HashMap<>();
      for (Map.Entry<String, String> e : pastToPresent.entrySet()) {
        FloatBuffer buffer = ((OnnxTensor) result.get(e.getValue()).orElseThrow()).getFloatBuffer();
        float[] data = new float[buffer.remaining()];
        buffer.get(data);
        out.put(e.getKey(), data);
      }
      return out;
    }

    /**
     * Adds {@code scale} × the attention of rows {@code [from, to)} (positions in this pass's new tokens) of batch
     * row {@code b}, summed over layers and heads, to {@code into} (indexed by key position, past included).
     */
    void addRows(int b, int from, int to, double scale, double[] into) throws OrtException {
      if (route == Route.EXPOSED_PROBABILITIES) {
        for (String out : attentionOutputs) {
          float[][][] heads = ((float[][][][]) value(out))[b]; // [heads, s, past + s]
          for (float[][] head : heads) {
            for (int q = from; q < to; q++) {
              int keys = Math.min(into.length, pastLength + q + 1);
              for (int t = 0; t < keys; t++) {
                into[t] += head[q][t] * scale;
              }
            }
          }
        }
        return;
      }
      for (FusedLayer layer : fusedLayers) {
        float[][] query = ((float[][][]) value(layer.query()))[b]; // [s, heads * head size (+ packed K, V)]
        float[][][] keys = ((float[][][][]) value(layer.presentKey()))[b]; // [kv heads, past + s, head size]
        int headSize = keys[0][0].length;
        int group = layer.heads() / layer.kvHeads();
        double scaling = layer.scale() != null ? layer.scale() : 1 / Math.sqrt(headSize);
        for (int q = from; q < to; q++) {
          int position = pastLength + q;
          for (int h = 0; h < layer.heads(); h++) {
            float[] qh = Arrays.copyOfRange(query[q], h * headSize, (h + 1) * headSize);
            if (layer.rotary()) {
              rotate(qh, layer.cos()[position], layer.sin()[position], layer.interleaved());
            }
            float[][] k = keys[h / group];
            double[] p = new double[position + 1];
            double max = Double.NEGATIVE_INFINITY;
            for (int t = 0; t <= position; t++) {
              double dot = 0;
              for (int d = 0; d < headSize; d++) {
                dot += qh[d] * k[t][d];
              }
              p[t] = dot * scaling;
              max = Math.max(max, p[t]);
            }
            double sum = 0;
            for (int t = 0; t <= position; t++) {
              p[t] = Math.exp(p[t] - max);
              sum += p[t];
            }
            for (int t = 0; t <= position && t < into.length; t++) {
              into[t] += p[t] / sum * scale;
            }
          }
        }
      }
    }

    private Object value(String output) throws OrtException {
      Object v = values.get(output);
      if (v == null) {
        v = result.get(output).orElseThrow().getValue();
        values.put(output, v);
      }
      return v;
    }

    @Override
    public void close() {
      result.close();
    }
  }

  /**
   * RoPE as ORT's rotary kernels apply it: pairs (2j, 2j+1) when interleaved, else (j, j + r/2), over the first r = 2
   * × cache width dimensions.
   */
  private static void rotate(float[] x, float[] cos, float[] sin, boolean interleaved) {
    int half = cos.length;
    for (int j = 0; j < half; j++) {
      int a = interleaved ? 2 * j : j;
      int b = interleaved ? 2 * j + 1 : j + half;
      float x0 = x[a];
      float x1 = x[b];
      x[a] = x0 * cos[j] - x1 * sin[j];
      x[b] = x0 * sin[j] + x1 * cos[j];
    }
  }

  private static long[] concat(long[]... parts) {
    int n = 0;
    for (long[] p : parts) {
      n += p.length;
    }
    long[] out = new long[n];
    int at = 0;
    for (long[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("closing reader " + name + ": " + e.getMessage(), e);
    } finally {
      tokens.close();
    }
  }
}
