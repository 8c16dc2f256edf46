package dev.attnir.indexer.search;

import java.util.PriorityQueue;

/**
 * The {@code k} best of a stream of scored passages, for exact (brute-force) vector search. Ties at the cut keep the
 * lower passage number (index order), so exact search is deterministic whichever backend runs it.
 */
final class ExactTopK {

  /** A scored passage: its number in the backend (Lucene doc id, or list position) and its raw similarity. */
  record Scored(int doc, float score) {}

  private final int k;
  private final PriorityQueue<Scored> heap;

  ExactTopK(int k) {
    this.k = k;
    // worst first: lowest score, and among equal scores the highest doc (it loses the tie)
    this.heap = new PriorityQueue<>(k + 1,
        (a, b) -> a.score != b.score ? Float.compare(a.score, b.score) : Integer.compare(b.doc, a.doc));
  }

  void offer(int doc, float score) {
    if (heap.size() < k) {
      heap.add(new Scored(doc, score));
      return;
    }
    Scored worst = heap.peek();
    if (score > worst.score || (score == worst.score && doc < worst.doc)) {
      heap.poll();
      heap.add(new Scored(doc, score));
    }
  }

  /** The kept passages, best first. */
  Scored[] best() {
    Scored[] out = new Scored[heap.size()];
    for (int i = out.length - 1; i >= 0; i--) {
      out[i] = heap.poll();
    }
    return out;
  }
}
