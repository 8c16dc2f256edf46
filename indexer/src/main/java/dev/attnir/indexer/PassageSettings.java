package dev.attnir.indexer;

import java.util.Locale;

/**
 * How documents are cut into passages; recorded in the index manifest.
 *
 * @param mode {@link Mode#AUTO} (the default): a document that fits the model is one passage, a longer one is cut
 *     into windows that fit it, so no text is silently truncated; {@link Mode#DOCUMENT}: one passage per document (the
 *     encoder truncates at its max length, as MTEB does); {@link Mode#WINDOW}: windows of {@code length} tokens whose
 *     starts are {@code stride} tokens apart
 * @param length WINDOW: window length in tokens; AUTO: the model's max length in tokens, special tokens included
 * @param stride WINDOW: distance in tokens between consecutive window starts ({@code stride < length} overlaps
 *     windows); AUTO: unused (0)
 * @param prependTitle whether every passage's contents start with the document title
 * @param tokenizer what the tokens are: a model name (its word pieces) or {@code whitespace}
 */
public record PassageSettings(Mode mode, int length, int stride, boolean prependTitle, String tokenizer) {

  /** Passage cutting mode. */
  public enum Mode {
    DOCUMENT,
    WINDOW,
    AUTO;

    /** Parses {@code auto}, {@code document} or {@code window}. */
    public static Mode parse(String s) {
      return switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "auto" -> AUTO;
        case "document", "doc", "whole" -> DOCUMENT;
        case "window", "windows", "passage", "passages" -> WINDOW;
        default -> throw new IllegalArgumentException("unknown passage mode '" + s + "'; known: auto, document, "
            + "window");
      };
    }
  }

  public PassageSettings {
    if (mode == Mode.WINDOW) {
      if (length < 1) {
        throw new IllegalArgumentException("passage length must be >= 1 token, got " + length);
      }
      if (stride < 1 || stride > length) {
        throw new IllegalArgumentException("passage stride must be between 1 and the passage length (" + length
            + "), got " + stride + "; stride is the distance between window starts");
      }
    }
    if (mode == Mode.AUTO && length < 8) {
      throw new IllegalArgumentException("auto passages need the model's max length (>= 8 tokens), got " + length);
    }
    tokenizer = tokenizer == null ? "whitespace" : tokenizer;
  }

  /**
   * A document that fits a model of {@code maxLength} tokens stays one passage; a longer one becomes windows that fit
   * (title prepended to each). See {@link PassageSplitter}.
   */
  public static PassageSettings auto(int maxLength, String tokenizer) {
    return new PassageSettings(Mode.AUTO, maxLength, 0, true, tokenizer);
  }

  /** One passage per document, title prepended. */
  public static PassageSettings wholeDocument(String tokenizer) {
    return new PassageSettings(Mode.DOCUMENT, 0, 0, true, tokenizer);
  }

  /** Token windows, title prepended to each. */
  public static PassageSettings windows(int length, int stride, String tokenizer) {
    return new PassageSettings(Mode.WINDOW, length, stride, true, tokenizer);
  }
}
