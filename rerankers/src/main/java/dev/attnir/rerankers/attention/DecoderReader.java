package dev.attnir.rerankers.attention;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.attnir.encoders.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A causal language model in ONNX as an attention reader, for the user's own LLM export (HF/optimum layout without a
 * cache: inputs {@code input_ids}, {@code attention_mask} and, when the graph takes it, {@code position_ids}).
 *
 * <p>The context follows ICR's prompt (OSU-NLP-Group/In-Context-Reranking, {@code instruct} template, query last):
 * {@code <bos>} + prefix + instruction, then per passage a separator and {@code [i] passage}, then a separator, the
 * late instruction and {@code Query: query} + suffix. Each piece is tokenized on its own and the ids concatenated, so
 * the spans are exact: a passage's span is its marker and text, the focus span runs from the late instruction to the
 * end (ICR's query span), or is its last token ({@link AttentionReader.Focus#LAST_QUERY_TOKEN}). Passages are cut
 * from their ends, sharing the positions left by the rest of the prompt equally ({@link TextTokenizer#waterFill}).
 *
 * <p>Attention comes from the per-layer {@code Softmax} nodes of a plain (eager-attention) export, found by the HF
 * naming {@code /model/layers.N/self_attn/Softmax} and added as graph outputs. Exports with fused attention (no such
 * nodes) are refused with a message saying what was looked for; recomputing the needed rows from exposed Q and K, as
 * ICR's code does for FlashAttention, is not implemented yet. Graphs with {@code past_key_values} inputs are refused
 * too (the calibration read does not yet reuse the shared prefix's cache).
 */
public final class DecoderReader implements AttentionReader {

  /** Text to token ids, without special tokens. */
  @FunctionalInterface
  public interface Tokens {
    long[] encode(String text);
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

  private static final Pattern SOFTMAX = Pattern.compile("^/model/layers\\.(\\d+)/self_attn/Softmax$");

  private final String name;
  private final String identity;
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession session;
  private final List<String> attentionOutputs;
  private final boolean takesPositions;
  private final Tokens tokens;
  private final long bos;
  private final long pad;
  private final int maxPositions;
  private final Prompt prompt;

  /**
   * @param onnx the causal-LM graph
   * @param bos the beginning-of-sequence id put first
   * @param pad the id padded rows are filled with (masked)
   * @param maxPositions the longest context the model was trained for
   * @throws IllegalArgumentException when the graph's attention cannot be exposed or it needs a cache, saying why
   */
  public DecoderReader(String name, byte[] onnx, Tokens tokens, long bos, long pad, int maxPositions, Prompt prompt,
      String weightsDigest) {
    this.name = name;
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
    List<String> inputs = model.getGraph().getInputList().stream().map(OnnxMl.ValueInfoProto::getName).toList();
    List<String> unsupported = inputs.stream().filter(i -> !List.of("input_ids", "attention_mask", "position_ids")
        .contains(i)).toList();
    if (!inputs.contains("input_ids") || !inputs.contains("attention_mask") || !unsupported.isEmpty()) {
      throw new IllegalArgumentException("reader " + name + ": a decoder reader feeds input_ids, attention_mask and "
          + "optionally position_ids; the graph takes " + inputs
          + (unsupported.isEmpty() ? "" : " (unsupported: " + unsupported + "; export without past_key_values)"));
    }
    takesPositions = inputs.contains("position_ids");
    Map<Integer, String> softmax = new java.util.TreeMap<>();
    for (OnnxMl.NodeProto node : model.getGraph().getNodeList()) {
      Matcher m = SOFTMAX.matcher(node.getName());
      if (node.getOpType().equals("Softmax") && m.matches()) {
        softmax.put(Integer.parseInt(m.group(1)), node.getOutput(0));
      }
    }
    if (softmax.isEmpty()) {
      throw new IllegalArgumentException("reader " + name + ": cannot expose attention: no Softmax node named "
          + "'/model/layers.N/self_attn/Softmax' (a plain eager-attention export has one per layer; fused attention "
          + "such as GroupQueryAttention or MultiHeadAttention hides the probabilities)");
    }
    attentionOutputs = List.copyOf(softmax.values());
    OnnxMl.GraphProto.Builder graph = model.getGraph().toBuilder();
    for (String out : attentionOutputs) {
      graph.addOutput(OnnxMl.ValueInfoProto.newBuilder().setName(out).setType(OnnxMl.TypeProto.newBuilder()
          .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
              .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()))));
    }
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      session = env.createSession(model.toBuilder().setGraph(graph).build().toByteArray(), options);
    } catch (OrtException e) {
      throw new IllegalArgumentException("reader " + name + ": ONNX Runtime cannot load the graph: " + e.getMessage(),
          e);
    }
    this.identity = "decoder:" + name + ",weights=" + weightsDigest + ",max-positions=" + maxPositions + ",layers=all("
        + attentionOutputs.size() + "),prompt=icr-qa";
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
    return attentionOutputs.size();
  }

  /**
   * A context laid out as token ids: each passage's span {@code [start, end)}, the focus span, whether a passage was
   * cut.
   */
  public record Layout(long[] ids, int[][] passageSpans, int focusStart, int focusEnd, boolean truncated) {}

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
    long[] query = tokens.encode(" " + context.query().strip() + prompt.suffix());
    int fixed = head.length + late.length + query.length + separator.length * passages.size();
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
    pieces.add(query);
    int focusStart = position + separator.length; // ICR: the late instruction onward
    long[] ids = concat(pieces.toArray(new long[0][]));
    return new Layout(ids, spans, focusStart, ids.length, truncated);
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
    Map<String, OnnxTensor> in = new HashMap<>();
    try {
      in.put("input_ids", OnnxTensor.createTensor(env, ids));
      in.put("attention_mask", OnnxTensor.createTensor(env, mask));
      if (takesPositions) {
        in.put("position_ids", OnnxTensor.createTensor(env, positions));
      }
      try (OrtSession.Result result = session.run(in, new java.util.HashSet<>(attentionOutputs))) {
        double[][] weight = new double[b][s];
        for (String out : attentionOutputs) {
          float[][][][] a = (float[][][][]) result.get(out).orElseThrow().getValue(); // [b, heads, s, s]
          for (int i = 0; i < b; i++) {
            Layout l = layouts.get(i);
            int from = focus == Focus.LAST_QUERY_TOKEN ? l.focusEnd() - 1 : l.focusStart();
            int rows = l.focusEnd() - from;
            for (float[][] head : a[i]) {
              for (int q = from; q < l.focusEnd(); q++) {
                for (int t = 0; t < l.ids().length; t++) {
                  weight[i][t] += head[q][t] / (double) rows;
                }
              }
            }
          }
        }
        List<ContextAttention> outList = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
          Layout l = layouts.get(i);
          List<float[]> slots = new ArrayList<>();
          for (int[] span : l.passageSpans()) {
            float[] w = new float[span[1] - span[0]];
            for (int t = 0; t < w.length; t++) {
              w[t] = (float) weight[i][span[0] + t];
            }
            slots.add(w);
          }
          outList.add(new ContextAttention(slots, l.truncated()));
        }
        return outList;
      }
    } catch (OrtException e) {
      throw new IllegalStateException("reader " + name + ": ONNX Runtime failed: " + e.getMessage(), e);
    } finally {
      in.values().forEach(OnnxTensor::close);
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
    }
  }
}
