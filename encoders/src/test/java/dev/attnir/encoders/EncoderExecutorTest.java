package dev.attnir.encoders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.ProgressListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Concurrent runs share one executor owned by the encoder, reused across calls and shut down by close(). */
class EncoderExecutorTest {

  private static List<String> texts(int n) {
    List<String> t = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      t.add("text number " + i + " " + "word ".repeat(i % 7));
    }
    return t;
  }

  private static Set<Thread> encodeRecordingThreads(OnnxEncoder enc, List<String> texts) {
    Set<Thread> threads = ConcurrentHashMap.newKeySet();
    AtomicInteger rows = new AtomicInteger();
    enc.encode(texts, TensorRequest.none(), (r, o) -> {
      threads.add(Thread.currentThread());
      rows.addAndGet(r.length);
    }, ProgressListener.none());
    assertEquals(texts.size(), rows.get());
    return threads;
  }

  @Test
  void oneExecutorServesEveryCallAndCloseStopsItsThreads() throws Exception {
    EncoderOptions options = EncoderOptions.defaults().withMaxBatchSize(2).withConcurrency(2, 1);
    OnnxEncoder enc = OnnxEncoder.load(ModelRegistry.resolve("all-MiniLM-L6-v2"), options);
    Set<Thread> first;
    Set<Thread> all;
    try {
      first = encodeRecordingThreads(enc, texts(20));
      Set<Thread> second = encodeRecordingThreads(enc, texts(16));
      all = ConcurrentHashMap.newKeySet();
      all.addAll(first);
      all.addAll(second);
      assertTrue(all.size() <= 2, "at most concurrentRuns threads over both calls: " + all);
      assertTrue(first.containsAll(second) || second.containsAll(first), "the same threads serve both calls");
      for (Thread t : all) {
        assertTrue(t.getName().matches("attnir-encoder-[12]"), t.getName());
        assertTrue(t.isDaemon(), t.getName() + " is a daemon");
        assertTrue(t.isAlive(), "the executor outlives the call");
      }

      // A consumer that encodes again on the same encoder runs that inner call on its own thread, not waiting on
      // the executor it occupies.
      assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
        AtomicInteger inner = new AtomicInteger();
        enc.encode(texts(6), TensorRequest.none(), (r, o) -> inner.addAndGet(
            encodeRecordingThreads(enc, texts(6)).size()), ProgressListener.none());
        assertTrue(inner.get() > 0);
      });
    } finally {
      enc.close();
    }
    for (Thread t : all) {
      t.join(10_000);
      assertFalse(t.isAlive(), t.getName() + " ended after close()");
    }
    List<TokenizedText> none = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      none.add(new TokenizedText(new long[] {101, 102}, new long[2], false, new int[] {-1, -1}, new int[] {-1, -1},
          new boolean[] {true, true}, List.of(new TokenizedText.Span(1, 1))));
    }
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> enc.encodeTokenized(none, TensorRequest.none(), (r, o) -> { }, ProgressListener.none()));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
  }
}
