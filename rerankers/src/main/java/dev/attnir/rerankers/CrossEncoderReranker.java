package dev.attnir.rerankers;

import dev.attnir.core.Candidate;
import dev.attnir.core.Ranking;
import dev.attnir.core.Reranker;
import dev.attnir.core.ScoredDoc;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.PrimaryOutput;
import dev.attnir.encoders.TokenizedText;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A pointwise cross-encoder reranker: monoBERT, "Passage Re-ranking with BERT" (Nogueira and Cho, 2019,
 * arXiv:1901.04085). Each candidate is scored on its own as {@code [CLS] query [SEP] passage [SEP]} by an ONNX
 * sequence-classification graph (BERT-style inputs, output {@code logits [batch, n]}), and the candidates are sorted by
 * that score.
 *
 * <p>The score of a pair:
 * <ul>
 *   <li>one logit ({@code n = 1}, the sentence-transformers {@code CrossEncoder} export): the logit itself;
 *   <li>two logits ({@code n = 2}, monoBERT's [not relevant, relevant] head): the log-softmax of the positive class
 *       (index 1), {@code l1 - logsumexp(l0, l1) = -log(1 + exp(l0 - l1))}, computed in double precision with
 *       {@code log1p}. monoBERT ranks by the softmax
 *       probability of the positive class; its logarithm orders candidates identically but does not round to 1.0 for
 *       confident pairs, which would turn them into ties.
 * </ul>
 * Other widths are refused when the reranker is made ({@link CrossEncoderRerankerFactory}).
 *
 * <p>Deviations from the paper: the passage is the candidate's indexed text (which carries the title when the index
 * prepends it), truncated to the model's max length by shortening the passage first (the tokenizer's
 * {@code only_second} rule); monoBERT truncated queries to 64 tokens and the pair to 512, which this reranker leaves to
 * the max length. Ties are broken like every ranking here (document id, trec_eval's order, {@link Ranking#BY_SCORE}).
 *
 * <p>Batching: pairs are tokenized, then put in a canonical order (longest first, then by text and document id)
 * before the encoder cuts them into batches bounded by its token budget. Every pair is encoded independently (its own
 * attention mask), and the canonical order makes the batches, and therefore the padded shapes ONNX Runtime sees,
 * independent of the order the candidates arrive in: a candidate's score does not depend on the candidate order, to
 * the bit. Scores are returned to the candidates they belong to.
 */
public final class CrossEncoderReranker implements Reranker, AutoCloseable {

  private final OnnxEncoder encoder;
  private final String name;

  /**
   * @param encoder a loaded scorer (primary output {@code logits [batch, n]} with {@code n} 1 or 2 or symbolic);
   *     owned by this reranker from now on
   * @param name the reranker's name in run tags
   * @throws IllegalArgumentException when the encoder is not such a scorer
   */
  public CrossEncoderReranker(OnnxEncoder encoder, String name) {
    this.encoder = Objects.requireNonNull(encoder, "encoder");
    this.name = Objects.requireNonNull(name, "name");
    PrimaryOutput out = encoder.primaryOutput();
    if (out.kind() != PrimaryOutput.Kind.SEQUENCE_SCORES) {
      throw new IllegalArgumentException("model " + encoder.spec().source().describe() + " outputs "
          + out.describe() + "; a cross-encoder outputs logits [batch, 1] or [batch, 2]");
    }
    if (out.width() > 2 || out.width() == 0) {
      throw new IllegalArgumentException("model " + encoder.spec().source().describe() + " outputs "
          + out.describe() + ": a cross-encoder has 1 logit (the score) or 2 ([not relevant, relevant]), not "
          + out.width());
    }
  }

  @Override
  public String name() {
    return name;
  }

  /** The encoder the pairs run through (its spec holds the max length, its options the token budget). */
  public OnnxEncoder encoder() {
    return encoder;
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

  /** The cross-encoder score of every candidate, in candidate order. */
  public double[] scores(String query, List<Candidate> candidates) {
    if (candidates.isEmpty()) {
      return new double[0];
    }
    List<String> texts = candidates.stream().map(Candidate::text).toList();
    List<TokenizedText> tokens = encoder.tokenizer().encodePairs(Collections.nCopies(texts.size(), query), texts);
    Integer[] order = CanonicalOrder.of(tokens, candidates);
    List<TokenizedText> sorted = new ArrayList<>(order.length);
    for (Integer i : order) {
      sorted.add(tokens.get(i));
    }
    float[][] logits = encoder.score(sorted);
    double[] out = new double[candidates.size()];
    for (int k = 0; k < order.length; k++) {
      out[order[k]] = score(logits[k]);
    }
    return out;
  }

  /** One pair's score from its logits (see the class comment). */
  static double score(float[] logits) {
    if (logits.length == 1) {
      return logits[0];
    }
    if (logits.length == 2) {
      // log softmax_1 = -log(1 + exp(l0 - l1)), written so neither exp overflows nor 1 + tiny rounds to 1
      double d = (double) logits[0] - logits[1];
      return d > 0 ? -(d + Math.log1p(Math.exp(-d))) : -Math.log1p(Math.exp(d));
    }
    throw new IllegalStateException("a cross-encoder returned " + logits.length
        + " logits for a pair; expected 1 or 2");
  }

  @Override
  public void close() {
    encoder.close();
  }
}
