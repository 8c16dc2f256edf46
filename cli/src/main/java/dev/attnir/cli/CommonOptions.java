package dev.attnir.cli;

import dev.attnir.core.Reranker;
import dev.attnir.core.Rerankers;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.cache.EmbeddingCache;
import dev.attnir.eval.data.CorpusReader;
import dev.attnir.eval.metrics.Evaluator;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * Option blocks that several commands share, as picocli mixins, so each option is spelled, described and parsed once.
 */
final class CommonOptions {

  private CommonOptions() {}

  /** {@code --cache}: the embedding cache of the experiment commands. */
  static final class Cache {
    @Option(names = "--cache", paramLabel = "DIR", defaultValue = "runs/cache",
        description = "Embedding cache directory (vectors keyed by model, pooling and text). Default: ${DEFAULT-VALUE}.")
    Path dir;

    EmbeddingCache open() {
      return new EmbeddingCache(dir);
    }
  }

  /** {@code --threads} for commands that encode corpora (two encoder runs share the cores unless it is given). */
  static final class EncoderThreads implements OptionChecks.Checked {
    @Option(names = "--threads", paramLabel = "N",
        description = "ONNX Runtime threads, all in one run at a time. Default: two concurrent runs sharing the cores.")
    Integer threads;

    @Override
    public void checkOptions() {
      if (threads != null) {
        OptionChecks.atLeast("--threads", threads, 1);
      }
    }

    EncoderOptions apply(EncoderOptions base) {
      return threads == null ? base : base.withIntraOpThreads(threads);
    }
  }

  /** {@code --no-verify}: skip checking the index files' checksums when an index is opened for searching. */
  static final class Verify {
    @Option(names = "--no-verify",
        description = "Do not verify the checksum of every index file on open (verification reads the whole index "
            + "once; without it a damaged index can give wrong results instead of an error).")
    boolean noVerify;

    boolean checksums() {
      return !noVerify;
    }
  }

  /** {@code --permutations} and {@code --seed} of the paired randomization test. */
  static final class Significance implements OptionChecks.Checked {
    @Option(names = "--permutations", paramLabel = "N", defaultValue = "100000",
        description = "Randomization test permutations. Default: ${DEFAULT-VALUE}.")
    int permutations;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
        description = "Seed of the randomization test. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Override
    public void checkOptions() {
      OptionChecks.atLeast("--permutations", permutations, 1);
    }
  }

  /** {@code --averaging}: which queries a mean is taken over. */
  static final class Averaging {
    @Option(names = "--averaging", paramLabel = "all-judged|retrieved", defaultValue = "all-judged",
        description = "Average over all judged queries (trec_eval -c) or judged queries with results (trec_eval "
            + "default). Default: ${DEFAULT-VALUE}.")
    String averaging;

    Evaluator.Averaging value() {
      return switch (averaging.toLowerCase(Locale.ROOT)) {
        case "all-judged", "all" -> Evaluator.Averaging.ALL_JUDGED;
        case "retrieved", "retrieved-and-judged" -> Evaluator.Averaging.RETRIEVED_AND_JUDGED;
        default -> throw new IllegalArgumentException("--averaging must be all-judged or retrieved, got " + averaging);
      };
    }
  }

  /** {@code --on-invalid}: what an invalid corpus document does to a build. */
  static final class InvalidDocuments {
    @Option(names = "--on-invalid", paramLabel = "fail|skip", defaultValue = "fail",
        description = "An invalid corpus document stops the build (fail) or is skipped and reported (skip). "
            + "Default: ${DEFAULT-VALUE}.")
    String onInvalid;

    CorpusReader.InvalidPolicy policy() {
      return switch (onInvalid.toLowerCase(Locale.ROOT)) {
        case "fail" -> CorpusReader.InvalidPolicy.FAIL;
        case "skip" -> CorpusReader.InvalidPolicy.SKIP;
        default -> throw new IllegalArgumentException("--on-invalid must be fail or skip, got " + onInvalid);
      };
    }
  }

  /** {@code --rerank} and {@code --rerank-depth}: a second stage over any first stage. */
  static final class Rerank implements OptionChecks.Checked {
    /** The registered rerankers' names, for the help text. */
    static final class Names implements Iterable<String> {
      @Override
      public Iterator<String> iterator() {
        List<String> names = Rerankers.names();
        return (names.isEmpty() ? List.of("none on the classpath") : names).iterator();
      }
    }

    @Option(names = "--rerank", paramLabel = "NAME[:K=V,...]", completionCandidates = Names.class,
        description = "Rerank each retriever's top documents with this reranker (registered rerankers: "
            + "${COMPLETION-CANDIDATES}); each retriever is reported with and without it.")
    String spec;

    @Option(names = "--rerank-depth", paramLabel = "N", defaultValue = "100",
        description = "Documents reranked per query. Default: ${DEFAULT-VALUE}.")
    int depth;

    @Override
    public void checkOptions() {
      OptionChecks.atLeast("--rerank-depth", depth, 1);
    }

    /** The reranker asked for, or null; an unknown name or bad parameter is refused here. */
    Reranker create() {
      if (depth <= 0) {
        throw new IllegalArgumentException("--rerank-depth must be positive, got " + depth);
      }
      return spec == null ? null : Rerankers.create(spec);
    }
  }
}
