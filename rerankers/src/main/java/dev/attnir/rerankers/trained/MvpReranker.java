package dev.attnir.rerankers.trained;

import dev.attnir.core.Candidate;
import dev.attnir.core.ProgressListener;
import dev.attnir.core.Ranking;
import dev.attnir.rerankers.CanonicalOrder;
import dev.attnir.core.Reranker;
import dev.attnir.core.ScoredDoc;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.PrimaryOutput;
import dev.attnir.encoders.TensorRequest;
import dev.attnir.encoders.TextTokenizer;
import dev.attnir.encoders.TokenizedText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The multi-view reranker (MVP): Na et al., "Multi-View-guided Passage Reranking with Large Language Models",
 * EMNLP 2025 (official code: github.com/bulbna/MVP). Each candidate is encoded on its own with {@code m} view tokens
 * placed before the query, {@code [CLS] v_0 .. v_{m-1} query [SEP] passage [SEP]} ({@link ViewTokens}); the encoder's
 * output at view token {@code k} is the candidate's view embedding {@code e_ik} (d wide). Per view, an anchor
 * {@code a_k} is computed from all the query's candidates' view embeddings ({@link MvpAnchor}), and a candidate scores
 * <pre>
 *   s_i = scoreScale · (1/m) Σ_k &lt;a_k, e_ik&gt;
 * </pre>
 * so candidates are compared through a query-specific reference (listwise through the anchor, pointwise in
 * encoding: the encoder cost is linear in the candidates and independent of their order).
 *
 * <p>Deviations from the paper and its code: a BERT encoder (the base model of the artifact, e.g. all-MiniLM-L6-v2)
 * instead of T5; a single cross-attention block with a learned start vector ({@code anchor=learned}) or the mean of
 * the view embeddings ({@code anchor=mean}) instead of the T5 decoder's first step producing the anchor; the view
 * tokens are BERT's reserved {@code [unusedK]} tokens instead of added T5 tokens; scores are scaled by
 * {@code scoreScale} (default {@code 1/sqrt(d)}), which does not change the order. Pairs are truncated passage first
 * to the artifact's max length (views included).
 *
 * <p>Order independence: the tokenized inputs are put in the canonical order of {@code CrossEncoderReranker}
 * (longest first, then text, then document id) before the encoder batches them, so the batches and their padded shapes
 * do not depend on the order candidates arrive in, and the anchors and scores are computed in double precision
 * iterating in that order: a candidate's score does not depend on the candidate order, to the bit. Ties are broken by
 * {@link Ranking#byScore}.
 */
public final class MvpReranker implements Reranker, AutoCloseable {

  private final OnnxEncoder encoder;
  private final TextTokenizer pairTokenizer;
  private final long[] viewIds;
  private final MvpAnchor anchor;
  private final double scoreScale;
  private final String name;

  /**
   * @param encoder a loaded encoder with primary output {@code last_hidden_state} of width {@code anchor}'s hidden
   *     size, whose max length admits the pairs with their views; owned by this reranker from now on
   * @param pairTokenizer the base model's tokenizer with max length {@code maxLength - m}; owned from now on
   * @param viewIds the view token ids, in view order ({@code m >= 1})
   * @param scoreScale the factor on every score
   * @param name the reranker's name in run tags
   * @throws IllegalArgumentException when the encoder is not such an encoder
   */
  public MvpReranker(OnnxEncoder encoder, TextTokenizer pairTokenizer, long[] viewIds, MvpAnchor anchor,
      double scoreScale, String name) {
    this.encoder = Objects.requireNonNull(encoder, "encoder");
    this.pairTokenizer = Objects.requireNonNull(pairTokenizer, "pairTokenizer");
    this.viewIds = viewIds.clone();
    this.anchor = Objects.requireNonNull(anchor, "anchor");
    this.scoreScale = scoreScale;
    this.name = Objects.requireNonNull(name, "name");
    PrimaryOutput out = encoder.primaryOutput();
    if (out.kind() != PrimaryOutput.Kind.TOKEN_STATES || out.width() != anchor.hiddenSize()) {
      throw new IllegalArgumentException("model " + encoder.spec().source().describe() + " outputs "
          + out.describe() + "; the multi-view reranker needs last_hidden_state of width " + anchor.hiddenSize());
    }
    if (viewIds.length < 1) {
      throw new IllegalArgumentException("the multi-view reranker needs at least one view token");
    }
    if (pairTokenizer.maxLength() + viewIds.length > encoder.spec().maxLength()) {
      throw new IllegalArgumentException("pair tokenizer max length " + pairTokenizer.maxLength() + " plus "
          + viewIds.length + " views exceeds the encoder's max length " + encoder.spec().maxLength());
    }
  }

  /** True: the anchors are computed from every candidate of the list. */
  @Override
  public boolean scoresDependOnTheList() {
    return true;
  }

  @Override
  public String name() {
    return name;
  }

  /** The encoder the inputs run through. */
  public OnnxEncoder encoder() {
    return encoder;
  }

  /** The number of views m. */
  public int views() {
    return viewIds.length;
  }

  /**
   * The pair tokenizer ({@code m} tokens shorter than the encoder's max length; the views go in with
   * {@link ViewTokens#encode}). For harnesses that tokenize outside a timed region; owned by this reranker.
   */
  public TextTokenizer pairTokenizer() {
    return pairTokenizer;
  }

  /** The view token ids, in view order (a copy). */
  public long[] viewIds() {
    return viewIds.clone();
  }

  @Override
  public Ranking rerank(String query, List<Candidate> candidates) {
    double[] scores = scores(query, candidates);
    List<ScoredDoc> docs = new ArrayList<>(candidates.size());
    for (int i = 0; i < candidates.size(); i++) {
      docs.add(candidates.get(i).scored(scores[i]));
    }
    return Ranking.byScore(docs, docs.size());
  }

  /** The score of every candidate, in candidate order. */
  public double[] scores(String query, List<Candidate> candidates) {
    int n = candidates.size();
    if (n == 0) {
      return new double[0];
    }
    List<String> texts = candidates.stream().map(Candidate::text).toList();
    List<TokenizedText> tokens = ViewTokens.encode(pairTokenizer, viewIds, query, texts);
    Integer[] order = CanonicalOrder.of(tokens, candidates);
    List<TokenizedText> sorted = new ArrayList<>(n);
    for (Integer i : order) {
      sorted.add(tokens.get(i));
    }
    int m = viewIds.length;
    int d = anchor.hiddenSize();
    float[][][] views = new float[m][n][]; // [view][canonical position][d]
    encoder.encodeTokenized(sorted, TensorRequest.none(), (rows, out) -> {
      float[] hidden = out.lastHidden();
      for (int b = 0; b < rows.length; b++) {
        for (int k = 0; k < m; k++) {
          int at = out.hiddenOffset(b, ViewTokens.position(k));
          views[k][rows[b]] = Arrays.copyOfRange(hidden, at, at + d);
        }
      }
    }, ProgressListener.none());
    double[] canonicalScores = new double[n];
    for (int k = 0; k < m; k++) {
      double[] a = anchor.anchor(views[k]);
      for (int j = 0; j < n; j++) {
        float[] e = views[k][j];
        double dot = 0;
        for (int x = 0; x < d; x++) {
          dot += a[x] * e[x];
        }
        canonicalScores[j] += dot;
      }
    }
    double[] out = new double[n];
    for (int j = 0; j < n; j++) {
      out[order[j]] = scoreScale * (canonicalScores[j] / m);
    }
    return out;
  }

  @Override
  public void close() {
    try {
      encoder.close();
    } finally {
      pairTokenizer.close();
    }
  }
}
