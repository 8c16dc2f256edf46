package dev.attnir.indexer.embedding;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A seeded uniform sample of a stream (Vitter's Algorithm R). Index builds and the pooling comparison both sample
 * passages with it, in corpus order and with the same seed, so they fit whitening on the same passages.
 */
public final class Reservoir<T> {

  private final int size;
  private final Random random;
  private final List<T> items;
  private long seen;

  public Reservoir(int size, long seed) {
    if (size < 1) {
      throw new IllegalArgumentException("sample size must be >= 1, got " + size);
    }
    this.size = size;
    this.random = new Random(seed);
    this.items = new ArrayList<>(Math.min(size, 1 << 16));
  }

  /** Offers the next item of the stream. */
  public void offer(T item) {
    seen++;
    if (items.size() < size) {
      items.add(item);
    } else {
      long j = (long) (random.nextDouble() * seen);
      if (j < size) {
        items.set((int) j, item);
      }
    }
  }

  /** The sample (all items when the stream was shorter than the sample size). */
  public List<T> sample() {
    return items;
  }
}
