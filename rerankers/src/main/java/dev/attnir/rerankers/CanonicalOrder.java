package dev.attnir.rerankers;

import dev.attnir.core.Candidate;
import dev.attnir.encoders.TokenizedText;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The order pairs go to the encoder in: longest first, then by text, then by document id. It depends only on the
 * candidates as a set, so the batches (and the padded shapes ONNX Runtime sees) and any sum over candidates are the
 * same whatever order the candidates arrive in: a reranker's scores do not depend on candidate order, to the bit.
 */
public final class CanonicalOrder {

  private CanonicalOrder() {}

  /**
   * Candidate indices in canonical order.
   *
   * @param tokens each candidate's tokenized pair, in candidate order
   */
  public static Integer[] of(List<TokenizedText> tokens, List<Candidate> candidates) {
    Integer[] order = new Integer[candidates.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.<Integer>comparingInt(i -> -tokens.get(i).length())
        .thenComparing(i -> candidates.get(i).text())
        .thenComparing(i -> candidates.get(i).docId()));
    return order;
  }
}
