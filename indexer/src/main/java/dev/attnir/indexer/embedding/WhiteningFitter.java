package dev.attnir.indexer.embedding;

import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.pooling.WhiteningAccumulator;
import dev.attnir.encoders.pooling.WhiteningPooling;
import dev.attnir.encoders.pooling.WhiteningTransform;
import dev.attnir.indexer.Passage;
import dev.attnir.indexer.PassageSplitter;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Fits a whitening transform on a corpus: a seeded uniform sample of its passages (reservoir sampling, so the corpus
 * is read once in constant memory) is embedded with the base pooling, unnormalised and with the passage prefix, and
 * the mean and covariance are accumulated in a streaming pass.
 */
public final class WhiteningFitter {

  private WhiteningFitter() {}

  /**
   * @param corpus a fresh pass over the corpus per call (it is read once)
   * @param sampleSize passages to fit on (all, when the corpus has fewer)
   * @param dims output dimensions
   * @param seed sampling seed
   */
  public static WhiteningPooling fit(Supplier<Stream<Document>> corpus, PassageSplitter splitter,
      OnnxEncoder encoder, Pooling base, int sampleSize, int dims, double epsilon, long seed,
      ProgressListener progress) {
    if (sampleSize < 1) {
      throw new IllegalArgumentException("whitening sample must be >= 1 passage, got " + sampleSize);
    }
    List<String> sample = reservoir(corpus, splitter, sampleSize, seed);
    progress.expect(sample.size());
    float[][] raw = Embedder.raw(encoder, base).embedPassages(sample, progress);
    WhiteningAccumulator acc = new WhiteningAccumulator(base.dimension(encoder.hiddenSize()));
    for (float[] v : raw) {
      acc.add(v);
    }
    return new WhiteningPooling(base, WhiteningTransform.fit(acc, dims, epsilon, encoder.spec().name(),
        encoder.fingerprint()));
  }

  /** A seeded uniform sample of the corpus's passage contents, in corpus order. */
  static List<String> reservoir(Supplier<Stream<Document>> corpus, PassageSplitter splitter, int size, long seed) {
    Reservoir<String> reservoir = new Reservoir<>(size, seed);
    try (Stream<Document> docs = corpus.get()) {
      docs.forEach(d -> {
        for (Passage p : splitter.split(d)) {
          reservoir.offer(p.contents());
        }
      });
    }
    return reservoir.sample();
  }
}
