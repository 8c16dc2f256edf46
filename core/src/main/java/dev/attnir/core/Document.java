package dev.attnir.core;

import java.util.Objects;

/**
 * A document to index: an id unique in its corpus, an optional title and the body text.
 *
 * @param id unique id (the qrels refer to it)
 * @param title title, possibly empty
 * @param text body text, possibly empty when the title is not
 */
public record Document(String id, String title, String text) {
  public Document {
    Objects.requireNonNull(id, "id");
    title = title == null ? "" : title;
    text = text == null ? "" : text;
  }
}
