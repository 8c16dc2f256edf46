package dev.attnir.training.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import dev.attnir.encoders.Batch;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.bert.BertWeights;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A BERT encoder as DJL/PyTorch arrays with gradients, initialised from the ONNX export a model ships with, computing
 * what the export computes: embeddings (word + token type + position {@code 0..seq-1}) and LayerNorm; per layer
 * self-attention with scores divided by {@code sqrt(head_dim)} plus {@code (1 - mask) * maskValue} on padded keys
 * (the export's additive mask), output dense, residual and post-LayerNorm; erf-GELU feed-forward, residual and
 * post-LayerNorm (Devlin et al. 2019; HuggingFace {@code BertModel}). LayerNorm epsilon and the mask value come from
 * the graph ({@link BertWeights}).
 *
 * <p>Every parameter not frozen ({@link #of(BertWeights, java.util.Set)}) requires gradients, so a DJL {@code GradientCollector} fine-tunes the whole encoder.
 * {@link #load(ModelSpec)} refuses a model whose hidden states differ from ONNX Runtime's ({@link BertVerification}).
 */
public final class TrainableBert implements AutoCloseable {

  private final BertWeights weights;
  private final NDManager manager;
  private final Map<String, NDArray> params = new LinkedHashMap<>();
  private double[] verified;

  private final java.util.Set<String> frozen;

  private TrainableBert(BertWeights weights, java.util.Set<String> frozen) {
    this.weights = weights;
    this.frozen = java.util.Set.copyOf(frozen);
    for (String f : this.frozen) {
      if (!weights.tensors().containsKey(f)) {
        throw new IllegalArgumentException("cannot freeze " + f + ": no such tensor (known: "
            + weights.tensors().keySet() + ")");
      }
    }
    this.manager = NDManager.newBaseManager();
    for (var e : weights.tensors().entrySet()) {
      NDArray a = manager.create(e.getValue().values(), new Shape(e.getValue().shape()));
      if (!this.frozen.contains(e.getKey())) {
        a.setRequiresGradient(true);
      }
      params.put(e.getKey(), a);
    }
  }

  /** A model with the given weights, not verified against ONNX Runtime. */
  public static TrainableBert of(BertWeights weights) {
    return new TrainableBert(weights, java.util.Set.of());
  }

  /**
   * A model with the given weights whose {@code frozen} tensors (by name) take no gradient, not verified against ONNX
   * Runtime.
   */
  public static TrainableBert of(BertWeights weights, java.util.Set<String> frozen) {
    return new TrainableBert(weights, frozen);
  }

  /** Names of the tensors that take no gradient. */
  public java.util.Set<String> frozen() {
    return frozen;
  }

  /**
   * Loads the encoder of a registered model and verifies at load that every layer's hidden state equals ONNX Runtime's
   * to {@link BertVerification#TOLERANCE}.
   *
   * @throws IllegalStateException naming the layer and the difference when they do not agree
   * @throws IllegalArgumentException when the graph is not a recognised BERT export
   */
  public static TrainableBert load(ModelSpec spec) {
    return load(spec, java.util.Set.of());
  }

  /** {@link #load(ModelSpec)} with {@code frozen} tensors taking no gradient. */
  public static TrainableBert load(ModelSpec spec, java.util.Set<String> frozen) {
    byte[] onnx;
    try {
      onnx = spec.source().readOnnx();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the ONNX graph of " + spec.name(), e);
    }
    TrainableBert model = of(BertWeights.read(onnx), frozen);
    try {
      model.verified = BertVerification.verify(model, spec);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
    return model;
  }

  /** The weights the model was created from (values as loaded, not as trained: see {@link #values()}). */
  public BertWeights weights() {
    return weights;
  }

  /**
   * Max absolute difference to ONNX Runtime per hidden state (index 0 = embeddings) measured by {@link #load}, or
   * null for a model made by {@link #of}.
   */
  public double[] verifiedDifferences() {
    return verified == null ? null : verified.clone();
  }

  public int numLayers() {
    return weights.numLayers();
  }

  /** Trainable parameters by HuggingFace name; dense kernels are {@code [in, out]}. */
  public Map<String, NDArray> parameters() {
    return params;
  }

  /** Current parameter values copied out of the engine, by name. */
  public Map<String, float[]> values() {
    Map<String, float[]> out = new LinkedHashMap<>();
    params.forEach((k, v) -> out.put(k, v.toFloatArray()));
    return out;
  }

  /** Manager owning the parameters. */
  public NDManager manager() {
    return manager;
  }

  /**
   * Forward pass over a right-padded batch. Parameters are used through views attached to {@code scope} (DJL attaches
   * a result to its first operand's manager), so the pass's intermediates are freed with the scope while gradients
   * still reach the parameters.
   *
   * @return {@code numLayers + 1} hidden states {@code [batch, seqLen, hidden]}: index 0 is the embedding output,
   *     index {@code i} the output of layer {@code i - 1}
   */
  public List<NDArray> forward(Batch batch, NDManager scope) {
    return forward(batch, scope, null);
  }

  /**
   * {@link #forward(Batch, NDManager)} with the word embeddings of the batch's tokens given ({@code [batch, seq,
   * hidden]}, e.g. with some positions' vectors trained separately), or looked up in the model's table when null.
   */
  public List<NDArray> forward(Batch batch, NDManager scope, NDArray wordEmbeddings) {
    Map<String, NDArray> w = new LinkedHashMap<>();
    for (var e : params.entrySet()) {
      NDArray view = e.getValue().reshape(e.getValue().getShape());
      view.attach(scope);
      w.put(e.getKey(), view);
    }
    int b = batch.size();
    int s = batch.seqLen();
    int d = weights.hiddenSize();
    int heads = weights.numHeads();
    int dh = d / heads;
    NDArray ids = scope.create(batch.inputIds());
    NDArray types = scope.create(batch.typeIds());
    long[] pos = new long[b * s];
    for (int i = 0; i < pos.length; i++) {
      pos[i] = i % s;
    }
    NDArray words = wordEmbeddings != null ? wordEmbeddings.reshape(b * s, d)
        : w.get("embeddings.word_embeddings.weight").get(ids);
    NDArray x = words
        .add(w.get("embeddings.token_type_embeddings.weight").get(types))
        .add(w.get("embeddings.position_embeddings.weight").get(scope.create(pos)))
        .reshape(b, s, d);
    x = layerNorm(x, w, "embeddings.LayerNorm");
    // The export's additive mask: (1 - mask) * maskValue, broadcast over heads and query positions.
    float[] maskAdd = new float[b * s];
    for (int i = 0; i < maskAdd.length; i++) {
      maskAdd[i] = (1f - batch.attentionMask()[i]) * weights.maskValue();
    }
    NDArray mask = scope.create(maskAdd, new Shape(b, 1, 1, s));
    // Scalars as arrays of the scope: DJL's Number overloads wrap a buffer that may be freed before backward runs.
    NDArray scale = scope.create((float) Math.sqrt(dh));
    NDArray sqrt2 = scope.create((float) Math.sqrt(2));
    NDArray one = scope.create(1f);
    NDArray half = scope.create(0.5f);
    List<NDArray> hidden = new ArrayList<>();
    hidden.add(x);
    for (int l = 0; l < weights.numLayers(); l++) {
      String p = "encoder.layer." + l + ".";
      NDArray q = dense(x, w, p + "attention.self.query").reshape(b, s, heads, dh).transpose(0, 2, 1, 3);
      NDArray k = dense(x, w, p + "attention.self.key").reshape(b, s, heads, dh).transpose(0, 2, 3, 1);
      NDArray v = dense(x, w, p + "attention.self.value").reshape(b, s, heads, dh).transpose(0, 2, 1, 3);
      NDArray probs = q.matMul(k).div(scale).add(mask).softmax(-1);
      NDArray ctx = probs.matMul(v).transpose(0, 2, 1, 3).reshape(b, s, d);
      NDArray a = layerNorm(dense(ctx, w, p + "attention.output.dense").add(x), w, p + "attention.output.LayerNorm");
      NDArray inter = dense(a, w, p + "intermediate.dense");
      // erf-GELU in the export's order: x * (1 + erf(x / sqrt2)) * 0.5
      NDArray gelu = inter.mul(inter.div(sqrt2).erf().add(one)).mul(half);
      x = layerNorm(dense(gelu, w, p + "output.dense").add(a), w, p + "output.LayerNorm");
      hidden.add(x);
    }
    return hidden;
  }

  private static NDArray dense(NDArray x, Map<String, NDArray> w, String name) {
    return x.matMul(w.get(name + ".weight")).add(w.get(name + ".bias"));
  }

  private NDArray layerNorm(NDArray x, Map<String, NDArray> w, String name) {
    return LayerNorm.layerNorm(x, new Shape(weights.hiddenSize()), w.get(name + ".weight"), w.get(name + ".bias"),
        weights.layerNormEps()).singletonOrThrow();
  }

  @Override
  public void close() {
    manager.close();
  }
}
