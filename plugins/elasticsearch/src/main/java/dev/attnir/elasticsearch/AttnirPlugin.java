package dev.attnir.elasticsearch;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.util.SetOnce;
import org.elasticsearch.cluster.metadata.IndexMetadata;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.settings.ClusterSettings;
import org.elasticsearch.common.settings.Setting;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.util.concurrent.EsExecutors;
import org.elasticsearch.core.TimeValue;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.ingest.Processor;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.IngestPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.SearchPlugin;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.threadpool.ExecutorBuilder;
import org.elasticsearch.threadpool.FixedExecutorBuilder;
import org.elasticsearch.threadpool.ThreadPool;

/**
 * The attnir plugin for Elasticsearch:
 * <ul>
 *   <li>the {@code attnir_english} analyzer, the chain the Lucene backend indexes BM25 text with, so an Elasticsearch
 *       index and a Lucene index of the same corpus hold the same terms;
 *   <li>the {@code attnir_embed} ingest processor ({@link EmbedProcessor}), the {@code attnir_text} kNN query vector
 *       builder ({@link TextQueryVectorBuilder}), the {@code attnir_hybrid} retriever ({@link HybridRetrieverBuilder})
 *       and the {@code attnir_rerank} rescorer ({@link RerankRescorerBuilder});
 *   <li>{@code POST /{index}/_attnir/embed} ({@link EmbedRestHandler}): texts embedded as an index embeds them, for
 *       clients that embed nothing themselves.
 * </ul>
 *
 * <p>Models run out of the node's process, in the loopback model server {@code attnir serve}
 * ({@link ModelServerClient}; settings {@code attnir.model_server.*}), called from the plugin's own
 * {@code attnir_inference} executor (ingest, query embedding) or the search thread that rescores.
 *
 * <p>A classic plugin rather than a stable-API one: processors, retrievers and rescorers can only be registered by
 * classic plugins.
 */
public class AttnirPlugin extends Plugin implements AnalysisPlugin, IngestPlugin, SearchPlugin, ActionPlugin {

  /** The analyzer's name in mappings and {@code _analyze} requests. */
  public static final String ENGLISH = "attnir_english";
  /** The executor that waits on the model server for ingest and query embedding. */
  static final String INFERENCE_POOL = "attnir_inference";

  /** Documents per model-server request of the ingest processor. */
  static final Setting<Integer> INGEST_BATCH = Setting.intSetting("attnir.ingest.batch_documents", 32, 1, 4096,
      Setting.Property.NodeScope);
  /** How long the ingest processor waits for more documents of a bulk before sending a partial batch. */
  static final Setting<TimeValue> INGEST_LINGER = Setting.timeSetting("attnir.ingest.linger",
      TimeValue.timeValueMillis(5), TimeValue.ZERO, Setting.Property.NodeScope);

  /** What the plugin's parts reach at run time; parsers and factories exist before the node has built it. */
  record Services(ThreadPool threadPool, ModelServerClient modelServer, EmbedProcessor.Batcher batcher,
      ClusterService clusterService) {

    /**
     * The index's identity and mapping version as this node sees it ({@code uuid/mapping-sha256}), sent with every
     * request naming the index so the model server re-reads the manifest when the index changed; null for a name
     * that is not a concrete index (an alias: the server then re-reads the manifest each time).
     */
    String indexVersion(String index) {
      IndexMetadata metadata = clusterService.state().metadata().getProject().index(index);
      if (metadata == null || metadata.mapping() == null) {
        return null;
      }
      return metadata.getIndexUUID() + "/" + metadata.mapping().getSha256();
    }
  }

  private static final SetOnce<Services> SERVICES = new SetOnce<>();

  static Services services() {
    return Objects.requireNonNull(SERVICES.get(), "the attnir plugin has not been initialised by the node");
  }

  @Override
  public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
    return Map.of(ENGLISH, (indexSettings, environment, name, settings) -> new AttnirEnglishAnalyzerProvider(name));
  }

  @Override
  public List<Setting<?>> getSettings() {
    List<Setting<?>> all = new java.util.ArrayList<>(ModelServerClient.settings());
    all.add(INGEST_BATCH);
    all.add(INGEST_LINGER);
    return all;
  }

  @Override
  public List<ExecutorBuilder<?>> getExecutorBuilders(Settings settings) {
    // threads mostly wait on the server's answer; the queue holds several bulks' worth of batches
    int threads = Math.max(2, EsExecutors.allocatedProcessors(settings));
    return List.of(new FixedExecutorBuilder(settings, INFERENCE_POOL, threads, 10_000,
        "thread_pool." + INFERENCE_POOL, EsExecutors.TaskTrackingConfig.DO_NOT_TRACK));
  }

  @Override
  public Collection<?> createComponents(PluginServices services) {
    Settings settings = services.environment().settings();
    ModelServerClient server = new ModelServerClient(ModelServerClient.URL.get(settings),
        ModelServerClient.ELASTICSEARCH_URL.get(settings), ModelServerClient.TIMEOUT.get(settings));
    ClusterSettings cluster = services.clusterService().getClusterSettings();
    cluster.addSettingsUpdateConsumer(ModelServerClient.URL, server::setUrl);
    cluster.addSettingsUpdateConsumer(ModelServerClient.ELASTICSEARCH_URL, server::setElasticsearchUrl);
    cluster.addSettingsUpdateConsumer(ModelServerClient.TIMEOUT, server::setTimeout);
    ThreadPool threadPool = services.threadPool();
    EmbedProcessor.Batcher batcher = new EmbedProcessor.Batcher(threadPool, INFERENCE_POOL, server,
        INGEST_BATCH.get(settings), INGEST_LINGER.get(settings));
    SERVICES.set(new Services(threadPool, server, batcher, services.clusterService()));
    return List.of();
  }

  @Override
  public Map<String, Processor.Factory> getProcessors(Processor.Parameters parameters) {
    return Map.of(EmbedProcessor.TYPE, new EmbedProcessor.Factory(() -> services().batcher()));
  }

  @Override
  public List<QueryVectorBuilderSpec<?>> getQueryVectorBuilders() {
    return List.of(new QueryVectorBuilderSpec<>(TextQueryVectorBuilder.NAME, TextQueryVectorBuilder::new,
        TextQueryVectorBuilder::fromXContent));
  }

  @Override
  public List<RescorerSpec<?>> getRescorers() {
    return List.of(new RescorerSpec<>(RerankRescorerBuilder.NAME, RerankRescorerBuilder::new,
        RerankRescorerBuilder::fromXContent));
  }

  @Override
  public Collection<RestHandler> getRestHandlers(RestHandlersServices services,
      Supplier<DiscoveryNodes> nodesInCluster, Predicate<NodeFeature> clusterSupportsFeature) {
    return List.of(new EmbedRestHandler());
  }

  @Override
  public List<RetrieverSpec<?>> getRetrievers() {
    return List.of(new RetrieverSpec<>(HybridRetrieverBuilder.NAME, HybridRetrieverBuilder::fromXContent));
  }
}
