package dev.attnir.training.rerank;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.attnir.encoders.Batch;
import dev.attnir.encoders.Digests;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.TextTokenizer;
import dev.attnir.encoders.TokenizedText;
import dev.attnir.rerankers.trained.RerankerArtifact;
import dev.attnir.training.bert.ClsLinearHead;
import dev.attnir.training.bert.TrainableBert;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The monoBERT cross-encoder being trained (Nogueira and Cho 2019): {@code [CLS] query [SEP] passage [SEP]}, score
 * = the [CLS] state's linear projection ({@link ClsLinearHead}, one output). The word embeddings stay frozen (they are
 * half the model's parameters and would double the shipped file); every other encoder tensor is fine-tuned.
 */
public final class CrossEncoderModel implements ListwiseModel {

  /** Tensors never trained (and not shipped). */
  public static final Set<String> FROZEN = Set.of("embeddings.word_embeddings.weight");

  private final ModelSpec base;
  private final String baseSha256;
  private final TrainableBert bert;
  private final ClsLinearHead head;
  private final TextTokenizer tokenizer;
  private final int maxLength;

  /** Loads the base encoder (verified against ONNX Runtime) and a fresh head. */
  public CrossEncoderModel(ModelSpec base, int maxLength, long seed) {
    this.base = base;
    this.maxLength = maxLength;
    try {
      this.baseSha256 = Digests.sha256(base.source().readOnnx());
      this.tokenizer = TextTokenizer.fromJson(base.source().readTokenizerJson(), maxLength);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read model " + base.name(), e);
    }
    this.bert = TrainableBert.load(base, FROZEN);
    this.head = new ClsLinearHead(bert.weights().hiddenSize(), 1, seed);
  }

  @Override
  public String kind() {
    return "cross-encoder";
  }

  @Override
  public List<TokenizedText> tokenize(String query, List<String> texts) {
    return tokenizer.encodePairs(Collections.nCopies(texts.size(), query), texts);
  }

  @Override
  public Output forward(Batch batch, int groups, int groupSize, NDManager scope) {
    List<NDArray> hidden = bert.forward(batch, scope);
    NDArray s = head.forward(hidden.get(hidden.size() - 1), scope);
    return new Output(s.reshape(groups, groupSize), null);
  }

  @Override
  public Map<String, NDArray> trainable() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    bert.parameters().forEach((k, v) -> {
      if (!bert.frozen().contains(k)) {
        out.put(k, v);
      }
    });
    out.put("head.weight", head.weight());
    out.put("head.bias", head.bias());
    return out;
  }

  @Override
  public RerankerArtifact export(boolean half, Map<String, Object> training) {
    return Artifacts.export(kind(), base.name(), baseSha256, maxLength, 0, new long[0], Map.of(), training,
        trainable(), half, this::isEncoderParameter);
  }

  @Override
  public void restore(Map<String, float[]> values) {
    Artifacts.restore(trainable(), values);
  }

  @Override
  public void close() {
    head.close();
    bert.close();
    tokenizer.close();
  }
}
