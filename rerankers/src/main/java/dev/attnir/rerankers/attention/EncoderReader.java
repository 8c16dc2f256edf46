package dev.attnir.rerankers.attention;

import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.EncoderOutputs;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.TensorRequest;
import dev.attnir.encoders.TokenizedText;
import dev.attnir.rerankers.trained.TrainedRegistry;
import dev.attnir.rerankers.trained.TrainedRerankers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

/**
 * A BERT-style ONNX encoder as an attention reader: the context is packed as {@code [CLS] query [SEP] p1 [SEP] p2
 * [SEP] ...} ({@link dev.attnir.encoders.TextTokenizer#encodePacked}: the query keeps at most half the positions, the
 * passages share the rest equally, each cut from its end), and the attention probabilities of every layer are
 * exposed. A passage token's weight is the attention it receives from the focus tokens (the query's content tokens,
 * or its last one), averaged over focus tokens and summed over layers and heads, as ICR aggregates a decoder's.
 * Only the query's rows leave ONNX Runtime ({@link TensorRequest#firstSegmentAttentions()}): copying every layer's
 * full {@code [heads, 512, 512]} maps made reading five times slower inside a long evaluation.
 *
 * <p>Deviations from a decoder reader: attention is bidirectional, so the query may sit before the passages (it does
 * here, as in a cross-encoder's pair) and still attend to all of them; the passage spans are the passages' content
 * tokens, without the separator that follows each.
 */
public final class EncoderReader implements AttentionReader {

  private final OnnxEncoder encoder;
  private final int[] layers;
  private final String name;

  /** Reads with every layer of {@code encoder} (which must expose attention); the reader owns the encoder. */
  public EncoderReader(OnnxEncoder encoder) {
    if (!encoder.canExpose()) {
      throw new IllegalArgumentException("reader " + encoder.spec().name() + ": its graph cannot expose attention "
          + "probabilities (looked for BERT-style '<prefix>/encoder/layer.N/attention/self/Softmax' nodes)");
    }
    this.encoder = encoder;
    this.layers = new int[encoder.numLayers()];
    Arrays.setAll(layers, i -> i);
    this.name = encoder.spec().name();
  }

  /**
   * Opens a built-in model by name, a local model directory, or the fine-tuned encoder of a shipped trained reranker
   * (e.g. {@code cross-encoder-minilm}: its encoder layers, read without its scoring head), as a reader with
   * {@code maxLength} positions.
   *
   * @throws IllegalArgumentException for an unknown model or one whose attention cannot be exposed
   */
  public static EncoderReader open(String nameOrDir, int maxLength) {
    OnnxEncoder encoder;
    TrainedRegistry trained = TrainedRegistry.shipped();
    if (trained.entries().containsKey(nameOrDir)) {
      encoder = TrainedRerankers.encoder(trained.read(nameOrDir), nameOrDir, nameOrDir, OptionalInt.of(maxLength),
          EncoderOptions.defaults());
    } else {
      ModelSpec spec;
      try {
        spec = ModelRegistry.resolve(nameOrDir).withMaxLength(maxLength);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(e.getMessage() + "; trained rerankers usable as readers: "
            + String.join(", ", trained.names()), e);
      }
      encoder = OnnxEncoder.load(spec, EncoderOptions.defaults());
    }
    try {
      return new EncoderReader(encoder);
    } catch (RuntimeException e) {
      encoder.close();
      throw e;
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String identity() {
    return "encoder:" + name + ",onnx-sha256=" + encoder.fingerprint() + ",max-length=" + maxLength() + ",layers=all("
        + layers.length + "),packing=query-first";
  }

  /** The reader's position budget (special tokens included). */
  public int maxLength() {
    return encoder.tokenizer().maxLength();
  }

  @Override
  public List<ContextAttention> read(List<Context> contexts, Focus focus) {
    List<TokenizedText> tokens = new ArrayList<>(contexts.size());
    for (int c = 0; c < contexts.size(); c++) {
      Context context = contexts.get(c);
      try {
        var tokenizer = encoder.tokenizer();
        int passageBudget = context.layoutQuery() == null ? Integer.MAX_VALUE
            : tokenizer.packedPassageBudget(context.layoutQuery(), context.passages().size());
        tokens.add(tokenizer.encodePacked(context.query(), context.passages(), passageBudget));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("reader " + name + ", context " + c + ": " + e.getMessage(), e);
      }
    }
    ContextAttention[] out = new ContextAttention[contexts.size()];
    TensorRequest request = TensorRequest.none().withFirstSegmentAttentions(layers);
    encoder.encodeTokenized(tokens, request, (rows, outputs) -> {
      for (int b = 0; b < rows.length; b++) {
        out[rows[b]] = attention(tokens.get(rows[b]), outputs, b, focus);
      }
    }, ProgressListener.none());
    return List.of(out);
  }

  private ContextAttention attention(TokenizedText text, EncoderOutputs outputs, int b, Focus focus) {
    TokenizedText.Span query = text.segment(0);
    if (query.length() == 0) {
      throw new IllegalArgumentException("reader " + name + ": the query kept no token");
    }
    int from = focus == Focus.LAST_QUERY_TOKEN ? query.end() - 1 : query.start();
    int to = query.end();
    double[] weight = new double[text.length()];
    for (int layer : layers) {
      float[] a = outputs.firstSegmentAttention(layer);
      for (int h = 0; h < outputs.numHeads(); h++) {
        for (int q = from; q < to; q++) {
          int row = outputs.firstSegmentAttentionOffset(b, h, q);
          for (int t = 0; t < text.length(); t++) {
            weight[t] += a[row + t];
          }
        }
      }
    }
    int focusTokens = to - from;
    List<float[]> slots = new ArrayList<>(text.segments().size() - 1);
    for (int s = 1; s < text.segments().size(); s++) {
      TokenizedText.Span span = text.segment(s);
      float[] w = new float[span.length()];
      for (int t = 0; t < w.length; t++) {
        w[t] = (float) (weight[span.start() + t] / focusTokens);
      }
      slots.add(w);
    }
    return new ContextAttention(slots, text.truncated());
  }

  @Override
  public void close() {
    encoder.close();
  }
}
