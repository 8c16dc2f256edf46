package dev.attnir.eval.data;

import java.util.Locale;

/**
 * Which query and document ids can be carried by TREC run and qrels files. Those files separate their columns with
 * whitespace (trec_eval splits on C's {@code isspace}, Python readers such as pytrec_eval's on any Unicode
 * whitespace), so an id with whitespace in it is read back as a different id and shifts every column after it, and
 * an empty id shifts the columns too. Such ids are <em>refused</em>, where they enter (corpus, queries, qrels) and
 * when a run is written, rather than encoded: an encoding would have to be undone by every other tool that reads the
 * files, and a run scored by one that does not would silently miss the relevant documents. Control characters are
 * refused too, since C reads a NUL as the end of the id and the others are invisible in a file.
 */
final class TrecIds {

  /** Said with every refusal, so the user learns the rule and not only the case. */
  static final String RULE = "ids with whitespace or control characters are refused, not encoded, since TREC run "
      + "and qrels files separate their columns with whitespace";

  private TrecIds() {}

  /**
   * Why {@code id} cannot be written to a TREC file, or null when it can.
   *
   * @param what how to name the id in the message, e.g. {@code "field '_id'"} or {@code "document id"}
   */
  static String problem(String what, String id) {
    if (id.isEmpty()) {
      return what + " is empty";
    }
    for (int i = 0; i < id.length(); ) {
      int c = id.codePointAt(i);
      if (Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c)) {
        return String.format(Locale.ROOT, "%s '%s' contains %s (U+%04X at character %d); %s", what, show(id),
            Character.isISOControl(c) && !Character.isWhitespace(c) ? "a control character" : "whitespace", c,
            id.codePointCount(0, i) + 1, RULE);
      }
      i += Character.charCount(c);
    }
    return null;
  }

  /** The id with control characters escaped, so that a refusal stays on one readable line. */
  private static String show(String id) {
    StringBuilder sb = new StringBuilder(id.length());
    id.codePoints().forEach(c -> {
      if (Character.isISOControl(c)) {
        sb.append(String.format(Locale.ROOT, "\\u%04X", c));
      } else {
        sb.appendCodePoint(c);
      }
    });
    return sb.toString();
  }
}
