package dev.attnir.encoders.pooling;

import dev.attnir.encoders.Digests;
import dev.attnir.encoders.EncoderOutputs;
import dev.attnir.encoders.ModelBound;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.StatefulPooling;
import dev.attnir.encoders.TensorRequest;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Whitening on top of a base pooling: the base pooling's raw vector goes through a fitted {@link WhiteningTransform}
 * (the embedder then L2-normalises, as BERT-whitening and WhiteningBERT do before cosine similarity). Which vectors
 * are whitened is the base pooling: the model's native pooling, or the layer-1 + last average WhiteningBERT found
 * best ({@code layer1-last-mean}).
 */
public final class WhiteningPooling implements StatefulPooling, ModelBound {

  private final Pooling base;
  private final WhiteningTransform transform;
  private final byte[] state;

  /** Whitening with a freshly fitted transform; its state is the transform in the current format. */
  public WhiteningPooling(Pooling base, WhiteningTransform transform) {
    this(base, transform, transform.serialize());
  }

  private WhiteningPooling(Pooling base, WhiteningTransform transform, byte[] state) {
    this.base = base;
    this.transform = transform;
    this.state = state;
  }

  /**
   * Whitening restored from stored state in any format version this build reads. {@link #state()} returns these
   * bytes unchanged (an older format is not rewritten), so the digest an index recorded for them stays valid.
   *
   * @throws IllegalArgumentException when the state is not a whitening transform, or is truncated or damaged
   */
  public static WhiteningPooling fromState(Pooling base, byte[] state) {
    return new WhiteningPooling(base, WhiteningTransform.deserialize(state), state.clone());
  }

  public Pooling base() {
    return base;
  }

  public WhiteningTransform transform() {
    return transform;
  }

  @Override
  public String name() {
    return "whiten";
  }

  @Override
  public String modelName() {
    return transform.modelName();
  }

  @Override
  public String modelSha256() {
    return transform.modelSha256();
  }

  @Override
  public TensorRequest requirements(int numLayers) {
    return base.requirements(numLayers);
  }

  @Override
  public int dimension(int hiddenSize) {
    int baseDims = base.dimension(hiddenSize);
    if (baseDims != transform.inputDims()) {
      throw new IllegalArgumentException("whitening was fitted on " + transform.inputDims() + "-dimensional vectors "
          + "but pooling " + base.name() + " of this model gives " + baseDims);
    }
    return transform.outputDims();
  }

  @Override
  public float[][] pool(EncoderOutputs outputs) {
    float[][] raw = base.pool(outputs);
    float[][] out = new float[raw.length][];
    for (int i = 0; i < raw.length; i++) {
      out[i] = transform.apply(raw[i]);
    }
    return out;
  }

  @Override
  public byte[] state() {
    return state.clone();
  }

  @Override
  public Map<String, String> parameters() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("base", base.name());
    base.parameters().forEach((k, v) -> p.put("base." + k, v));
    p.put("dims", Integer.toString(transform.outputDims()));
    p.put("input_dims", Integer.toString(transform.inputDims()));
    p.put("fit_vectors", Long.toString(transform.fitCount()));
    p.put("epsilon", String.format(Locale.ROOT, "%g", transform.epsilon()));
    p.put(STATE_SHA256, Digests.sha256(state));
    return p;
  }
}
