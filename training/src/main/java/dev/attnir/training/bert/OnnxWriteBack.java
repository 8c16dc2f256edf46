package dev.attnir.training.bert;

import ai.djl.ndarray.NDManager;
import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.attnir.encoders.Batch;
import dev.attnir.encoders.bert.BertWeights;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes trained BERT weights back into the model's original ONNX graph: every tensor goes into the initializer
 * {@link BertWeights} read it from, with the same name, shape and layout (dense kernels stay {@code [in, out]}), as
 * raw little-endian float32. Nodes, inputs, outputs and every other initializer are left as they are, so the result
 * is the same graph with trained tensors and loads wherever the original did (e.g. {@code OnnxEncoder}).
 *
 * <p>{@link #writeVerified} additionally runs the written graph in ONNX Runtime and refuses it unless its
 * {@code last_hidden_state} equals the DJL forward pass to {@link BertVerification#TOLERANCE} on real tokens.
 */
public final class OnnxWriteBack {

  private OnnxWriteBack() {}

  /** The original graph with the model's current parameter values in their initializers. */
  public static byte[] write(byte[] originalOnnx, TrainableBert model) {
    OnnxMl.ModelProto original;
    try {
      original = OnnxMl.ModelProto.parseFrom(originalOnnx);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not an ONNX model: " + e.getMessage(), e);
    }
    Map<String, float[]> values = model.values();
    Map<String, float[]> byInitializer = new HashMap<>();
    for (var e : model.weights().tensors().entrySet()) {
      float[] v = values.get(e.getKey());
      float[] previous = byInitializer.put(e.getValue().initializer(), v);
      if (previous != null && !java.util.Arrays.equals(previous, v)) {
        // A shared initializer would need its two trained copies reconciled; the exports we read share none.
        throw new IllegalStateException("initializer " + e.getValue().initializer() + " holds two parameters with "
            + "different trained values");
      }
    }
    OnnxMl.GraphProto.Builder graph = original.getGraph().toBuilder();
    int written = 0;
    for (int i = 0; i < graph.getInitializerCount(); i++) {
      OnnxMl.TensorProto t = graph.getInitializer(i);
      float[] v = byInitializer.get(t.getName());
      if (v == null) {
        continue;
      }
      long size = t.getDimsList().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
      if (size != v.length) {
        throw new IllegalStateException("initializer " + t.getName() + " has " + size + " values, the model "
            + v.length + ": not the graph the model was read from");
      }
      ByteBuffer raw = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
      raw.asFloatBuffer().put(v);
      graph.setInitializer(i, t.toBuilder().clearFloatData().setRawData(ByteString.copyFrom(raw.array())));
      written++;
    }
    if (written != byInitializer.size()) {
      throw new IllegalStateException("only " + written + " of " + byInitializer.size()
          + " initializers found: not the graph the model was read from");
    }
    return original.toBuilder().setGraph(graph).build().toByteArray();
  }

  /**
   * Writes and checks the result against the DJL forward pass on {@code batch}.
   *
   * @throws IllegalStateException when ONNX Runtime's last hidden state differs by more than the tolerance
   */
  public static byte[] writeVerified(byte[] originalOnnx, TrainableBert model, Batch batch) {
    byte[] onnx = write(originalOnnx, model);
    double diff = lastHiddenDifference(onnx, model, batch);
    if (!(diff <= BertVerification.TOLERANCE)) {
      throw new IllegalStateException("the written graph's last_hidden_state differs from the DJL forward pass by "
          + diff + " (tolerance " + BertVerification.TOLERANCE + ")");
    }
    return onnx;
  }

  /** Max |ONNX Runtime last_hidden_state - DJL last hidden state| over the real tokens of {@code batch}. */
  public static double lastHiddenDifference(byte[] onnx, TrainableBert model, Batch batch) {
    float[] djl;
    try (NDManager scope = model.manager().newSubManager()) {
      var hidden = model.forward(batch, scope);
      djl = hidden.get(hidden.size() - 1).toFloatArray();
    }
    long[] shape = {batch.size(), batch.seqLen()};
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try (OrtSession s = env.createSession(onnx, new OrtSession.SessionOptions())) {
      for (String name : s.getInputNames()) {
        long[] values = switch (name) {
          case "input_ids" -> batch.inputIds();
          case "attention_mask" -> batch.attentionMask();
          case "token_type_ids" -> batch.typeIds();
          default -> throw new IllegalStateException("the graph has an input " + name + " this check cannot feed");
        };
        inputs.put(name, OnnxTensor.createTensor(env, LongBuffer.wrap(values), shape));
      }
      try (OrtSession.Result out = s.run(inputs, java.util.Set.of("last_hidden_state"))) {
        return maxDifference(djl, ((OnnxTensor) out.get("last_hidden_state").orElseThrow()).getFloatBuffer(),
            batch, model.weights().hiddenSize());
      }
    } catch (OrtException e) {
      throw new IllegalStateException("the written graph does not run in ONNX Runtime: " + e.getMessage(), e);
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  private static double maxDifference(float[] djl, FloatBuffer y, Batch batch, int d) {
    double max = 0;
    for (int b = 0; b < batch.size(); b++) {
      for (int t = 0; t < batch.lengths()[b]; t++) {
        int o = (b * batch.seqLen() + t) * d;
        for (int k = 0; k < d; k++) {
          double diff = Math.abs(djl[o + k] - y.get(o + k));
          if (!(diff <= max)) {
            max = diff; // NaN propagates
          }
        }
      }
    }
    return max;
  }
}
