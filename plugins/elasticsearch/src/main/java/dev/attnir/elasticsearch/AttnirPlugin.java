package dev.attnir.elasticsearch;

import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

/**
 * The attnir plugin for Elasticsearch. It registers the {@code attnir_english} analyzer, the chain the Lucene backend
 * indexes BM25 text with, so an Elasticsearch index and a Lucene index of the same corpus hold the same terms.
 *
 * <p>A classic plugin ({@link AnalysisPlugin}) rather than a stable-API one: later parts (an ingest processor, a
 * retriever, a rescorer) can only be registered by classic plugins, and they ship in the same zip.
 */
public class AttnirPlugin extends Plugin implements AnalysisPlugin {

  /** The analyzer's name in mappings and {@code _analyze} requests. */
  public static final String ENGLISH = "attnir_english";

  @Override
  public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
    return Map.of(ENGLISH, (indexSettings, environment, name, settings) -> new AttnirEnglishAnalyzerProvider(name));
  }
}
