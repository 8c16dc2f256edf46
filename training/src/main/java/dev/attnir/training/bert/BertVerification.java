package dev.attnir.training.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.attnir.encoders.Batch;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.EncoderOutputs;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.TensorRequest;
import dev.attnir.encoders.TokenizedText;
import java.util.List;

/**
 * Checks a {@link TrainableBert} against ONNX Runtime running the model's own graph: every hidden state (embedding
 * output and each layer's output, as {@link OnnxEncoder} exposes them) must agree to {@link #TOLERANCE} max absolute
 * difference on the real (non-padded) positions of a padded batch of texts of different lengths and one
 * query-passage pair (token type ids 0 and 1). Padded positions are
 * not compared: their values depend on how each side treats the mask and no consumer reads them.
 *
 * <p>This is also an independent check of the encoders module's exposed-tensor layer mapping: a hidden state exposed
 * under the wrong layer index would differ from this forward pass by far more than the tolerance.
 */
public final class BertVerification {

  /** Largest allowed absolute difference of any hidden-state value. */
  public static final double TOLERANCE = 1e-4;

  /** Texts of different lengths, so the batch is padded and the mask matters. */
  public static final List<String> TEXTS = List.of(
      "the cat sat on the mat",
      "Vitamin D deficiency is associated with an increased risk of respiratory infections in adults.",
      "what is the capital of France?",
      "a");

  /** A query-passage pair, so the second segment's token type embedding (type id 1) is checked too. */
  public static final List<String> PAIR = List.of("what causes scurvy?",
      "Scurvy is a disease resulting from a lack of vitamin C.");

  private BertVerification() {}

  /**
   * Verifies the model against the ONNX graph of {@code spec}.
   *
   * @throws IllegalStateException naming the first layer over the tolerance and its difference
   */
  public static double[] verify(TrainableBert model, ModelSpec spec) {
    try (OnnxEncoder encoder = OnnxEncoder.load(spec, EncoderOptions.defaults())) {
      List<TokenizedText> tokens = new java.util.ArrayList<>(encoder.tokenizer().encodeAll(TEXTS));
      tokens.add(encoder.tokenizer().encodePair(PAIR.get(0), PAIR.get(1)));
      double[] diffs = differences(model, encoder, tokens);
      for (int l = 0; l < diffs.length; l++) {
        if (!(diffs[l] <= TOLERANCE)) {
          throw new IllegalStateException("the DJL forward pass of " + spec.name() + " differs from ONNX Runtime at "
              + (l == 0 ? "the embedding output (hidden state 0)" : "layer " + (l - 1) + " (hidden state " + l + ")")
              + " by " + diffs[l] + " (tolerance " + TOLERANCE + "); refusing to load");
        }
      }
      return diffs;
    }
  }

  /**
   * Max absolute difference per hidden state ({@code numLayers + 1} values) between the model and {@code encoder} on
   * one padded batch of {@code tokens}.
   */
  public static double[] differences(TrainableBert model, OnnxEncoder encoder, List<TokenizedText> tokens) {
    int layers = model.numLayers();
    if (encoder.numLayers() != layers) {
      throw new IllegalStateException("ONNX Runtime sees " + encoder.numLayers() + " layers, the weights "
          + layers);
    }
    int[] rows = new int[tokens.size()];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = i;
    }
    Batch batch = Batch.of(rows, tokens);
    int[] all = new int[layers + 1];
    for (int i = 0; i <= layers; i++) {
      all[i] = i;
    }
    EncoderOutputs ort = encoder.run(batch, TensorRequest.hidden(all));
    double[] diffs = new double[layers + 1];
    try (NDManager scope = model.manager().newSubManager()) {
      List<NDArray> hidden = model.forward(batch, scope);
      for (int l = 0; l <= layers; l++) {
        diffs[l] = maxDifference(hidden.get(l).toFloatArray(), ort.hiddenState(l), ort, batch);
      }
    }
    return diffs;
  }

  /** Max |a - b| over the real tokens of every row; both are {@code [batch, seqLen, hidden]}. */
  static double maxDifference(float[] djl, float[] onnx, EncoderOutputs layout, Batch batch) {
    int d = layout.hiddenSize();
    double max = 0;
    for (int b = 0; b < batch.size(); b++) {
      for (int t = 0; t < batch.lengths()[b]; t++) {
        int o = layout.hiddenOffset(b, t);
        for (int k = 0; k < d; k++) {
          double diff = Math.abs(djl[o + k] - onnx[o + k]);
          if (!(diff <= max)) {
            max = diff; // NaN propagates: NaN <= max is false
          }
        }
      }
    }
    return max;
  }
}
