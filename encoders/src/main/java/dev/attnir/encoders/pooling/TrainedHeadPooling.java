package dev.attnir.encoders.pooling;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.attnir.encoders.Digests;
import dev.attnir.encoders.EncoderOutputs;
import dev.attnir.encoders.ModelBound;
import dev.attnir.encoders.StatefulPooling;
import dev.attnir.encoders.TensorRequest;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Multi-layer trainable pooling (Tang and Yang, "Pooling And Attention: What Are Effective Designs For LLM-Based
 * Embedding Models?", 2024; official code yixuantt/PoolingAndAttn, {@code pooling_layers/MultiLayersTrainablePooling.py}
 * with the layer inputs of {@code model_loaders/model5.py}).
 *
 * <p>Each layer's hidden states become one vector (masked token mean as in the reference code, or the CLS vector),
 * for hidden states {@code firstLayer..lastLayer}; a trainable per-layer embedding is added; trainable latent queries
 * cross-attend over the layer vectors (multi-head, pre-LayerNorm on both sides, residual); a GEGLU feed-forward follows
 * with its residual; the latents are averaged and the result L2-normalised.
 *
 * <p>Deviations: the reference pools a decoder LLM (4096 dims, 32 heads of 2048, 768 latents); here the sizes are
 * scaled to 384-dimensional encoders and recorded in {@link HeadState.HeadConfig}. Inference runs the head as an ONNX
 * graph in ONNX Runtime (the training engine is not needed at search time); it is checked against the training
 * forward pass when the head is written.
 */
public final class TrainedHeadPooling implements StatefulPooling, ModelBound, AutoCloseable {

  /** Input and output names of the head graph. */
  public static final String INPUT = "layers";
  public static final String OUTPUT = "embedding";

  private final HeadState head;
  private final byte[] state;
  private final OrtSession session;
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();

  private TrainedHeadPooling(HeadState head, byte[] state) {
    this.head = head;
    this.state = state;
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setIntraOpNumThreads(Math.max(1, Runtime.getRuntime().availableProcessors()));
      this.session = env.createSession(head.onnx(), o);
    } catch (OrtException e) {
      throw new IllegalArgumentException("pooling head graph does not load: " + e.getMessage(), e);
    }
  }

  /** Loads a head from its container bytes. */
  public static TrainedHeadPooling fromState(byte[] state) {
    return new TrainedHeadPooling(HeadState.deserialize(state), state.clone());
  }

  public HeadState.HeadConfig config() {
    return head.config();
  }

  @Override
  public String name() {
    return "trained";
  }

  @Override
  public String modelName() {
    return head.config().model();
  }

  @Override
  public String modelSha256() {
    return head.config().modelSha256();
  }

  @Override
  public TensorRequest requirements(int numLayers) {
    HeadState.HeadConfig c = head.config();
    if (c.lastLayer() != numLayers) {
      throw new IllegalArgumentException("pooling head was trained on a model with " + c.lastLayer()
          + " layers (" + c.model() + "); this model has " + numLayers);
    }
    return features().requirements(numLayers);
  }

  @Override
  public int dimension(int hiddenSize) {
    if (hiddenSize != head.config().hiddenSize()) {
      throw new IllegalArgumentException("pooling head was trained on " + head.config().hiddenSize()
          + "-dimensional hidden states (" + head.config().model() + "); this model has " + hiddenSize);
    }
    return hiddenSize;
  }

  /** The pooling computing this head's input (one vector per layer, concatenated). */
  public LayerFeaturesPooling features() {
    HeadState.HeadConfig c = head.config();
    return new LayerFeaturesPooling(c.layerInput(), c.firstLayer(), c.lastLayer());
  }

  /** Runs the head on layer features: one row per text, {@code layers * hidden} values each. */
  public float[][] forward(int batch, float[][] features) {
    HeadState.HeadConfig c = head.config();
    int width = c.numLayerInputs() * c.hiddenSize();
    FloatBuffer flat = FloatBuffer.allocate(batch * width);
    for (int b = 0; b < batch; b++) {
      if (features[b].length != width) {
        throw new IllegalArgumentException("head input row has " + features[b].length + " values, expected " + width);
      }
      flat.put(features[b]);
    }
    flat.rewind();
    long[] shape = {batch, c.numLayerInputs(), c.hiddenSize()};
    try (OnnxTensor in = OnnxTensor.createTensor(env, flat, shape);
        OrtSession.Result r = session.run(Map.of(INPUT, in))) {
      FloatBuffer y = ((OnnxTensor) r.get(OUTPUT).orElseThrow()).getFloatBuffer();
      float[][] out = new float[batch][c.hiddenSize()];
      for (float[] row : out) {
        y.get(row);
      }
      return out;
    } catch (OrtException e) {
      throw new IllegalStateException("pooling head inference failed: " + e.getMessage(), e);
    }
  }

  @Override
  public float[][] pool(EncoderOutputs outputs) {
    return forward(outputs.batchSize(), features().pool(outputs));
  }

  @Override
  public byte[] state() {
    return state.clone();
  }

  @Override
  public Map<String, String> parameters() {
    HeadState.HeadConfig c = head.config();
    Map<String, String> p = new LinkedHashMap<>();
    p.put("layer_input", c.layerInput());
    p.put("layers", c.firstLayer() + ".." + c.lastLayer());
    p.put("latents", Integer.toString(c.latents()));
    p.put("heads", c.heads() + "x" + c.headDim());
    p.put("trained_on", c.model());
    p.put(STATE_SHA256, Digests.sha256(state));
    return p;
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }
}
