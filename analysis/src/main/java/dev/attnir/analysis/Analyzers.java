package dev.attnir.analysis;

import java.util.List;
import java.util.Locale;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.standard.StandardTokenizer;

/**
 * Analyzers for the BM25 field, by the name an index records.
 *
 * <ul>
 *   <li>{@code english-porter} (default): the chain of Anserini's {@code DefaultEnglishAnalyzer}, the analyzer behind
 *       its BEIR regressions: StandardTokenizer, English possessive removal, lower-casing, Lucene's English stopwords
 *       ({@link EnglishAnalyzer#ENGLISH_STOP_WORDS_SET}, 33 words), Porter stemming.</li>
 *   <li>{@code english-nostem}: the same without stemming.</li>
 *   <li>{@code standard}: StandardTokenizer and lower-casing only.</li>
 * </ul>
 */
public final class Analyzers {

  /** The analyzer used when none is named. */
  public static final String DEFAULT = "english-porter";

  private Analyzers() {}

  /** Known analyzer names. */
  public static List<String> knownNames() {
    return List.of("english-porter", "english-nostem", "standard");
  }

  /**
   * Creates the analyzer recorded under {@code name}.
   *
   * @throws IllegalArgumentException for an unknown name; the message lists the known ones
   */
  public static Analyzer create(String name) {
    return switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "english-porter" -> new Chain(EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, true, true);
      case "english-nostem" -> new Chain(EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, true, false);
      case "standard" -> new Chain(CharArraySet.EMPTY_SET, false, false);
      default -> throw new IllegalArgumentException("unknown analyzer '" + name + "'; known analyzers: "
          + String.join(", ", knownNames()));
    };
  }

  private static final class Chain extends Analyzer {
    private final CharArraySet stopwords;
    private final boolean possessive;
    private final boolean stem;

    Chain(CharArraySet stopwords, boolean possessive, boolean stem) {
      this.stopwords = stopwords;
      this.possessive = possessive;
      this.stem = stem;
    }

    @Override
    protected TokenStreamComponents createComponents(String fieldName) {
      Tokenizer source = new StandardTokenizer();
      TokenStream result = source;
      if (possessive) {
        result = new EnglishPossessiveFilter(result);
      }
      result = new LowerCaseFilter(result);
      if (!stopwords.isEmpty()) {
        result = new StopFilter(result, stopwords);
      }
      if (stem) {
        result = new PorterStemFilter(result);
      }
      return new TokenStreamComponents(source, result);
    }

    @Override
    protected TokenStream normalize(String fieldName, TokenStream in) {
      return new LowerCaseFilter(in);
    }
  }
}
