package dev.attnir.rerankers.attention;

import dev.attnir.core.Candidate;
import dev.attnir.core.Ranking;
import dev.attnir.core.Reranker;
import dev.attnir.core.ScoredDoc;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * In-context reranking (ICR), after Chen et al., "Attention in Large Language Models Yields Efficient Zero-Shot
 * Re-Rankers" (ICLR 2025), following the official code (OSU-NLP-Group/In-Context-Reranking,
 * {@code src/in_context_reranker.py}, strategy {@code masked_NA_calibration}).
 *
 * <p>A document's score is the attention its tokens receive from the query (averaged over query tokens, summed over
 * all layers and heads), calibrated by a second read of the same context with the content-free query {@code "N/A"}:
 * per token, c = s(query) − s(N/A); tokens with c ≤ mean(c) − 2·std(c) (over the document's tokens, sample standard
 * deviation as {@code torch.std}) are masked; the score is the sum of c over the remaining tokens. Documents are cut
 * to their first {@code maxWords} whitespace-separated words, and by default placed in reverse first-stage order (the
 * first-stage best last, the code's {@code --reverse_doc_order}). Lists longer than the window are reranked with the
 * code's sliding window: windows of {@code window} documents moving from the worst end of the list to the best with
 * stride {@code stride}, each window sorted by its scores, so good documents are carried forward.
 *
 * <p>Ablations: {@code calibrate=false} (the code's {@code query_last}: raw attention sums), {@code mask=false}
 * (calibrated without masking: the code's {@code NA_calibration_no_agg}, the document's query-read sum minus its
 * "N/A"-read sum), and {@link AttentionReader.Focus#LAST_QUERY_TOKEN} (the last query token's attention only).
 *
 * <p>Deviations: with an {@link EncoderReader} (the encoders we ship) there is no prompt with instructions and
 * {@code [i]} markers: it packs {@code [CLS] query [SEP] p1 [SEP] ...} with the query first (its attention is
 * bidirectional), and the calibration pass is a second full read (an encoder has no key/value cache to share), with the
 * passages cut exactly as next to the real query. A {@link DecoderReader} uses the paper's prompt with {@code [i]}
 * markers and, over a graph with a cache, runs the shared prompt prefix once for both reads. Ties in a window's sort
 * keep the prompt order (the code's {@code torch.sort} leaves them unspecified). The output scores are synthetic (list
 * length minus position): only the order is meaningful, because scores from different windows are not comparable.
 */
public final class InContextReranker implements Reranker, AutoCloseable {

  /** Settings; see the class comment. */
  public record Settings(boolean calibrate, AttentionReader.Focus focus, boolean reverseOrder, int maxWords,
      int window, int stride, boolean mask) {

    /** Settings with the recipe's masking of calibrated tokens. */
    public Settings(boolean calibrate, AttentionReader.Focus focus, boolean reverseOrder, int maxWords, int window,
        int stride) {
      this(calibrate, focus, reverseOrder, maxWords, window, stride, true);
    }

    public Settings {
      if (window < 1) {
        throw new IllegalArgumentException("ICR window must be at least 1 document, got " + window);
      }
      if (stride < 1 || stride > window) {
        throw new IllegalArgumentException("ICR stride must be in [1, window=" + window + "], got " + stride);
      }
      if (maxWords < 1) {
        throw new IllegalArgumentException("ICR max-words must be positive, got " + maxWords);
      }
    }

    /** The paper's recipe with a window of {@code window} documents and half of it as stride. */
    public static Settings recipe(int window) {
      return new Settings(true, AttentionReader.Focus.QUERY, true, 300, window, Math.max(1, window / 2));
    }
  }

  /** The content-free calibration query of the paper. */
  public static final String CALIBRATION_QUERY = "N/A";

  private final AttentionReader reader;
  private final Settings settings;
  private final String name;
  private final boolean ownsReader;

  /** ICR over {@code reader}; closing the reranker closes the reader when {@code ownsReader}. */
  public InContextReranker(AttentionReader reader, Settings settings, String name, boolean ownsReader) {
    this.reader = reader;
    this.settings = settings;
    this.name = name;
    this.ownsReader = ownsReader;
  }

  @Override
  public void close() {
    if (ownsReader) {
      reader.close();
    }
  }

  /** True: passages are read together, and windows slide over the list. */
  @Override
  public boolean scoresDependOnTheList() {
    return true;
  }

  @Override
  public String name() {
    return name;
  }

  /** The settings. */
  public Settings settings() {
    return settings;
  }

  @Override
  public Ranking rerank(String query, List<Candidate> candidates) {
    int n = candidates.size();
    if (n == 0) {
      return Ranking.empty();
    }
    List<String> texts = new ArrayList<>(n);
    for (Candidate c : candidates) {
      texts.add(firstWords(c.text(), settings.maxWords()));
    }
    // order[0] is the worst: windows move from the worst end to the best, as the official code does
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = n - 1 - i;
    }
    int from = 0;
    int to = Math.min(settings.window(), n);
    while (true) {
      int[] ids = Arrays.copyOfRange(order, from, to); // worse to better
      if (!settings.reverseOrder()) {
        reverse(ids); // best first in the context
      }
      List<String> passages = new ArrayList<>(ids.length);
      for (int id : ids) {
        passages.add(texts.get(id));
      }
      double[] scores = score(query, passages);
      Integer[] byScore = new Integer[ids.length];
      for (int i = 0; i < byScore.length; i++) {
        byScore[i] = i;
      }
      Arrays.sort(byScore, (a, b) -> Double.compare(scores[a], scores[b])); // ascending, stable
      for (int t = 0; t < ids.length; t++) {
        order[from + t] = ids[byScore[t]];
      }
      if (to >= n) {
        break;
      }
      from += settings.stride();
      to = Math.min(to + settings.stride(), n);
    }
    List<ScoredDoc> docs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Candidate c = candidates.get(order[n - 1 - i]);
      docs.add(c.scored(n - i));
    }
    return new Ranking(docs);
  }

  /** ICR scores of passages read in the given order. */
  double[] score(String query, List<String> passages) {
    List<AttentionReader.Context> contexts = new ArrayList<>(2);
    if (settings.calibrate()) {
      // each read is laid out for the other's query too (a reader cuts for the longer of the two), so both see the
      // same passage tokens whichever query is longer: a one-word query is shorter than "N/A"
      contexts.add(new AttentionReader.Context(query, passages, CALIBRATION_QUERY));
      contexts.add(new AttentionReader.Context(CALIBRATION_QUERY, passages, query));
    } else {
      contexts.add(new AttentionReader.Context(query, passages));
    }
    List<ContextAttention> read = reader.read(contexts, settings.focus());
    double[] scores = new double[passages.size()];
    for (int d = 0; d < scores.length; d++) {
      float[] withQuery = read.get(0).tokens().get(d);
      scores[d] = settings.calibrate() ? calibratedScore(withQuery, read.get(1).tokens().get(d), settings.mask())
          : sum(withQuery);
    }
    return scores;
  }

  /**
   * ICR's masked calibrated score of one document: c = q − na per token; tokens with c ≤ mean − 2·std (sample std)
   * are dropped (when {@code mask}); the sum of the rest. A document of one token is not masked (its std is
   * undefined).
   */
  static double calibratedScore(float[] query, float[] na, boolean mask) {
    if (query.length != na.length) {
      throw new IllegalStateException("the query and calibration reads kept different token counts for a document ("
          + query.length + " vs " + na.length + ")");
    }
    int n = query.length;
    double[] c = new double[n];
    double total = 0;
    for (int t = 0; t < n; t++) {
      c[t] = (double) query[t] - na[t];
      total += c[t];
    }
    if (!mask || n <= 1) {
      return total;
    }
    double mean = total / n;
    double ss = 0;
    for (double v : c) {
      ss += (v - mean) * (v - mean);
    }
    double threshold = mean - 2 * Math.sqrt(ss / (n - 1));
    double score = 0;
    for (double v : c) {
      if (v > threshold) {
        score += v;
      }
    }
    return score;
  }

  private static double sum(float[] v) {
    double s = 0;
    for (float x : v) {
      s += x;
    }
    return s;
  }

  private static void reverse(int[] a) {
    for (int i = 0, j = a.length - 1; i < j; i++, j--) {
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** The first {@code max} whitespace-separated words of {@code text}, joined by single spaces when cut. */
  static String firstWords(String text, int max) {
    String[] words = text.strip().split("\\s+");
    if (words.length <= max) {
      return text;
    }
    return String.join(" ", Arrays.copyOf(words, max));
  }
}
