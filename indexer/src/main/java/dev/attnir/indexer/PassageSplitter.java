package dev.attnir.indexer;

import dev.attnir.core.Document;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * Cuts documents into passages by {@link PassageSettings}. In WINDOW mode a window covers {@code length} consecutive
 * tokens and the next starts {@code stride} tokens later; the last window ends at the last token. A document of at most
 * {@code length} tokens is one passage. With an encoder ({@link #forEncoder}) a window is also shortened to what the
 * model reads once the title, the passage prefix and the special tokens are added, and the next window then starts
 * right after it at the latest, so no token of the body goes unembedded. Offsets are character offsets into the body
 * text, so a passage can be shown or checked against the document.
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
  /** Body and title tokens the model reads of a passage; {@link Integer#MAX_VALUE} without a model. */
  private final int readable;
  /** WINDOW windows cut shorter than asked so they fit the model: reported, since the user asked for the length. */
  private final LongAdder windowsShortened = new LongAdder();

  /**
   * A splitter for DOCUMENT or WINDOW settings without a model length limit (AUTO needs
   * {@link #PassageSplitter(PassageSettings, TokenSpanner, int)}).
   */
  public PassageSplitter(PassageSettings settings, TokenSpanner spanner) {
    this(settings, spanner, 0, -1);
  }

  /**
   * @param reservedTokens AUTO: tokens the encoder adds to every passage (special tokens and the passage prefix)
   */
  public PassageSplitter(PassageSettings settings, TokenSpanner spanner, int reservedTokens) {
    this(settings, spanner, settings.mode() == PassageSettings.Mode.AUTO ? settings.length() : 0, reservedTokens);
  }

  /**
   * @param maxLength the model's max length in tokens, special tokens included, or 0 for no limit (AUTO: must equal
   *     the settings' length)
   * @param reservedTokens tokens the encoder adds to every passage (special tokens and the passage prefix); negative
   *     without an encoder
   */
  public PassageSplitter(PassageSettings settings, TokenSpanner spanner, int maxLength, int reservedTokens) {
    if (settings.mode() == PassageSettings.Mode.AUTO && (reservedTokens < 0
        || reservedTokens >= settings.length() - 1)) {
      throw new IllegalArgumentException("auto passages need the tokens the encoder adds (special tokens and "
          + "prefix), fewer than the max length " + settings.length() + "; got " + reservedTokens);
    }
    if (maxLength > 0 && reservedTokens >= 0 && reservedTokens >= maxLength - 1) {
      throw new IllegalArgumentException("the encoder adds " + reservedTokens + " tokens (special tokens and prefix) "
          + "to every passage, leaving nothing of its max length " + maxLength);
    }
    this.settings = settings;
    this.spanner = spanner;
    this.readable = maxLength > 0 && reservedTokens >= 0 ? maxLength - reservedTokens : Integer.MAX_VALUE;
  }

  /**
   * The splitter for an encoder: passages are counted in its own tokens, and AUTO and WINDOW reserve the special
   * tokens and the passage prefix it adds, so every passage fits what the encoder reads.
   */
  public static PassageSplitter forEncoder(PassageSettings settings, OnnxEncoder encoder) {
    TextTokenizer tokenizer = encoder.tokenizer();
    int reserved = tokenizer.encode("").length()
        + tokenizer.contentTokenSpans(encoder.spec().passagePrefix()).length;
    return new PassageSplitter(settings, tokenizer::contentTokenSpans, encoder.spec().maxLength(), reserved);
  }

  /** The splitter of an index without an encoder: passages counted in whitespace-separated words. */
  public static PassageSplitter whitespace(PassageSettings settings) {
    return new PassageSplitter(settings, TokenSpanner.whitespace());
  }

  public PassageSettings settings() {
    return settings;
  }

  /**
   * WINDOW: windows this splitter has cut shorter than {@code length} body tokens so that they fit the model with the
   * title, the passage prefix and the special tokens (a document's last window, short by nature, is not counted).
   */
  public long windowsShortened() {
    return windowsShortened.sum();
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
    return windows(doc, spans);
  }

  /**
   * WINDOW: windows of the asked length and stride, each shortened where the title, prefix and special tokens would
   * push it past what the model reads (an encoder would cut its last tokens, and with stride = length nothing else
   * embeds them). A shortened window's successor starts right after it at the latest, so no body token is left out.
   */
  private List<Passage> windows(Document doc, int[][] spans) {
    String text = doc.text();
    if (spans.length <= settings.length()) {
      String whole = contents(doc.title(), text);
      if (readable == Integer.MAX_VALUE || spanner.spans(whole).length <= readable) {
        return List.of(new Passage(doc.id(), 0, 0, text.length(), whole));
      }
    }
    if (spans.length == 0) { // a title alone longer than the model reads: the encoder cuts the title, not the body
      return List.of(new Passage(doc.id(), 0, 0, text.length(), contents(doc.title(), text)));
    }
    String title = readableTitle(doc);
    int titleTokens = title.isEmpty() ? 0 : spanner.spans(title).length;
    int length = Math.max(1, Math.min(settings.length(), readable - titleTokens));
    return cover(doc, spans, title, length, settings.stride());
  }

  /**
   * AUTO: the whole document when it fits, else windows that fit, overlapping by a quarter.
   */
  private List<Passage> auto(Document doc, int[][] spans) {
    String text = doc.text();
    String whole = contents(doc.title(), text);
    if (spanner.spans(whole).length <= readable) {
      return List.of(new Passage(doc.id(), 0, 0, text.length(), whole));
    }
    String title = readableTitle(doc);
    int titleTokens = title.isEmpty() ? 0 : spanner.spans(title).length;
    int length = readable - titleTokens;
    return cover(doc, spans, title, length, Math.max(1, length - length / 4));
  }

  /**
   * The title as prepended to windows: empty without titles, else cut to half of what the model reads so a long title
   * leaves room for the body.
   */
  private String readableTitle(Document doc) {
    if (!settings.prependTitle() || doc.title().isBlank()) {
      return "";
    }
    int[][] titleSpans = spanner.spans(doc.title());
    int titleTokens = Math.min(titleSpans.length, readable / 2);
    return titleTokens == titleSpans.length ? doc.title()
        : titleTokens == 0 ? "" : doc.title().substring(0, titleSpans[titleTokens - 1][1]);
  }

  /**
   * Windows of up to {@code length} body tokens whose starts are {@code stride} apart, each counted again as the
   * tokenizer sees it (a window that starts inside a word can take a token more than its share) and shrunk until it
   * fits what the model reads; the next window never starts after the previous one's last token, so every body token
   * is in some passage.
   */
  private List<Passage> cover(Document doc, int[][] spans, String title, int length, int stride) {
    String text = doc.text();
    List<Passage> passages = new ArrayList<>();
    int first = 0;
    while (true) {
      int last = Math.min(first + length, spans.length) - 1;
      String contents = windowContents(title, text.substring(spans[first][0], spans[last][1]));
      if (readable != Integer.MAX_VALUE) {
        for (int excess = spanner.spans(contents).length - readable; excess > 0 && last > first;
            excess = spanner.spans(contents).length - readable) {
          last = Math.max(first, last - excess);
          contents = windowContents(title, text.substring(spans[first][0], spans[last][1]));
        }
      }
      passages.add(new Passage(doc.id(), passages.size(), spans[first][0], spans[last][1], contents));
      if (last == spans.length - 1) {
        return passages;
      }
      if (settings.mode() == PassageSettings.Mode.WINDOW && last - first + 1 < settings.length()) {
        windowsShortened.increment();
      }
      first = Math.min(first + stride, last + 1);
    }
  }

  private static String windowContents(String title, String body) {
    return title.isEmpty() ? body : body.isEmpty() ? title : title + " " + body;
  }

  private String contents(String title, String body) {
    if (!settings.prependTitle() || title.isBlank()) {
      return body;
    }
    return body.isEmpty() ? title : title + " " + body;
  }
}
