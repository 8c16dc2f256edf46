package dev.attnir.indexer;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds the character spans of tokens in a text; passage windows are counted in these tokens. The default counts
 * the encoder's own word pieces, so a window of N tokens is N tokens for the model too.
 */
@FunctionalInterface
public interface TokenSpanner {

  /** Spans {@code [start, end)} in Java string indices, in order. */
  int[][] spans(String text);

  /** Whitespace-separated words, for indexes without an encoder. */
  static TokenSpanner whitespace() {
    return text -> {
      List<int[]> out = new ArrayList<>();
      int i = 0;
      int n = text.length();
      while (i < n) {
        while (i < n && Character.isWhitespace(text.charAt(i))) {
          i++;
        }
        int start = i;
        while (i < n && !Character.isWhitespace(text.charAt(i))) {
          i++;
        }
        if (i > start) {
          out.add(new int[] {start, i});
        }
      }
      return out.toArray(new int[0][]);
    };
  }
}
