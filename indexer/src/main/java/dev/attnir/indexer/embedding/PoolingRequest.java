package dev.attnir.indexer.embedding;

import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import dev.attnir.encoders.EmbeddingIdentity;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.StatefulPooling;
import dev.attnir.encoders.pooling.Poolings;
import dev.attnir.encoders.pooling.TrainedHeadPooling;
import dev.attnir.encoders.pooling.WhiteningTransform;
import dev.attnir.indexer.PassageSplitter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The pooling a user asked for, before anything is fitted: a pooling name with, for {@code whiten}, the base pooling,
 * output dimensions, sample size, epsilon and seed, and for {@code trained}, the head file.
 *
 * @param name pooling name (null: the model's default)
 * @param whitenBase base pooling of {@code whiten} (null: the model's default)
 * @param whitenDims output dimensions of {@code whiten} (null: the base's)
 * @param whitenSample passages to fit {@code whiten} on
 * @param whitenEpsilon relative guard on small singular values
 * @param seed sampling seed
 * @param head trained head file for {@code trained}
 */
public record PoolingRequest(String name, String whitenBase, Integer whitenDims, int whitenSample,
    double whitenEpsilon, long seed, Path head) {

  /** The model's own pooling. */
  public static PoolingRequest modelDefault() {
    return new PoolingRequest(null, null, null, 20_000, WhiteningTransform.DEFAULT_EPSILON, 1, null);
  }

  /** A named stateless pooling. */
  public static PoolingRequest named(String name) {
    return new PoolingRequest(name, null, null, 20_000, WhiteningTransform.DEFAULT_EPSILON, 1, null);
  }

  /** Whether building this pooling needs a pass over the corpus. */
  public boolean needsCorpus() {
    return "whiten".equals(name);
  }

  /**
   * Creates the pooling for an encoder; {@code whiten} is fitted on the corpus here.
   *
   * @param corpus a pass over the corpus to fit on (only read for {@code whiten}; may be null otherwise)
   */
  public Pooling create(OnnxEncoder encoder, Supplier<Stream<Document>> corpus, PassageSplitter splitter,
      ProgressListener progress) {
    ModelSpec spec = encoder.spec();
    String n = name == null ? spec.pooling() : name;
    if (n.equals("whiten")) {
      Objects.requireNonNull(corpus, "whitening needs a corpus to fit on");
      Pooling base = Poolings.parse(whitenBase == null ? spec.pooling() : whitenBase, spec);
      int dims = whitenDims == null ? base.dimension(encoder.hiddenSize()) : whitenDims;
      return WhiteningFitter.fit(corpus, splitter, encoder, base, whitenSample, dims, whitenEpsilon, seed, progress);
    }
    if (n.equals("trained")) {
      if (head == null) {
        throw new IllegalArgumentException("pooling 'trained' needs --pooling-head <file> (written by train-pooling)");
      }
      try {
        return TrainedHeadPooling.fromState(Files.readAllBytes(head));
      } catch (java.nio.file.NoSuchFileException e) {
        throw new IllegalArgumentException("pooling head " + head + ": file not found", e);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("pooling head " + head + ": " + e.getMessage(), e);
      }
    }
    return Poolings.parse(n, spec);
  }

  /**
   * Whether an index built with {@code recorded} used the pooling this request describes. For {@code whiten} the
   * fitted state is not compared (it comes from the corpus), only how it was asked for.
   */
  public boolean matches(EmbeddingIdentity recorded, OnnxEncoder encoder) {
    String n = name == null ? encoder.spec().pooling() : name;
    if (!recorded.pooling().equals(n)) {
      return false;
    }
    Map<String, String> p = recorded.poolingParameters();
    if (n.equals("whiten")) {
      Pooling base = Poolings.parse(whitenBase == null ? encoder.spec().pooling() : whitenBase, encoder.spec());
      int dims = whitenDims == null ? base.dimension(encoder.hiddenSize()) : whitenDims;
      boolean baseMatches = base.name().equals(p.get("base"));
      for (var e : base.parameters().entrySet()) {
        baseMatches &= e.getValue().equals(p.get("base." + e.getKey()));
      }
      long fitted = Long.parseLong(p.getOrDefault("fit_vectors", "-1"));
      return baseMatches && Integer.toString(dims).equals(p.get("dims")) && fitted > 0 && fitted <= whitenSample
          && String.format(java.util.Locale.ROOT, "%g", whitenEpsilon).equals(p.get("epsilon"));
    }
    if (n.equals("trained")) {
      if (head == null) {
        return false;
      }
      try {
        return dev.attnir.encoders.Digests.sha256(Files.readAllBytes(head))
            .equals(p.get(StatefulPooling.STATE_SHA256));
      } catch (IOException e) {
        return false;
      }
    }
    return Poolings.parse(n, encoder.spec()).parameters().equals(p);
  }
}
