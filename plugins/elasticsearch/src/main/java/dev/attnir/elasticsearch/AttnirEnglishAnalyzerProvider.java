package dev.attnir.elasticsearch;

import dev.attnir.analysis.Analyzers;
import org.apache.lucene.analysis.Analyzer;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;

/**
 * Provides {@code attnir_english}: {@link Analyzers#DEFAULT} ({@code english-porter}, Anserini's DefaultEnglishAnalyzer
 * chain: StandardTokenizer, English possessive removal, lower-casing, Lucene's 33 English stopwords, Porter). It takes
 * no settings: the point is that it cannot drift from the Lucene backend's analyzer.
 */
final class AttnirEnglishAnalyzerProvider extends AbstractIndexAnalyzerProvider<Analyzer> {

  private final Analyzer analyzer = Analyzers.create(Analyzers.DEFAULT);

  AttnirEnglishAnalyzerProvider(String name) {
    super(name);
  }

  @Override
  public Analyzer get() {
    return analyzer;
  }
}
