package dev.attnir.rerankers.attention.decoder;

import ai.onnx.proto.OnnxMl;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a {@link Llama2cModel} as an ONNX Llama graph laid out like an HF/optimum causal-LM export without a cache:
 * inputs {@code input_ids}, {@code attention_mask}, {@code position_ids} ([batch, seq] int64), output {@code logits}
 * [batch, seq, vocab]; RMSNorm, interleaved-pair RoPE (llama2.c's), grouped-query attention (key/value heads gathered
 * to the query heads), a plain {@code Softmax} per layer named {@code /model/layers.N/self_attn/Softmax}, SwiGLU.
 * Opset 14. Test code: the fixture of the decoder reader.
 */
final class LlamaOnnxWriter {

  private final OnnxMl.GraphProto.Builder g = OnnxMl.GraphProto.newBuilder().setName("llama2c");
  private int counter;

  static byte[] write(Llama2cModel m) {
    return new LlamaOnnxWriter().build(m);
  }

  private byte[] build(Llama2cModel m) {
    int hs = m.headSize;
    input("input_ids");
    input("attention_mask");
    input("position_ids");
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

    // RoPE tables for the positions: [b, s, 1, hs/2, 1]
    String cosP = node("Unsqueeze", node("Gather", "rope_cos", "position_ids"), "ax_2_4");
    String sinP = node("Unsqueeze", node("Gather", "rope_sin", "position_ids"), "ax_2_4");
    // mask [b, 1, s, s]: causal (keys after the query) plus padded keys, both -1e9
    String seq = node("Gather", node("Shape", "input_ids"), "idx_1");
    String range = node("Range", "zero_i", seq, "one_i");
    String future = node("Greater", node("Unsqueeze", range, "ax_0"), node("Unsqueeze", range, "ax_1"));
    String causal = node("Where", future, "neg", "zero");
    String padded = node("Mul", node("Sub", "one", cast("attention_mask")), "neg");
    String mask = node("Add", causal, node("Unsqueeze", padded, "ax_1_2"));

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
      String q = rope(node("MatMul", h, p + "wq_t"), "q_pairs", "q_heads", cosP, sinP);
      String k = rope(node("MatMul", h, p + "wk_t"), "k_pairs", "k_heads", cosP, sinP);
      String v = node("Reshape", node("MatMul", h, p + "wv_t"), "k_heads");
      String qh = transpose(q, 0, 2, 1, 3);
      String kh = gatherAxis1(transpose(k, 0, 2, 3, 1), "kv_index"); // [b, H, hs, s]
      String vh = gatherAxis1(transpose(v, 0, 2, 1, 3), "kv_index"); // [b, H, s, hs]
      String scores = node("Add", node("Div", node("MatMul", qh, kh), "sqrt_hs"), mask);
      String probs = p + "self_attn/Softmax_output_0";
      g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Softmax").setName(p + "self_attn/Softmax")
          .addInput(scores).addOutput(probs).addAttribute(intAttr("axis", -1)));
      String ctx = node("Reshape", transpose(node("MatMul", probs, vh), 0, 2, 1, 3), "model_dim");
      x = node("Add", x, node("MatMul", ctx, p + "wo_t"));
      String h2 = rms(x, p + "rms_ffn");
      String a = node("MatMul", h2, p + "w1_t");
      String swiglu = node("Mul", node("Mul", a, node("Sigmoid", a)), node("MatMul", h2, p + "w3_t"));
      x = node("Add", x, node("MatMul", swiglu, p + "w2_t"));
    }
    floats("rms_final", new long[] {m.dim}, m.rmsFinal);
    String logits = node("MatMul", rms(x, "rms_final"), "cls_t");
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Identity").setName("logits_out").addInput(logits)
        .addOutput("logits"));
    g.addOutput(OnnxMl.ValueInfoProto.newBuilder().setName("logits").setType(OnnxMl.TypeProto.newBuilder()
        .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(OnnxMl.TensorProto.DataType.FLOAT
            .getNumber()))));
    return OnnxMl.ModelProto.newBuilder().setIrVersion(7).setProducerName("attnir-test")
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(14))
        .setGraph(g).build().toByteArray();
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
