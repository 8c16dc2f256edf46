package dev.attnir.cli;

import dev.attnir.encoders.Embedder;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.indexer.PassageSplitter;
import dev.attnir.indexer.analysis.Analyzers;
import picocli.CommandLine.Option;

/** Options for cutting documents into passages and analyzing them for BM25. */
final class PassageOptions {

  @Option(names = "--passages", paramLabel = "MODE", defaultValue = "auto",
      description = "auto: a document that fits the model is one passage, a longer one is cut into windows that fit "
          + "(nothing is truncated); document: one passage per document (the encoder truncates at its max length, as "
          + "MTEB does); window: token windows of --passage-length and --passage-stride. Default: ${DEFAULT-VALUE} "
          + "(document for a BM25-only index, which has no length limit).")
  String mode;

  @Option(names = "--passage-length", paramLabel = "TOKENS", defaultValue = "256",
      description = "Window length in tokens (window mode). Default: ${DEFAULT-VALUE}.")
  int length;

  @Option(names = "--passage-stride", paramLabel = "TOKENS", defaultValue = "192",
      description = "Tokens between window starts; less than the length overlaps windows. Default: ${DEFAULT-VALUE}.")
  int stride;

  @Option(names = "--no-title", description = "Do not prepend the document title to every passage.")
  boolean noTitle;

  @Option(names = "--analyzer", paramLabel = "NAME", defaultValue = Analyzers.DEFAULT,
      description = "BM25 analyzer: english-porter (Anserini's default), english-nostem, standard. "
          + "Default: ${DEFAULT-VALUE}.")
  String analyzer;

  /**
   * The passage settings, counted in {@code tokenizer}'s tokens.
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
    if (maxLength > 0 && length > maxLength - 2) {
      throw new IllegalArgumentException("--passage-length " + length + " does not fit " + tokenizer
          + "'s max length " + maxLength + " (minus 2 special tokens)");
    }
    return new PassageSettings(m, length, stride, !noTitle, tokenizer);
  }

  /** The splitter for these settings: the encoder's word pieces, or whitespace words for a BM25-only index. */
  static PassageSplitter splitter(PassageSettings settings, Embedder embedder) {
    return embedder == null ? PassageSplitter.whitespace(settings)
        : PassageSplitter.forEncoder(settings, embedder.encoder());
  }
}
