package dev.attnir.training.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * A linear head on the [CLS] token's last hidden state, {@code scores = h[:, 0, :] W + b} with {@code W} of shape
 * {@code [hidden, outputs]} (a cross-encoder reranker's classifier with {@code outputs = 1}, as in HuggingFace's
 * {@code BertForSequenceClassification} minus its pooler), trainable with DJL autograd and appendable to the encoder's
 * ONNX graph as nodes ({@code Gather} of position 0, {@code MatMul}, {@code Add}) producing a second graph output.
 * Initialisation is PyTorch's {@code nn.Linear} default, U(+-1/sqrt(hidden)), from a seeded generator.
 */
public final class ClsLinearHead implements AutoCloseable {

  /** Name of the graph output {@link #appendTo} adds: {@code [batch, outputs]}. */
  public static final String OUTPUT = "scores";

  private final NDManager manager = NDManager.newBaseManager();
  private final NDArray weight;
  private final NDArray bias;

  /** A freshly initialised head. */
  public ClsLinearHead(int hidden, int outputs, long seed) {
    Random r = new Random(seed);
    float bound = (float) (1 / Math.sqrt(hidden));
    float[] w = new float[hidden * outputs];
    float[] b = new float[outputs];
    for (int i = 0; i < w.length; i++) {
      w[i] = (r.nextFloat() * 2 - 1) * bound;
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (r.nextFloat() * 2 - 1) * bound;
    }
    weight = manager.create(w, new Shape(hidden, outputs));
    bias = manager.create(b, new Shape(outputs));
    weight.setRequiresGradient(true);
    bias.setRequiresGradient(true);
  }

  /** {@code [hidden, outputs]} kernel (trainable). */
  public NDArray weight() {
    return weight;
  }

  /** {@code [outputs]} bias (trainable). */
  public NDArray bias() {
    return bias;
  }

  /**
   * Scores of a last hidden state {@code [batch, seq, hidden]}; the parameters are used through views attached to
   * {@code scope} (see {@link TrainableBert#forward}).
   */
  public NDArray forward(NDArray lastHidden, NDManager scope) {
    NDArray w = weight.reshape(weight.getShape());
    NDArray b = bias.reshape(bias.getShape());
    w.attach(scope);
    b.attach(scope);
    return lastHidden.get(new NDIndex(":, 0, :")).matMul(w).add(b);
  }

  /**
   * The graph with this head's nodes appended after {@code last_hidden_state} and its output {@link #OUTPUT} added
   * after the existing outputs (so consumers that read the first output are unaffected).
   */
  public byte[] appendTo(byte[] onnx) {
    OnnxMl.ModelProto model;
    try {
      model = OnnxMl.ModelProto.parseFrom(onnx);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not an ONNX model: " + e.getMessage(), e);
    }
    OnnxMl.GraphProto.Builder g = model.getGraph().toBuilder();
    if (g.getOutputList().stream().noneMatch(o -> o.getName().equals("last_hidden_state"))) {
      throw new IllegalArgumentException("the graph has no output last_hidden_state to put the head on");
    }
    long hidden = weight.getShape().get(0);
    long outputs = weight.getShape().get(1);
    g.addInitializer(floats("head.weight", weight.toFloatArray(), hidden, outputs));
    g.addInitializer(floats("head.bias", bias.toFloatArray(), outputs));
    g.addInitializer(OnnxMl.TensorProto.newBuilder().setName("head.cls_index")
        .setDataType(OnnxMl.TensorProto.DataType.INT64.getNumber()).addInt64Data(0)); // scalar: drops the axis
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Gather").setName("/head/Gather")
        .addInput("last_hidden_state").addInput("head.cls_index").addOutput("/head/cls")
        .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("axis").setI(1)
            .setType(OnnxMl.AttributeProto.AttributeType.INT)));
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("MatMul").setName("/head/MatMul")
        .addInput("/head/cls").addInput("head.weight").addOutput("/head/matmul"));
    g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Add").setName("/head/Add")
        .addInput("/head/matmul").addInput("head.bias").addOutput(OUTPUT));
    OnnxMl.TypeProto.Tensor.Builder type = OnnxMl.TypeProto.Tensor.newBuilder()
        .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
        .setShape(OnnxMl.TensorShapeProto.newBuilder()
            .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
            .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(outputs)));
    g.addOutput(OnnxMl.ValueInfoProto.newBuilder().setName(OUTPUT)
        .setType(OnnxMl.TypeProto.newBuilder().setTensorType(type)));
    return model.toBuilder().setGraph(g).build().toByteArray();
  }

  private static OnnxMl.TensorProto floats(String name, float[] v, long... dims) {
    ByteBuffer raw = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(v);
    OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name)
        .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).setRawData(ByteString.copyFrom(raw.array()));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  @Override
  public void close() {
    manager.close();
  }
}
