package dev.attnir.cli;

import dev.attnir.analysis.Analyzers;
import dev.attnir.encoders.Embedder;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.indexer.PassageSplitter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Options for cutting documents into passages and analyzing them for BM25. */
final class PassageOptions implements OptionChecks.Checked {

  /** The command these options are mixed into: where the note on a clamped default length goes. */
  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  @Option(names = "--passages", paramLabel = "MODE", defaultValue = "auto",
      description = "auto: a document that fits the model is one passage, a longer one is cut into windows that fit "
          + "(nothing is truncated); document: one passage per document (the encoder truncates at its max length, as "
          + "MTEB does); window: token windows of --passage-length and --passage-stride. Default: ${DEFAULT-VALUE} "
          + "(document for a BM25-only index, which has no length limit).")
  String mode;

  /** Window length when {@code --passage-length} is not given (clamped to what the model reads). */
  static final int DEFAULT_LENGTH = 256;

  @Option(names = "--passage-length", paramLabel = "TOKENS",
      description = "Window length in tokens (window mode). Default: " + DEFAULT_LENGTH + ", or what the model reads "
          + "(its max length minus 2 special tokens) when that is less.")
  Integer length;

  @Option(names = "--passage-stride", paramLabel = "TOKENS",
      description = "Tokens between window starts; less than the length overlaps windows. Default: three quarters "
          + "of the length (192 of 256).")
  Integer stride;

  @Option(names = "--no-title", description = "Do not prepend the document title to every passage.")
  boolean noTitle;

  @Option(names = "--analyzer", paramLabel = "NAME", defaultValue = Analyzers.DEFAULT,
      description = "BM25 analyzer: english-porter (Anserini's default), english-nostem, standard. "
          + "Default: ${DEFAULT-VALUE}.")
  String analyzer;

  @Override
  public void checkOptions() {
    if (length != null) {
      OptionChecks.atLeast("--passage-length", length, 1);
    }
    if (stride != null) {
      OptionChecks.atLeast("--passage-stride", stride, 1);
      if (length != null && stride > length) {
        throw new IllegalArgumentException("--passage-stride " + stride + " must be at most --passage-length "
            + length + " (the stride is the distance between window starts; a larger one skips tokens)");
      }
    }
  }

  /**
   * The passage settings, counted in {@code tokenizer}'s tokens. In window mode without {@code --passage-length},
   * the default length is clamped to what the model reads, and a note says so.
   *
   * @param maxLength the model's max length (windows must fit it; auto windows are cut to it), or 0 without a model
   * @throws IllegalArgumentException for an unknown mode or analyzer, or a window that would not fit the model
   */
  PassageSettings settings(String tokenizer, int maxLength) {
    Analyzers.create(analyzer); // validate the name before any work
    PassageSettings.Mode m = PassageSettings.Mode.parse(mode);
    if (m == PassageSettings.Mode.AUTO && maxLength > 0) {
      return new PassageSettings(m, maxLength, 0, !noTitle, tokenizer);
    }
    if (m == PassageSettings.Mode.DOCUMENT || m == PassageSettings.Mode.AUTO) {
      return new PassageSettings(PassageSettings.Mode.DOCUMENT, 0, 0, !noTitle, tokenizer);
    }
    int windowLength = length != null ? length : DEFAULT_LENGTH;
    // the two special tokens every encoder input carries; titles and prefixes are made room for by the splitter
    int fits = maxLength - 2;
    if (length == null && maxLength > 0 && windowLength > fits) {
      windowLength = fits;
      note("--passages window: the default --passage-length " + DEFAULT_LENGTH + " does not fit " + tokenizer
          + "'s max length " + maxLength + " (minus 2 special tokens); using " + windowLength
          + (stride == null ? " with stride " + defaultStride(windowLength) : ""));
    }
    if (maxLength > 0 && windowLength > fits) {
      throw new IllegalArgumentException("--passage-length " + windowLength + " does not fit " + tokenizer
          + "'s max length " + maxLength + " (minus 2 special tokens); use at most " + fits);
    }
    int windowStride = stride != null ? stride : defaultStride(windowLength);
    if (windowStride > windowLength) {
      throw new IllegalArgumentException("--passage-stride " + windowStride + " must be at most the passage length "
          + windowLength + " (the stride is the distance between window starts; a larger one skips tokens)");
    }
    return new PassageSettings(m, windowLength, windowStride, !noTitle, tokenizer);
  }

  /** Three quarters of the length: the 192 of the 256-token default. */
  private static int defaultStride(int length) {
    return Math.max(1, length - length / 4);
  }

  private void note(String message) {
    if (command != null && command.commandLine() != null) {
      command.commandLine().getErr().println("note: " + message);
      command.commandLine().getErr().flush();
    }
  }

  /** The splitter for these settings: the encoder's word pieces, or whitespace words for a BM25-only index. */
  static PassageSplitter splitter(PassageSettings settings, Embedder embedder) {
    return embedder == null ? PassageSplitter.whitespace(settings)
        : PassageSplitter.forEncoder(settings, embedder.encoder());
  }
}
