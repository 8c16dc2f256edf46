package dev.attnir.training.rerank;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import dev.attnir.encoders.Batch;
import dev.attnir.encoders.Digests;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.TextTokenizer;
import dev.attnir.encoders.TokenizedText;
import dev.attnir.rerankers.trained.RerankerArtifact;
import dev.attnir.rerankers.trained.TrainedGraph;
import dev.attnir.rerankers.trained.ViewTokens;
import dev.attnir.training.bert.TrainableBert;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The multi-view reranker (MVP; Na et al., "Multi-View-guided Passage Reranking with Large Language Models", EMNLP
 * 2025, official code bulbna/MVP) on a BERT encoder, as trained here. Inference is {@code MvpReranker} in the
 * rerankers module (ONNX Runtime plus the same anchor block in plain Java); both compute:
 *
 * <ul>
 *   <li>input {@code [CLS] v_0..v_{m-1} query [SEP] passage [SEP]} ({@link ViewTokens}); the view tokens' embeddings
 *       are trained (the rest of the word-embedding table stays frozen); each candidate encoded on its own; {@code e_ik} = last hidden state at position {@code 1 + k};
 *   <li>anchor per view, {@code learned}: one cross-attention step from a learned start vector {@code s} over
 *       {@code {e_1k..e_nk}} (H heads, no position information), {@code a_k = LayerNorm(s + Attn(s, E_k) W_o + b_o)};
 *       {@code mean}: {@code a_k = mean_i e_ik} (the ablation);
 *   <li>score {@code s_i = scale * mean_k <a_k, e_ik>}, {@code scale = 1/sqrt(d)} by default;
 *   <li>auxiliary loss: {@code lambda * ||Â Âᵀ - I||²_F} on the L2-normalised anchors of each list (averaged over
 *       lists), MVP's orthogonality loss.
 * </ul>
 *
 * <p>Deviations from MVP: a BERT encoder (MiniLM) instead of T5; the anchor comes from a small trainable cross-attention
 * block instead of one step of the T5 decoder; BERT's reserved {@code [unusedK]} tokens are the view tokens; the
 * {@code 1/sqrt(d)} score scale (BERT hidden states have norms near 10, their raw dot products would saturate the
 * softmax at initialisation). The anchor block has no positions, so a candidate's score cannot depend on where it is
 * in the list.
 */
public final class MvpModel implements ListwiseModel {

  private final ModelSpec base;
  private final String baseSha256;
  private final TrainableBert bert;
  private final TextTokenizer tokenizer;
  private final int maxLength;
  private final int views;
  private final long[] viewIds;
  private final boolean learnedAnchor;
  private final int anchorHeads;
  private final float lnEps = 1e-5f;
  private final double orthogonalWeight;
  private final NDManager manager = NDManager.newBaseManager();
  private final Map<String, NDArray> anchor = new LinkedHashMap<>();
  private final boolean freezeEncoder;
  private final NDArray viewEmbeddings;
  private final double scoreScale;

  /**
   * @param anchorKind {@code learned} or {@code mean}
   * @param orthogonalWeight lambda of the orthogonality loss (0 = off)
   * @param freezeEncoder train only the anchor block (the frozen-encoder ablation)
   */
  public MvpModel(ModelSpec base, int maxLength, int views, String anchorKind, double orthogonalWeight,
      boolean freezeEncoder, long seed) {
    this(base, maxLength, views, anchorKind, orthogonalWeight, freezeEncoder, Double.NaN, seed);
  }

  /**
   * @param scoreScale the factor on {@code mean_k <a_k, e_ik>}; NaN for the default {@code 1/sqrt(hidden)}
   */
  public MvpModel(ModelSpec base, int maxLength, int views, String anchorKind, double orthogonalWeight,
      boolean freezeEncoder, double scoreScale, long seed) {
    if (views < 1) {
      throw new IllegalArgumentException("views must be >= 1, got " + views);
    }
    if (!anchorKind.equals("learned") && !anchorKind.equals("mean")) {
      throw new IllegalArgumentException("anchor must be learned or mean, got " + anchorKind);
    }
    this.base = base;
    this.maxLength = maxLength;
    this.views = views;
    this.learnedAnchor = anchorKind.equals("learned");
    this.orthogonalWeight = orthogonalWeight;
    this.freezeEncoder = freezeEncoder;
    byte[] tokenizerJson;
    try {
      this.baseSha256 = Digests.sha256(base.source().readOnnx());
      tokenizerJson = base.source().readTokenizerJson();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read model " + base.name(), e);
    }
    this.viewIds = ViewTokens.unusedIds(tokenizerJson, views);
    this.tokenizer = TextTokenizer.fromJson(tokenizerJson, maxLength - views);
    this.bert = TrainableBert.load(base, CrossEncoderModel.FROZEN);
    if (freezeEncoder) {
      // no gradient through the encoder's weights at all, not merely no update
      bert.parameters().values().forEach(p -> p.setRequiresGradient(false));
    }
    int d = bert.weights().hiddenSize();
    this.scoreScale = Double.isNaN(scoreScale) ? 1 / Math.sqrt(d) : scoreScale;
    if (!(this.scoreScale > 0)) {
      throw new IllegalArgumentException("score scale must be positive, got " + scoreScale);
    }
    this.anchorHeads = bert.weights().numHeads();
    // MVP's view tokens are learned: their rows of the (otherwise frozen) word-embedding table train as a parameter
    for (int k = 1; k < views; k++) {
      if (viewIds[k] != viewIds[0] + k) {
        throw new IllegalArgumentException("view token ids must be consecutive, got "
            + java.util.Arrays.toString(viewIds));
      }
    }
    NDArray table = bert.parameters().get("embeddings.word_embeddings.weight");
    NDArray rows = table.get(new NDIndex(viewIds[0] + ":" + (viewIds[0] + views))).duplicate();
    rows.attach(manager);
    rows.setRequiresGradient(true);
    viewEmbeddings = rows;
    if (learnedAnchor) {
      Random r = new Random(seed);
      float bound = (float) (1 / Math.sqrt(d));
      anchor.put("anchor.start", param(r, new Shape(d), 0.02f, false));
      for (String p : List.of("q", "k", "v", "o")) {
        anchor.put("anchor." + p + ".weight", param(r, new Shape(d, d), bound, false));
        anchor.put("anchor." + p + ".bias", param(r, new Shape(d), 0, false));
      }
      anchor.put("anchor.ln.weight", param(r, new Shape(d), 0, true));
      anchor.put("anchor.ln.bias", param(r, new Shape(d), 0, false));
    }
  }

  private NDArray param(Random r, Shape shape, float bound, boolean ones) {
    float[] v = new float[(int) shape.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = ones ? 1f : (r.nextFloat() * 2 - 1) * bound;
    }
    NDArray a = manager.create(v, shape);
    a.setRequiresGradient(true);
    return a;
  }

  @Override
  public String kind() {
    return "mvp";
  }

  /** The view count m. */
  public int views() {
    return views;
  }

  @Override
  public List<TokenizedText> tokenize(String query, List<String> texts) {
    return ViewTokens.encode(tokenizer, viewIds, query, texts);
  }

  @Override
  public Output forward(Batch batch, int groups, int n, NDManager scope) {
    // Word embeddings from the frozen table, with the view positions (1..m, ViewTokens) taken from the trained
    // view rows instead: cheaper than a table rebuilt per step, and only the view rows take a gradient.
    NDArray table = bert.parameters().get("embeddings.word_embeddings.weight");
    int b = batch.size();
    int s = batch.seqLen();
    int dModel = bert.weights().hiddenSize();
    NDArray looked = table.get(scope.create(batch.inputIds()));
    looked.attach(scope);
    NDArray tokens = looked.reshape(b, s, dModel);
    NDArray viewRows = viewEmbeddings.reshape(viewEmbeddings.getShape());
    viewRows.attach(scope);
    NDArray words = tokens.get(new NDIndex(":, 0:1, :"))
        .concat(viewRows.expandDims(0).broadcast(b, views, dModel), 1)
        .concat(tokens.get(new NDIndex(":, " + (1 + views) + ":, :")), 1);
    List<NDArray> hidden = bert.forward(batch, scope, words);
    int d = bert.weights().hiddenSize();
    NDArray last = hidden.get(hidden.size() - 1);
    // [G*n, m, d] -> [G, n, m, d] -> [G, m, n, d]
    NDArray e = last.get(new NDIndex(":, 1:" + (1 + views) + ", :")).reshape(groups, n, views, d)
        .transpose(0, 2, 1, 3);
    NDArray a;
    if (learnedAnchor) {
      Map<String, NDArray> w = new LinkedHashMap<>();
      anchor.forEach((k, v) -> {
        NDArray view = v.reshape(v.getShape());
        view.attach(scope);
        w.put(k, view);
      });
      int h = anchorHeads;
      int dh = d / h;
      NDArray start = w.get("anchor.start");
      NDArray q = start.reshape(1, d).matMul(w.get("anchor.q.weight")).add(w.get("anchor.q.bias")).reshape(h, dh);
      NDArray k = e.matMul(w.get("anchor.k.weight")).add(w.get("anchor.k.bias")).reshape(groups, views, n, h, dh);
      NDArray v = e.matMul(w.get("anchor.v.weight")).add(w.get("anchor.v.bias")).reshape(groups, views, n, h, dh);
      NDArray scale = scope.create((float) Math.sqrt(dh));
      NDArray logits = k.mul(q).sum(new int[] {4}).div(scale); // [G, m, n, h]
      NDArray p = logits.softmax(2);
      NDArray c = v.mul(p.expandDims(4)).sum(new int[] {2}).reshape(groups, views, d); // [G, m, d]
      NDArray o = c.matMul(w.get("anchor.o.weight")).add(w.get("anchor.o.bias")).add(start);
      a = LayerNorm.layerNorm(o, new Shape(d), w.get("anchor.ln.weight"), w.get("anchor.ln.bias"), lnEps)
          .singletonOrThrow();
    } else {
      a = e.mean(new int[] {2}); // [G, m, d]
    }
    NDArray scale = scope.create((float) scoreScale);
    NDArray scores = e.mul(a.expandDims(2)).sum(new int[] {3}).mean(new int[] {1}).mul(scale); // [G, n]
    NDArray aux = null;
    if (orthogonalWeight > 0) {
      NDArray norms = a.norm(new int[] {2}, true);
      NDArray unit = a.div(norms);
      NDArray gram = unit.matMul(unit.transpose(0, 2, 1));
      NDArray eye = scope.eye(views).expandDims(0);
      NDArray weight = scope.create((float) orthogonalWeight);
      aux = gram.sub(eye).square().sum(new int[] {1, 2}).mean().mul(weight);
    }
    return new Output(scores, aux);
  }

  @Override
  public Map<String, NDArray> trainable() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    if (!freezeEncoder) {
      bert.parameters().forEach((k, v) -> {
        if (!bert.frozen().contains(k)) {
          out.put(k, v);
        }
      });
    }
    out.put(TrainedGraph.VIEW_EMBEDDINGS, viewEmbeddings);
    out.putAll(anchor);
    return out;
  }

  @Override
  public RerankerArtifact export(boolean half, Map<String, Object> training) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("anchor", learnedAnchor ? "learned" : "mean");
    settings.put("anchorHeads", Integer.toString(anchorHeads));
    settings.put("anchorLnEps", Float.toString(lnEps));
    settings.put("scoreScale", Double.toString(scoreScale));
    return Artifacts.export(kind(), base.name(), baseSha256, maxLength, views, viewIds, settings, training,
        trainable(), half, this::isEncoderParameter);
  }

  @Override
  public void restore(Map<String, float[]> values) {
    Artifacts.restore(trainable(), values);
  }

  @Override
  public void close() {
    manager.close();
    bert.close();
    tokenizer.close();
  }
}
