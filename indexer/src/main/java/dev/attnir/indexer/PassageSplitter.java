package dev.attnir.indexer;

import dev.attnir.core.Document;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Cuts documents into passages by {@link PassageSettings}. In WINDOW mode a window covers {@code length} consecutive
 * tokens and the next starts {@code stride} tokens later; the last window ends at the last token. A document of at most
 * {@code length} tokens is one passage. Offsets are character offsets into the body text, so a passage can be shown or
 * checked against the document.
 *
 * <p>In AUTO mode the window is what the model can read of the body: its max length minus the tokens it adds (special
 * tokens and the passage prefix, {@code reservedTokens}) minus the document's title tokens when the title is
 * prepended; a body that fits is one passage, a longer one becomes windows of that size overlapping by a quarter, so
 * every token of the body is embedded. Token counts add up across the title, the prefix and the body because the
 * encoders' tokenizers split on whitespace before cutting words into pieces. A title longer than half of what the
 * model can read is cut to that half in the windows of its document (the whole title stays in a document that fits).
 */
public final class PassageSplitter {

  private final PassageSettings settings;
  private final TokenSpanner spanner;
  private final int reservedTokens;

  /** A splitter for DOCUMENT or WINDOW settings (AUTO needs {@link #PassageSplitter(PassageSettings, TokenSpanner, int)}). */
  public PassageSplitter(PassageSettings settings, TokenSpanner spanner) {
    this(settings, spanner, -1);
  }

  /**
   * @param reservedTokens AUTO: tokens the encoder adds to every passage (special tokens and the passage prefix)
   */
  public PassageSplitter(PassageSettings settings, TokenSpanner spanner, int reservedTokens) {
    if (settings.mode() == PassageSettings.Mode.AUTO && (reservedTokens < 0
        || reservedTokens >= settings.length() - 1)) {
      throw new IllegalArgumentException("auto passages need the tokens the encoder adds (special tokens and "
          + "prefix), fewer than the max length " + settings.length() + "; got " + reservedTokens);
    }
    this.settings = settings;
    this.spanner = spanner;
    this.reservedTokens = reservedTokens;
  }

  /**
   * The splitter for an encoder: passages are counted in its own tokens, and AUTO reserves the special tokens and the
   * passage prefix it adds.
   */
  public static PassageSplitter forEncoder(PassageSettings settings, OnnxEncoder encoder) {
    TextTokenizer tokenizer = encoder.tokenizer();
    int reserved = tokenizer.encode("").length()
        + tokenizer.contentTokenSpans(encoder.spec().passagePrefix()).length;
    return new PassageSplitter(settings, tokenizer::contentTokenSpans, reserved);
  }

  /** The splitter of an index without an encoder: passages counted in whitespace-separated words. */
  public static PassageSplitter whitespace(PassageSettings settings) {
    return new PassageSplitter(settings, TokenSpanner.whitespace());
  }

  public PassageSettings settings() {
    return settings;
  }

  /** The passages of every document of a stream, in order (the stream is consumed and closed). */
  public List<Passage> splitAll(Stream<Document> documents) {
    List<Passage> out = new ArrayList<>();
    try (documents) {
      documents.forEach(d -> out.addAll(split(d)));
    }
    return out;
  }

  /** The passages of one document, in order. */
  public List<Passage> split(Document doc) {
    String text = doc.text();
    if (settings.mode() == PassageSettings.Mode.DOCUMENT) {
      return List.of(new Passage(doc.id(), 0, 0, text.length(), contents(doc.title(), text)));
    }
    int[][] spans = spanner.spans(text);
    if (settings.mode() == PassageSettings.Mode.AUTO) {
      return auto(doc, spans);
    }
    if (spans.length <= settings.length()) {
      return List.of(new Passage(doc.id(), 0, 0, text.length(), contents(doc.title(), text)));
    }
    List<Passage> passages = new ArrayList<>();
    for (int first = 0; ; first += settings.stride()) {
      int last = Math.min(first + settings.length(), spans.length) - 1;
      int start = spans[first][0];
      int end = spans[last][1];
      passages.add(new Passage(doc.id(), passages.size(), start, end,
          contents(doc.title(), text.substring(start, end))));
      if (last == spans.length - 1) {
        break;
      }
    }
    return passages;
  }

  /**
   * AUTO: the whole document when it fits, else windows that fit. Each passage is counted again as the tokenizer sees
   * it (a window that starts inside a word can take a token more than its share), and shrunk until it fits; the next
   * window never starts after the previous one's last token, so every body token is in some passage.
   */
  private List<Passage> auto(Document doc, int[][] spans) {
    String text = doc.text();
    int readable = settings.length() - reservedTokens;
    String whole = contents(doc.title(), text);
    if (spanner.spans(whole).length <= readable) {
      return List.of(new Passage(doc.id(), 0, 0, text.length(), whole));
    }
    int[][] titleSpans = settings.prependTitle() ? spanner.spans(doc.title()) : new int[0][];
    int titleTokens = Math.min(titleSpans.length, readable / 2);
    String title = titleTokens < titleSpans.length ? doc.title().substring(0, titleSpans[titleTokens - 1][1])
        : doc.title();
    int length = readable - titleTokens;
    int stride = Math.max(1, length - length / 4);
    List<Passage> passages = new ArrayList<>();
    int first = 0;
    while (true) {
      int last = Math.min(first + length, spans.length) - 1;
      String contents = contents(title, text.substring(spans[first][0], spans[last][1]));
      for (int excess = spanner.spans(contents).length - readable; excess > 0 && last > first;
          excess = spanner.spans(contents).length - readable) {
        last = Math.max(first, last - excess);
        contents = contents(title, text.substring(spans[first][0], spans[last][1]));
      }
      passages.add(new Passage(doc.id(), passages.size(), spans[first][0], spans[last][1], contents));
      if (last == spans.length - 1) {
        return passages;
      }
      first = Math.min(first + stride, last + 1);
    }
  }

  private String contents(String title, String body) {
    if (!settings.prependTitle() || title.isBlank()) {
      return body;
    }
    return body.isEmpty() ? title : title + " " + body;
  }
}
