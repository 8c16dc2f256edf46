package dev.attnir.training;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import dev.attnir.encoders.pooling.TrainedHeadPooling;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Random;

/**
 * Writes a trained {@link HeadModel} as an ONNX graph (opset 17) that ONNX Runtime runs at search time, node for node
 * the same computation as {@link HeadModel#forward}; {@link #export} checks the two agree to 1e-5 before returning.
 */
public final class HeadOnnxExporter {

  /** Largest allowed difference between the ONNX head and the training forward pass. */
  public static final double TOLERANCE = 1e-5;

  private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder().setName("attnir-pooling-head");
  private int counter;

  private HeadOnnxExporter() {}

  /**
   * Exports and verifies.
   *
   * @throws IllegalStateException when ONNX Runtime's output differs from the training forward pass by more than
   *     {@link #TOLERANCE}
   */
  public static byte[] export(HeadShape shape, Map<String, float[]> values, long probeSeed) {
    byte[] onnx = new HeadOnnxExporter().build(shape, values);
    double diff = maxDifference(shape, values, onnx, probeSeed);
    if (!(diff <= TOLERANCE)) {
      throw new IllegalStateException("the exported head differs from the training forward pass by " + diff
          + " (tolerance " + TOLERANCE + ")");
    }
    return onnx;
  }

  /** Largest absolute difference between ONNX Runtime and the DJL forward pass on random feature rows. */
  public static double maxDifference(HeadShape shape, Map<String, float[]> values, byte[] onnx, long seed) {
    int batch = 5;
    int width = shape.layers() * shape.hidden();
    float[] features = new float[batch * width];
    Random r = new Random(seed);
    for (int i = 0; i < features.length; i++) {
      features[i] = (float) (r.nextGaussian() * 0.5);
    }
    float[] reference;
    try (HeadModel model = HeadModel.of(shape, values);
        NDManager m = model.manager().newSubManager()) {
      reference = model.forward(m.create(features, new Shape(batch, width)), m).toFloatArray();
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s = env.createSession(onnx, new OrtSession.SessionOptions());
        OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(features),
            new long[] {batch, shape.layers(), shape.hidden()});
        OrtSession.Result out = s.run(Map.of(TrainedHeadPooling.INPUT, in))) {
      FloatBuffer y = ((OnnxTensor) out.get(TrainedHeadPooling.OUTPUT).orElseThrow()).getFloatBuffer();
      double max = 0;
      for (int i = 0; i < reference.length; i++) {
        max = Math.max(max, Math.abs(reference[i] - y.get(i)));
      }
      return max;
    } catch (OrtException e) {
      throw new IllegalStateException("the exported head does not run in ONNX Runtime: " + e.getMessage(), e);
    }
  }

  private byte[] build(HeadShape s, Map<String, float[]> v) {
    int n = s.layers();
    int d = s.hidden();
    int m = s.latents();
    int heads = s.heads();
    int dh = s.headDim();
    int inner = s.inner();
    int ff = s.ffMult() * d;
    graph.addInput(valueInfo(TrainedHeadPooling.INPUT, "batch", n, d));
    graph.addOutput(valueInfo(TrainedHeadPooling.OUTPUT, "batch", d));
    floats("pos_emb", v, n, d);
    floats("latents", v, m, d);
    for (String ln : new String[] {"ln_layers", "ln_latents", "ln_ff"}) {
      floats(ln + ".gamma", v, d);
      floats(ln + ".beta", v, d);
    }
    floats("to_q", v, d, inner);
    floats("to_kv", v, d, 2 * inner);
    floats("to_out", v, inner, d);
    floats("ff1.weight", v, d, 2 * ff);
    floats("ff1.bias", v, 2 * ff);
    floats("ff2.weight", v, ff, d);
    floats("ff2.bias", v, d);
    scalar("scale", (float) (1.0 / Math.sqrt(dh)));
    scalar("sqrt2", (float) Math.sqrt(2.0));
    scalar("one", 1f);
    scalar("half", 0.5f);
    longs("shape_q", m, heads, dh);
    longs("shape_kv", 0, n, heads, dh);
    longs("shape_o", 0, m, inner);
    longs("split_kv", inner, inner);
    longs("split_ff", ff, ff);

    String h = node("Add", TrainedHeadPooling.INPUT, "pos_emb");
    String hn = layerNorm(h, "ln_layers");
    String latn = layerNorm("latents", "ln_latents");
    String q = transpose(node("Reshape", node("MatMul", latn, "to_q"), "shape_q"), 1, 0, 2);
    String[] kv = split(node("MatMul", hn, "to_kv"), "split_kv");
    String k = transpose(node("Reshape", kv[0], "shape_kv"), 0, 2, 3, 1);
    String vv = transpose(node("Reshape", kv[1], "shape_kv"), 0, 2, 1, 3);
    String scores = node("Mul", node("MatMul", q, k), "scale");
    String attn = out("Softmax", OnnxMl.NodeProto.newBuilder().addInput(scores)
        .addAttribute(intAttr("axis", -1)));
    String o = node("Reshape", transpose(node("MatMul", attn, vv), 0, 2, 1, 3), "shape_o");
    String x = node("Add", node("MatMul", o, "to_out"), "latents");
    String xn = layerNorm(x, "ln_ff");
    String[] ab = split(node("Add", node("MatMul", xn, "ff1.weight"), "ff1.bias"), "split_ff");
    String gelu = node("Mul", node("Mul", ab[1], node("Add", node("Erf", node("Div", ab[1], "sqrt2")), "one")),
        "half");
    String x2 = node("Add", node("Add", node("MatMul", node("Mul", ab[0], gelu), "ff2.weight"), "ff2.bias"), x);
    String mean = out("ReduceMean", OnnxMl.NodeProto.newBuilder().addInput(x2)
        .addAttribute(intsAttr("axes", 1)).addAttribute(intAttr("keepdims", 0)));
    graph.addNode(OnnxMl.NodeProto.newBuilder().setOpType("LpNormalization").setName("normalize").addInput(mean)
        .addOutput(TrainedHeadPooling.OUTPUT).addAttribute(intAttr("axis", -1)).addAttribute(intAttr("p", 2)));
    return OnnxMl.ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("attnir")
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
        .setGraph(graph)
        .build().toByteArray();
  }

  private String fresh(String op) {
    return op.toLowerCase(java.util.Locale.ROOT) + "_" + (counter++);
  }

  private String node(String op, String... inputs) {
    OnnxMl.NodeProto.Builder b = OnnxMl.NodeProto.newBuilder();
    for (String i : inputs) {
      b.addInput(i);
    }
    return out(op, b);
  }

  private String out(String op, OnnxMl.NodeProto.Builder b) {
    String name = fresh(op);
    graph.addNode(b.setOpType(op).setName(name).addOutput(name));
    return name;
  }

  private String layerNorm(String x, String prefix) {
    return out("LayerNormalization", OnnxMl.NodeProto.newBuilder().addInput(x).addInput(prefix + ".gamma")
        .addInput(prefix + ".beta").addAttribute(intAttr("axis", -1))
        .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("epsilon")
            .setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF(HeadModel.LN_EPSILON)));
  }

  private String transpose(String x, long... perm) {
    return out("Transpose", OnnxMl.NodeProto.newBuilder().addInput(x).addAttribute(intsAttr("perm", perm)));
  }

  private String[] split(String x, String sizes) {
    String a = fresh("split");
    String b = fresh("split");
    graph.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Split").setName(a + "_node").addInput(x).addInput(sizes)
        .addOutput(a).addOutput(b).addAttribute(intAttr("axis", 2)));
    return new String[] {a, b};
  }

  private static OnnxMl.AttributeProto intAttr(String name, long value) {
    return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.INT)
        .setI(value).build();
  }

  private static OnnxMl.AttributeProto intsAttr(String name, long... values) {
    OnnxMl.AttributeProto.Builder b = OnnxMl.AttributeProto.newBuilder().setName(name)
        .setType(OnnxMl.AttributeProto.AttributeType.INTS);
    for (long v : values) {
      b.addInts(v);
    }
    return b.build();
  }

  private void floats(String name, Map<String, float[]> values, long... dims) {
    float[] data = values.get(name);
    if (data == null) {
      throw new IllegalArgumentException("head parameter " + name + " is missing");
    }
    ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : data) {
      b.putFloat(f);
    }
    OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name)
        .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).setRawData(ByteString.copyFrom(b.array()));
    for (long dim : dims) {
      t.addDims(dim);
    }
    graph.addInitializer(t);
  }

  private void scalar(String name, float value) {
    ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value);
    graph.addInitializer(OnnxMl.TensorProto.newBuilder().setName(name)
        .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).setRawData(ByteString.copyFrom(b.array())));
  }

  private void longs(String name, long... values) {
    ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      b.putLong(v);
    }
    graph.addInitializer(OnnxMl.TensorProto.newBuilder().setName(name).addDims(values.length)
        .setDataType(OnnxMl.TensorProto.DataType.INT64.getNumber()).setRawData(ByteString.copyFrom(b.array())));
  }

  private static OnnxMl.ValueInfoProto valueInfo(String name, String batchParam, long... dims) {
    OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder()
        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam(batchParam));
    for (long d : dims) {
      shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder()
        .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
            .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).setShape(shape))).build();
  }
}
