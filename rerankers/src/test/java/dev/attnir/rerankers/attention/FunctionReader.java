package dev.attnir.rerankers.attention;

import java.util.ArrayList;
import java.util.List;

/** A reader whose per-token attention is a given function of the context and the slot: the tests' fake reader. */
final class FunctionReader implements AttentionReader {

  /** The attention of each token of {@code slot} in {@code context}. */
  @FunctionalInterface
  interface SlotAttention {
    float[] tokens(Context context, int slot);
  }

  private final String identity;
  private final SlotAttention attention;
  /** Every context read, in order. */
  final List<Context> reads = new ArrayList<>();

  FunctionReader(String identity, SlotAttention attention) {
    this.identity = identity;
    this.attention = attention;
  }

  @Override
  public String name() {
    return identity;
  }

  @Override
  public String identity() {
    return identity;
  }

  @Override
  public List<ContextAttention> read(List<Context> contexts, Focus focus) {
    List<ContextAttention> out = new ArrayList<>();
    for (Context c : contexts) {
      reads.add(c);
      List<float[]> slots = new ArrayList<>();
      for (int s = 0; s < c.passages().size(); s++) {
        slots.add(attention.tokens(c, s));
      }
      out.add(new ContextAttention(slots, false));
    }
    return out;
  }

  @Override
  public void close() {}
}
