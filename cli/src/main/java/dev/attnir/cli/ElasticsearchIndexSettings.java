package dev.attnir.cli;

import dev.attnir.elasticsearch.backend.ElasticsearchIndexOptions;
import dev.attnir.elasticsearch.backend.VectorIndexOptions;
import dev.attnir.indexer.search.Bm25Params;
import picocli.CommandLine.Option;

/** Settings of a new Elasticsearch index (with {@code --backend}) that the index manifest does not hold. */
final class ElasticsearchIndexSettings implements OptionChecks.Checked {

  @Option(names = "--es-vector-index", paramLabel = "hnsw|int8_hnsw|bbq_hnsw", defaultValue = "hnsw",
      description = "With --backend: how passage vectors are indexed (quantised types score approximately). "
          + "Default: ${DEFAULT-VALUE}.")
  String vectorIndex;

  @Option(names = "--es-hnsw-m", paramLabel = "M", defaultValue = "16",
      description = "With --backend: HNSW neighbours per node. Default: ${DEFAULT-VALUE}.")
  int m;

  @Option(names = "--es-hnsw-ef-construction", paramLabel = "N", defaultValue = "100",
      description = "With --backend: HNSW candidates while building. Default: ${DEFAULT-VALUE}.")
  int efConstruction;

  @Option(names = "--es-shards", paramLabel = "N", defaultValue = "1",
      description = "With --backend: primary shards of a new index. Default: ${DEFAULT-VALUE}.")
  int shards;

  @Option(names = "--es-replicas", paramLabel = "N", defaultValue = "0",
      description = "With --backend: replicas of a new index. Default: ${DEFAULT-VALUE}.")
  int replicas;

  @Option(names = "--es-bm25-k1", paramLabel = "K1", defaultValue = "0.9",
      description = "With --backend: BM25 k1 of a new index (Elasticsearch fixes it per index). "
          + "Default: ${DEFAULT-VALUE}.")
  float k1;

  @Option(names = "--es-bm25-b", paramLabel = "B", defaultValue = "0.4",
      description = "With --backend: BM25 b of a new index. Default: ${DEFAULT-VALUE}.")
  float b;

  @Override
  public void checkOptions() {
    options();
  }

  /** The options; a value out of range is refused naming its option. */
  ElasticsearchIndexOptions options() {
    VectorIndexOptions.Type type;
    try {
      type = VectorIndexOptions.Type.parse(vectorIndex);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--es-vector-index: " + e.getMessage(), e);
    }
    OptionChecks.atLeast("--es-shards", shards, 1);
    OptionChecks.atLeast("--es-replicas", replicas, 0);
    try {
      return ElasticsearchIndexOptions.defaults().withBm25(new Bm25Params(k1, b))
          .withVectors(new VectorIndexOptions(type, m, efConstruction)).withShards(shards, replicas);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--es-hnsw-m/--es-hnsw-ef-construction/--es-bm25-k1/--es-bm25-b: "
          + e.getMessage(), e);
    }
  }
}
