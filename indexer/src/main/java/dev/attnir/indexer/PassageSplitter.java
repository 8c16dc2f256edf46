package dev.attnir.indexer;

import dev.attnir.core.Document;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Cuts documents into passages by {@link PassageSettings}. In WINDOW mode a window covers {@code length} consecutive
 * tokens and the next starts {@code stride} tokens later; the last window ends at the last token. A document of at most
 * {@code length} tokens is one passage. Offsets are character offsets into the body text, so a passage can be shown or
 * checked against the document.
 */
public final class PassageSplitter {

  private final PassageSettings settings;
  private final TokenSpanner spanner;

  public PassageSplitter(PassageSettings settings, TokenSpanner spanner) {
    this.settings = settings;
    this.spanner = spanner;
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
      return List.of(new Passage(doc.id(), 0, 0, text.length(), contents(doc, text)));
    }
    int[][] spans = spanner.spans(text);
    if (spans.length <= settings.length()) {
      return List.of(new Passage(doc.id(), 0, 0, text.length(), contents(doc, text)));
    }
    List<Passage> passages = new ArrayList<>();
    for (int first = 0; ; first += settings.stride()) {
      int last = Math.min(first + settings.length(), spans.length) - 1;
      int start = spans[first][0];
      int end = spans[last][1];
      passages.add(new Passage(doc.id(), passages.size(), start, end, contents(doc, text.substring(start, end))));
      if (last == spans.length - 1) {
        break;
      }
    }
    return passages;
  }

  private String contents(Document doc, String body) {
    if (!settings.prependTitle() || doc.title().isBlank()) {
      return body;
    }
    return body.isEmpty() ? doc.title() : doc.title() + " " + body;
  }
}
