package dev.attnir.rerankers.attention.decoder;

import ai.onnx.proto.OnnxMl;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a {@link Llama2cModel} as an ONNX Llama graph in one of the layouts users export: RMSNorm, interleaved-pair
 * RoPE (llama2.c's), grouped-query attention, SwiGLU, output {@code logits} [batch, seq, vocab]. Opset 14. Test code:
 * the fixture of the decoder reader.
 *
 * <ul>
 *   <li>{@link Variant#EAGER}: an HF/optimum causal-LM export without a cache: inputs {@code input_ids},
 *       {@code attention_mask}, {@code position_ids} ([batch, seq] int64); key/value heads gathered to the query heads
 *       and a plain {@code Softmax} per layer named {@code /model/layers.N/self_attn/Softmax}.
 *   <li>{@link Variant#EAGER_WITH_PAST}: the same with a cache, as optimum exports it "with past": inputs
 *       {@code past_key_values.N.key|value} [batch, kv heads, past, head size], {@code attention_mask} over past +
 *       new tokens, outputs {@code present.N.key|value} (past and new keys after RoPE).
 *   <li>{@link Variant#GQA}: fused attention as onnxruntime-genai's model builder writes it: one
 *       {@code com.microsoft.GroupQueryAttention} per layer with RoPE inside ({@code do_rotary}, cos/sin caches),
 *       inputs {@code input_ids}, {@code attention_mask}, {@code past_key_values.N.key|value}, outputs
 *       {@code present.N.key|value}; no attention probabilities anywhere in the graph.
 *   <li>{@link Variant#GQA_HALVES}: the same with RoPE on halves ({@code rotary_interleaved=0}, how HF Llama rotates):
 *       each head's Q and K dimensions permuted so that llama2.c's pair (2j, 2j+1) sits at (j, j + head/2), which
 *       leaves q·k, and so the function, unchanged.
 *   <li>{@link Variant#GQA_PACKED}: {@link Variant#GQA} with packed QKV, as the model builder writes it for some
 *       models: one MatMul gives [Q | K | V] as the node's first input, its key and value inputs left empty.
 * </ul>
 */
final class LlamaOnnxWriter {

  /** The export layout. */
  enum Variant { EAGER, EAGER_WITH_PAST, GQA, GQA_HALVES, GQA_PACKED }

  private final OnnxMl.GraphProto.Builder g = OnnxMl.GraphProto.newBuilder().setName("llama2c");
  private int counter;

  static byte[] write(Llama2cModel m) {
    return new LlamaOnnxWriter().build(m, Variant.EAGER);
  }

  static byte[] write(Llama2cModel m, Variant variant) {
    return new LlamaOnnxWriter().build(m, variant);
  }

  private byte[] build(Llama2cModel m, Variant variant) {
    int hs = m.headSize;
    boolean past = variant != Variant.EAGER;
    boolean fused = variant == Variant.GQA || variant == Variant.GQA_HALVES || variant == Variant.GQA_PACKED;
    input("input_ids");
    input("attention_mask");
    if (!fused) {
      input("position_ids");
    }
    if (past) {
      for (int l = 0; l < m.layers; l++) {
        for (String kind : List.of("key", "value")) {
          floatInput("past_key_values." + l + "." + kind, m.kvHeads, fused ? GQA_HEAD : hs);
        }
      }
    }
    floats("emb", new long[] {m.vocab, m.dim}, m.embedding);
    floats("cls_t", new long[] {m.dim, m.vocab}, transpose(m.classifier, m.vocab, m.dim));
    float[] cos = new float[m.seqLen * hs / 2];
    float[] sin = new float[m.seqLen * hs / 2];
    for (int pos = 0; pos < m.seqLen; pos++) {
      for (int j = 0; j < hs / 2; j++) {
        double freq = 1.0 / Math.pow(10000.0, (2 * j) / (double) hs);
        cos[pos * hs / 2 + j] = (float) Math.cos(pos * freq);
        sin[pos * hs / 2 + j] = (float) Math.sin(pos * freq);
      }
    }
    floats("rope_cos", new long[] {m.seqLen, hs / 2}, cos);
    floats("rope_sin", new long[] {m.seqLen, hs / 2}, sin);
    if (fused) { // the padded pairs rotate by angle 0
      float[] padCos = new float[m.seqLen * GQA_HEAD / 2];
      float[] padSin = new float[m.seqLen * GQA_HEAD / 2];
      for (int pos = 0; pos < m.seqLen; pos++) {
        for (int j = 0; j < GQA_HEAD / 2; j++) {
          padCos[pos * GQA_HEAD / 2 + j] = j < hs / 2 ? cos[pos * hs / 2 + j] : 1f;
          padSin[pos * GQA_HEAD / 2 + j] = j < hs / 2 ? sin[pos * hs / 2 + j] : 0f;
        }
      }
      floats("cos_cache", new long[] {m.seqLen, GQA_HEAD / 2}, padCos);
      floats("sin_cache", new long[] {m.seqLen, GQA_HEAD / 2}, padSin);
    }
    floats("eps", new long[0], new float[] {1e-5f});
    floats("sqrt_hs", new long[0], new float[] {(float) Math.sqrt(hs)});
    floats("one", new long[0], new float[] {1f});
    floats("neg", new long[0], new float[] {-1e9f});
    floats("zero", new long[0], new float[] {0f});
    longs("axes_m1", -1);
    long[] kvIndex = new long[m.heads];
    for (int h = 0; h < m.heads; h++) {
      kvIndex[h] = h / (m.heads / m.kvHeads);
    }
    longs("kv_index", kvIndex);
    longs("q_pairs", 0, 0, m.heads, hs / 2, 2);
    longs("k_pairs", 0, 0, m.kvHeads, hs / 2, 2);
    longs("q_heads", 0, 0, m.heads, hs);
    longs("k_heads", 0, 0, m.kvHeads, hs);
    longs("model_dim", 0, 0, m.dim);
    longs("ax_2_4", 2, 4);
    longs("ax_1_2", 1, 2);
    longs("ax_0", 0);
    longs("ax_1", 1);
    scalarLong("one_i", 1);
    scalarLong("zero_i", 0);
    scalarLong("idx_1", 1);

    String cosP = null;
    String sinP = null;
    String mask = null;
    String seqlensK = null;
    String totalLength = null;
    if (fused) {
      // what the model builder feeds GroupQueryAttention: per row (past + new length) - 1, and the longest total
      seqlensK = castTo(node("Sub", reduceSum("attention_mask"), "one_i"), OnnxMl.TensorProto.DataType.INT32);
      totalLength = castTo(node("Gather", node("Shape", "attention_mask"), "idx_1"),
          OnnxMl.TensorProto.DataType.INT32);
    } else {
      // RoPE tables for the positions: [b, s, 1, hs/2, 1]
      cosP = node("Unsqueeze", node("Gather", "rope_cos", "position_ids"), "ax_2_4");
      sinP = node("Unsqueeze", node("Gather", "rope_sin", "position_ids"), "ax_2_4");
      // mask [b, 1, s, total]: causal (keys after the query's position past + i) plus padded keys, both -1e9
      String seq = node("Gather", node("Shape", "input_ids"), "idx_1");
      String total = node("Gather", node("Shape", "attention_mask"), "idx_1");
      String queryPositions = node("Range", node("Sub", total, seq), total, "one_i");
      String keyPositions = node("Range", "zero_i", total, "one_i");
      String future = node("Greater", node("Unsqueeze", keyPositions, "ax_0"),
          node("Unsqueeze", queryPositions, "ax_1"));
      String causal = node("Where", future, "neg", "zero");
      String padded = node("Mul", node("Sub", "one", cast("attention_mask")), "neg");
      mask = node("Add", causal, node("Unsqueeze", padded, "ax_1_2"));
    }

    String x = node("Gather", "emb", "input_ids");
    for (int l = 0; l < m.layers; l++) {
      String p = "/model/layers." + l + "/";
      floats(p + "rms_att", new long[] {m.dim}, m.rmsAtt[l]);
      floats(p + "wq_t", new long[] {m.dim, m.dim}, transpose(m.wq[l], m.dim, m.dim));
      floats(p + "wk_t", new long[] {m.dim, m.kvDim}, transpose(m.wk[l], m.kvDim, m.dim));
      floats(p + "wv_t", new long[] {m.dim, m.kvDim}, transpose(m.wv[l], m.kvDim, m.dim));
      floats(p + "wo_t", new long[] {m.dim, m.dim}, transpose(m.wo[l], m.dim, m.dim));
      floats(p + "rms_ffn", new long[] {m.dim}, m.rmsFfn[l]);
      floats(p + "w1_t", new long[] {m.dim, m.hidden}, transpose(m.w1[l], m.hidden, m.dim));
      floats(p + "w3_t", new long[] {m.dim, m.hidden}, transpose(m.w3[l], m.hidden, m.dim));
      floats(p + "w2_t", new long[] {m.hidden, m.dim}, transpose(m.w2[l], m.dim, m.hidden));
      String h = rms(x, p + "rms_att");
      String ctx;
      if (fused) {
        boolean halves = variant == Variant.GQA_HALVES;
        // ORT's CPU kernel wants head sizes in multiples of 16: each head is zero-padded from 8 to 16 dimensions,
        // which leaves q.k, the values and (with the scale set for 8) the whole function unchanged
        floats(p + "wq_pad_t", new long[] {m.dim, m.heads * GQA_HEAD}, padHeads(m.wq[l], m.heads, hs, m.dim, halves));
        floats(p + "wk_pad_t", new long[] {m.dim, m.kvHeads * GQA_HEAD}, padHeads(m.wk[l], m.kvHeads, hs, m.dim,
            halves));
        floats(p + "wv_pad_t", new long[] {m.dim, m.kvHeads * GQA_HEAD}, padHeads(m.wv[l], m.kvHeads, hs, m.dim,
            false));
        floats(p + "wo_pad_t", new long[] {m.heads * GQA_HEAD, m.dim}, padRows(transpose(m.wo[l], m.dim, m.dim),
            m.heads, hs, m.dim));
        String attention = p + "attn/GroupQueryAttention/output_0";
        boolean packed = variant == Variant.GQA_PACKED;
        if (packed) {
          floats(p + "wqkv_pad_t", new long[] {m.dim, (m.heads + 2L * m.kvHeads) * GQA_HEAD}, concatColumns(m.dim,
              padHeads(m.wq[l], m.heads, hs, m.dim, false), padHeads(m.wk[l], m.kvHeads, hs, m.dim, false),
              padHeads(m.wv[l], m.kvHeads, hs, m.dim, false)));
        }
        g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("GroupQueryAttention").setDomain("com.microsoft")
            .setName(p + "attn/GroupQueryAttention")
            .addInput(node("MatMul", h, p + (packed ? "wqkv_pad_t" : "wq_pad_t")))
            .addInput(packed ? "" : node("MatMul", h, p + "wk_pad_t"))
            .addInput(packed ? "" : node("MatMul", h, p + "wv_pad_t"))
            .addInput("past_key_values." + l + ".key").addInput("past_key_values." + l + ".value")
            .addInput(seqlensK).addInput(totalLength).addInput("cos_cache").addInput("sin_cache")
            .addOutput(attention).addOutput("present." + l + ".key").addOutput("present." + l + ".value")
            .addAttribute(intAttr("num_heads", m.heads)).addAttribute(intAttr("kv_num_heads", m.kvHeads))
            .addAttribute(intAttr("do_rotary", 1)).addAttribute(intAttr("rotary_interleaved", halves ? 0 : 1))
            .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("scale")
                .setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF((float) (1 / Math.sqrt(hs)))));
        ctx = node("MatMul", attention, p + "wo_pad_t");
      } else {
        String q = rope(node("MatMul", h, p + "wq_t"), "q_pairs", "q_heads", cosP, sinP);
        String k = transpose(rope(node("MatMul", h, p + "wk_t"), "k_pairs", "k_heads", cosP, sinP), 0, 2, 1, 3);
        String v = transpose(node("Reshape", node("MatMul", h, p + "wv_t"), "k_heads"), 0, 2, 1, 3);
        if (past) { // [b, kv heads, past + s, hs]
          k = identity(concat2(2, "past_key_values." + l + ".key", k), "present." + l + ".key");
          v = identity(concat2(2, "past_key_values." + l + ".value", v), "present." + l + ".value");
        }
        String qh = transpose(q, 0, 2, 1, 3);
        String kh = gatherAxis1(transpose(k, 0, 1, 3, 2), "kv_index"); // [b, H, hs, total]
        String vh = gatherAxis1(v, "kv_index"); // [b, H, total, hs]
        String scores = node("Add", node("Div", node("MatMul", qh, kh), "sqrt_hs"), mask);
        String probs = p + "self_attn/Softmax_output_0";
        g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Softmax").setName(p + "self_attn/Softmax")
            .addInput(scores).addOutput(probs).addAttribute(intAttr("axis", -1)));
        ctx = node("MatMul", node("Reshape", transpose(node("MatMul", probs, vh), 0, 2, 1, 3), "model_dim"),
            p + "wo_t");
      }
      x = node("Add", x, ctx);
      String h2 = rms(x, p + "rms_ffn");
      String a = node("MatMul", h2, p + "w1_t");
      String swiglu = node("Mul", node("Mul", a, node("Sigmoid", a)), node("MatMul", h2, p + "w3_t"));
      x = node("Add", x, node("MatMul", swiglu, p + "w2_t"));
    }
    floats("rms_final", new long[] {m.dim}, m.rmsFinal);
    String logits = node("MatMul", rms(x, "rms_final"), "cls_t");
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Identity").setName("logits_out").addInput(logits)
        .addOutput("logits"));
    floatOutput("logits");
    if (past) {
      for (int l = 0; l < m.layers; l++) {
        floatOutput("present." + l + ".key");
        floatOutput("present." + l + ".value");
      }
    }
    OnnxMl.ModelProto.Builder model = OnnxMl.ModelProto.newBuilder().setIrVersion(7).setProducerName("attnir-test")
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(14));
    if (fused) {
      model.addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("com.microsoft").setVersion(1));
    }
    return model.setGraph(g).build().toByteArray();
  }

  private void floatOutput(String name) {
    g.addOutput(OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder()
        .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(OnnxMl.TensorProto.DataType.FLOAT
            .getNumber()))));
  }

  /** A cache input [batch, kv heads, past, head size], float. */
  private void floatInput(String name, int kvHeads, int headSize) {
    OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder()
        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(kvHeads))
        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("past_sequence"))
        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(headSize));
    g.addInput(OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder()
        .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
            .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).setShape(shape))));
  }

  private String identity(String x, String name) {
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Identity").setName(name + "_identity").addInput(x)
        .addOutput(name));
    return name;
  }

  private String concat2(int axis, String a, String b) {
    String out = fresh();
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Concat").setName(out).addInput(a).addInput(b)
        .addOutput(out).addAttribute(intAttr("axis", axis)));
    return out;
  }

  private String reduceSum(String x) {
    String out = fresh();
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("ReduceSum").setName(out).addInput(x).addInput("ax_1")
        .addOutput(out).addAttribute(intAttr("keepdims", 0)));
    return out;
  }

  private String castTo(String x, OnnxMl.TensorProto.DataType type) {
    String out = fresh();
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Cast").setName(out).addInput(x).addOutput(out)
        .addAttribute(intAttr("to", type.getNumber())));
    return out;
  }

  /** The head size of the fused layout (ORT's GroupQueryAttention needs a multiple of 16). */
  static final int GQA_HEAD = 16;

  /**
   * (heads * hs, in) row-major, (out, in), to (in, heads * GQA_HEAD) with each head's extra columns zero; with
   * {@code halves}, dimension 2j goes to j and 2j + 1 to j + GQA_HEAD / 2 (pairs for RoPE on halves).
   */
  private static float[] padHeads(float[] w, int heads, int hs, int in, boolean halves) {
    float[] out = new float[in * heads * GQA_HEAD];
    for (int h = 0; h < heads; h++) {
      for (int d = 0; d < hs; d++) {
        int to = halves ? (d % 2 == 0 ? d / 2 : d / 2 + GQA_HEAD / 2) : d;
        for (int c = 0; c < in; c++) {
          out[c * heads * GQA_HEAD + h * GQA_HEAD + to] = w[(h * hs + d) * in + c];
        }
      }
    }
    return out;
  }

  /** (heads * hs, out) row-major to (heads * GQA_HEAD, out) with each head's extra rows zero. */
  private static float[] padRows(float[] w, int heads, int hs, int out) {
    float[] padded = new float[heads * GQA_HEAD * out];
    for (int h = 0; h < heads; h++) {
      for (int d = 0; d < hs; d++) {
        System.arraycopy(w, (h * hs + d) * out, padded, (h * GQA_HEAD + d) * out, out);
      }
    }
    return padded;
  }

  private String rms(String x, String weight) {
    String ms = fresh();
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("ReduceMean").setName(ms).addInput(node("Mul", x, x))
        .addOutput(ms).addAttribute(intsAttr("axes", -1)).addAttribute(intAttr("keepdims", 1)));
    return node("Mul", node("Div", x, node("Sqrt", node("Add", ms, "eps"))), weight);
  }

  /** llama2.c's RoPE on interleaved pairs (i, i+1) of each head. */
  private String rope(String flat, String pairsShape, String headsShape, String cos, String sin) {
    String pairs = node("Reshape", flat, pairsShape);
    String even = fresh();
    String odd = fresh();
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Split").setName(fresh()).addInput(pairs).addOutput(even)
        .addOutput(odd).addAttribute(intAttr("axis", -1)));
    String r0 = node("Sub", node("Mul", even, cos), node("Mul", odd, sin));
    String r1 = node("Add", node("Mul", even, sin), node("Mul", odd, cos));
    String out = fresh();
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Concat").setName(out).addInput(r0).addInput(r1)
        .addOutput(out).addAttribute(intAttr("axis", -1)));
    return node("Reshape", out, headsShape);
  }

  private String transpose(String x, long... perm) {
    String out = fresh();
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Transpose").setName(out).addInput(x).addOutput(out)
        .addAttribute(intsAttr("perm", perm)));
    return out;
  }

  private String gatherAxis1(String x, String index) {
    String out = fresh();
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Gather").setName(out).addInput(x).addInput(index)
        .addOutput(out).addAttribute(intAttr("axis", 1)));
    return out;
  }

  private String cast(String x) {
    String out = fresh();
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Cast").setName(out).addInput(x).addOutput(out)
        .addAttribute(intAttr("to", OnnxMl.TensorProto.DataType.FLOAT.getNumber())));
    return out;
  }

  private String node(String op, String... inputs) {
    String out = fresh();
    OnnxMl.NodeProto.Builder n = OnnxMl.NodeProto.newBuilder().setOpType(op).setName(out).addOutput(out);
    for (String in : inputs) {
      n.addInput(in);
    }
    g.addNode(n);
    return out;
  }

  private String fresh() {
    return "t" + counter++;
  }

  private void input(String name) {
    OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder()
        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("sequence"));
    g.addInput(OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder()
        .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
            .setElemType(OnnxMl.TensorProto.DataType.INT64.getNumber()).setShape(shape))));
  }

  private void floats(String name, long[] dims, float[] values) {
    OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name)
        .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber());
    for (long d : dims) {
      t.addDims(d);
    }
    for (float v : values) {
      t.addFloatData(v);
    }
    g.addInitializer(t);
  }

  /** A 1-D int64 initializer. */
  private void longs(String name, long... values) {
    OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name)
        .setDataType(OnnxMl.TensorProto.DataType.INT64.getNumber()).addDims(values.length);
    for (long v : values) {
      t.addInt64Data(v);
    }
    g.addInitializer(t);
  }

  /** A 0-D int64 initializer (Range's bounds, a scalar Gather index). */
  private void scalarLong(String name, long value) {
    g.addInitializer(OnnxMl.TensorProto.newBuilder().setName(name)
        .setDataType(OnnxMl.TensorProto.DataType.INT64.getNumber()).addInt64Data(value));
  }

  private static OnnxMl.AttributeProto intAttr(String name, long v) {
    return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.INT)
        .setI(v).build();
  }

  private static OnnxMl.AttributeProto intsAttr(String name, long... v) {
    OnnxMl.AttributeProto.Builder a = OnnxMl.AttributeProto.newBuilder().setName(name)
        .setType(OnnxMl.AttributeProto.AttributeType.INTS);
    for (long x : v) {
      a.addInts(x);
    }
    return a.build();
  }

  /** (rows, cols) row-major to (cols, rows). */
  /** Row-major matrices with {@code rows} rows side by side. */
  private static float[] concatColumns(int rows, float[]... parts) {
    int cols = 0;
    for (float[] part : parts) {
      cols += part.length / rows;
    }
    float[] out = new float[rows * cols];
    for (int r = 0; r < rows; r++) {
      int at = r * cols;
      for (float[] part : parts) {
        int width = part.length / rows;
        System.arraycopy(part, r * width, out, at, width);
        at += width;
      }
    }
    return out;
  }

  private static float[] transpose(float[] w, int rows, int cols) {
    float[] out = new float[w.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        out[c * rows + r] = w[r * cols + c];
      }
    }
    return out;
  }

  static List<String> attentionOutputs(int layers) {
    List<String> out = new ArrayList<>();
    for (int l = 0; l < layers; l++) {
      out.add("/model/layers." + l + "/self_attn/Softmax_output_0");
    }
    return out;
  }
}
