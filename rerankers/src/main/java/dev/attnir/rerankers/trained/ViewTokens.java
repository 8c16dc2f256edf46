package dev.attnir.rerankers.trained;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.encoders.TextTokenizer;
import dev.attnir.encoders.TokenizedText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The input of the multi-view reranker (MVP): {@code [CLS] v_0 .. v_{m-1} query [SEP] passage [SEP]}, the pair
 * template with {@code m} view tokens right after the first token, so every view sits at a fixed position
 * ({@code 1 + k}) whatever the query. The pair is tokenized {@code m} tokens shorter than the model's length (the
 * passage is cut first), so with the views it fills the same length. View tokens have the query's type id and count
 * as special tokens; segments move with the tokens.
 *
 * <p>The view tokens are BERT's reserved {@code [unused0] .. [unused{m-1}]}, looked up in the tokenizer's vocabulary
 * (they exist in every BERT-uncased vocabulary and are never produced from text).
 */
public final class ViewTokens {

  private ViewTokens() {}

  /** Position of view {@code k} in a sequence. */
  public static int position(int k) {
    return 1 + k;
  }

  /**
   * The ids of {@code [unused0] .. [unused{m-1}]} in a {@code tokenizer.json}'s vocabulary.
   *
   * @throws IllegalArgumentException when the vocabulary lacks one of them
   */
  public static long[] unusedIds(byte[] tokenizerJson, int m) {
    JsonNode vocab;
    try {
      vocab = new ObjectMapper().readTree(tokenizerJson).path("model").path("vocab");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read tokenizer.json", e);
    }
    long[] ids = new long[m];
    for (int k = 0; k < m; k++) {
      JsonNode id = vocab.get("[unused" + k + "]");
      if (id == null || !id.canConvertToLong()) {
        throw new IllegalArgumentException("the tokenizer's vocabulary has no [unused" + k + "] token for view " + k
            + "; MVP needs " + m + " reserved tokens");
      }
      ids[k] = id.asLong();
    }
    return ids;
  }

  /**
   * Tokenizes {@code (query, passage_i)} pairs with the views inserted.
   *
   * @param tokenizer a tokenizer whose max length is the model's length minus {@code viewIds.length}
   */
  public static List<TokenizedText> encode(TextTokenizer tokenizer, long[] viewIds, String query,
      List<String> passages) {
    List<TokenizedText> pairs = tokenizer.encodePairs(Collections.nCopies(passages.size(), query), passages);
    List<TokenizedText> out = new ArrayList<>(pairs.size());
    for (TokenizedText t : pairs) {
      out.add(insert(t, viewIds));
    }
    return out;
  }

  /** {@code t} with {@code viewIds} inserted after its first token. */
  public static TokenizedText insert(TokenizedText t, long[] viewIds) {
    int m = viewIds.length;
    int n = t.length();
    if (n == 0) {
      throw new IllegalArgumentException("cannot insert views into an empty sequence");
    }
    long[] ids = new long[n + m];
    long[] types = new long[n + m];
    int[] starts = new int[n + m];
    int[] ends = new int[n + m];
    boolean[] special = new boolean[n + m];
    ids[0] = t.ids()[0];
    types[0] = t.typeIds()[0];
    special[0] = t.specialTokens()[0];
    for (int k = 0; k < m; k++) {
      ids[1 + k] = viewIds[k];
      types[1 + k] = t.typeIds()[0];
      special[1 + k] = true;
    }
    System.arraycopy(t.ids(), 1, ids, 1 + m, n - 1);
    System.arraycopy(t.typeIds(), 1, types, 1 + m, n - 1);
    System.arraycopy(t.charStarts(), 1, starts, 1 + m, n - 1);
    System.arraycopy(t.charEnds(), 1, ends, 1 + m, n - 1);
    System.arraycopy(t.specialTokens(), 1, special, 1 + m, n - 1);
    List<TokenizedText.Span> segments = new ArrayList<>();
    for (TokenizedText.Span s : t.segments()) {
      segments.add(s.start() == 0 && s.end() == 0 ? s
          : new TokenizedText.Span(s.start() + (s.start() >= 1 ? m : 0), s.end() + m));
    }
    return new TokenizedText(ids, types, t.truncated(), starts, ends, special, segments);
  }
}
