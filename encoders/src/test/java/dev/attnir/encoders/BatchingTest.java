package dev.attnir.encoders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.pooling.ClsPooling;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BatchingTest {

  @Test
  void batchesCoverEveryRowOnceWithinBudgetLongestFirst() throws Exception {
    ModelSpec spec = ModelRegistry.resolve("bge-small-en-v1.5");
    EncoderOptions opts = EncoderOptions.defaults().withMaxBatchTokens(300).withMaxBatchSize(7);
    try (OnnxEncoder enc = OnnxEncoder.load(spec, opts)) {
      Random r = new Random(42);
      List<String> texts = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(120);
        for (int w = 0; w < n; w++) {
          sb.append("w").append(r.nextInt(50)).append(' ');
        }
        texts.add(sb.toString());
      }
      List<TokenizedText> tokens = enc.tokenizer().encodeAll(texts);
      List<Batch> batches = enc.planBatches(tokens);
      BitSet seen = new BitSet();
      int previousLongest = Integer.MAX_VALUE;
      for (Batch b : batches) {
        assertTrue(b.size() <= 7);
        assertTrue(b.size() == 1 || (long) b.size() * b.seqLen() <= 300, "budget exceeded");
        assertTrue(b.seqLen() <= previousLongest, "longest first");
        previousLongest = b.seqLen();
        for (int i = 0; i < b.size(); i++) {
          assertTrue(!seen.get(b.rows()[i]), "row twice");
          seen.set(b.rows()[i]);
          assertEquals(tokens.get(b.rows()[i]).length(), b.lengths()[i]);
        }
      }
      assertEquals(200, seen.cardinality());
    }
  }

  @Test
  void embeddingOfATextDoesNotDependOnItsBatch() {
    ModelSpec spec = ModelRegistry.resolve("bge-small-en-v1.5");
    List<String> texts = List.of("alpha beta gamma", "a much longer text that forces padding of the short one "
        + "in the same batch because it has many more tokens", "delta");
    try (Embedder together = Embedder.load(spec, new ClsPooling(), EncoderOptions.defaults())) {
      float[][] batched = together.embedPassages(texts, ProgressListener.none());
      for (int i = 0; i < texts.size(); i++) {
        float[] alone = together.embedPassages(List.of(texts.get(i)), ProgressListener.none())[0];
        for (int k = 0; k < alone.length; k++) {
          assertEquals(alone[k], batched[i][k], 1e-5, "text " + i + " dim " + k);
        }
      }
      assertEquals(3, together.lastReport().texts() + 2);
    }
  }

  @Test
  void concurrentRunsGiveTheSameVectorsInTheSameRows() {
    ModelSpec spec = ModelRegistry.resolve("all-MiniLM-L6-v2");
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      texts.add("text number " + i + " " + "word ".repeat(i % 17));
    }
    EncoderOptions small = EncoderOptions.defaults().withMaxBatchTokens(128).withMaxBatchSize(4);
    float[][] sequential;
    float[][] concurrent;
    try (Embedder e = Embedder.load(spec, small.withIntraOpThreads(2))) {
      sequential = e.embedPassages(texts, ProgressListener.none());
    }
    try (Embedder e = Embedder.load(spec, small.withConcurrency(2, 1))) {
      concurrent = e.embedPassages(texts, ProgressListener.none());
      assertTrue(e.lastReport().batches() > 10, "many batches in flight");
    }
    for (int i = 0; i < texts.size(); i++) {
      for (int k = 0; k < sequential[i].length; k++) {
        assertEquals(sequential[i][k], concurrent[i][k], 1e-5, "text " + i);
      }
    }
  }
}
