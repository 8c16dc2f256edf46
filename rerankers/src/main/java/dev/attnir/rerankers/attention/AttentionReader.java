package dev.attnir.rerankers.attention;

import java.util.List;

/**
 * A transformer read over a packed context (a query and an ordered list of passages) in one forward pass, reporting
 * how much attention the query side pays to every passage token: what attention reranking (ICR), attention sorting
 * and AttnRank's slot profiles are computed from. Implementations: {@link EncoderReader} (BERT-style ONNX encoders)
 * and {@link DecoderReader} (causal LMs in ONNX); {@link AttentionReaders#open} opens either by name or directory.
 */
public interface AttentionReader extends AutoCloseable {

  /** Which tokens' attention rows are read. */
  enum Focus {
    /** Averaged over the query's tokens (ICR's default aggregation). */
    QUERY,
    /** The last token of the query only (ICR's "no aggregation" ablation; attention sorting's reading). */
    LAST_QUERY_TOKEN
  }

  /** Name for reports and run tags. */
  String name();

  /**
   * What determines the attention this reader reports (model weights, positions, layers, packing): a profile
   * calibrated with one reader is refused for a reader with another identity.
   */
  String identity();

  /**
   * Reads each context; one result per context, in order. Contexts are independent (batched where it pays).
   *
   * @throws IllegalArgumentException when a context cannot be read (no passage, or too many passages for the
   *     reader's positions to give each at least one token), naming it
   */
  List<ContextAttention> read(List<Context> contexts, Focus focus);

  /**
   * One context: the query and the passages in the order they are placed (slot 0 first).
   *
   * @param layoutQuery null, or another query the passages must also fit beside: they get the room left by the
   *     longer of {@code query} and {@code layoutQuery}, so two reads laid out for each other's query see the same
   *     passage tokens, as ICR's calibration needs
   */
  record Context(String query, List<String> passages, String layoutQuery) {
    public Context {
      passages = List.copyOf(passages);
      if (passages.isEmpty()) {
        throw new IllegalArgumentException("a context needs at least one passage");
      }
    }

    /** A context cut for its own query. */
    public Context(String query, List<String> passages) {
      this(query, passages, null);
    }
  }

  @Override
  void close();
}
