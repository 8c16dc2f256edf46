package dev.attnir.cli;

import dev.attnir.elasticsearch.backend.ElasticsearchConnection;
import dev.attnir.elasticsearch.backend.LuceneIndexCopy;
import dev.attnir.indexer.IndexManifest;
import dev.attnir.indexer.PassageIndexWriter;
import dev.attnir.indexer.search.LuceneSearchBackend;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code attnir copy-index}: a Lucene passage index into Elasticsearch, nothing encoded again. */
@Command(name = "copy-index", mixinStandardHelpOptions = true,
    description = "Copy a local Lucene passage index into an Elasticsearch index (--backend): the same passages, "
        + "vectors, digests and fitted pooling state under the same manifest, without encoding anything again.")
final class CopyIndexCommand implements Callable<Integer>, OptionChecks.Checked {

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--from", required = true, paramLabel = "DIR", description = "The Lucene index directory to copy.")
  Path from;

  @Option(names = "--index", required = true, paramLabel = "NAME", description = "The Elasticsearch index to write.")
  Path index;

  @Mixin
  BackendOptions backend;

  @Mixin
  ElasticsearchIndexSettings esIndex;

  @Option(names = "--overwrite", description = "Delete the Elasticsearch index first. Without it, documents are "
      + "added to an index built the same way, and any other index is refused.")
  boolean overwrite;

  @Option(names = "--batch", paramLabel = "DOCS", defaultValue = "500",
      description = "Documents handed to the bulk writer at once. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Override
  public void checkOptions() {
    OptionChecks.atLeast("--batch", batch, 1);
    if (!backend.elasticsearch()) {
      throw new IllegalArgumentException("copy-index needs --backend URL (the Elasticsearch cluster to copy into)");
    }
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    String name = BackendOptions.indexName(index);
    try (LuceneSearchBackend source = LuceneSearchBackend.open(from, true);
        ElasticsearchConnection connection = backend.connect();
        Progress progress = new Progress("Copying", source.manifest().documents(), "documents")) {
      LuceneIndexCopy.Report r = LuceneIndexCopy.copy(source, connection, name, esIndex.options(),
          overwrite ? PassageIndexWriter.Mode.OVERWRITE : PassageIndexWriter.Mode.CREATE_OR_APPEND, batch, progress);
      IndexManifest m = r.manifest();
      out.printf(Locale.ROOT, "Copied %,d documents (%,d passages) from %s into %s in %.1f s; the copy holds %,d "
          + "documents, %,d passages, corpus fingerprint %s (source: %s)%n", r.documents(), r.passages(),
          source.where(), connection.where(name), r.seconds(), m.documents(), m.passageCount(),
          m.corpusFingerprint(), source.manifest().corpusFingerprint());
      out.flush();
      return 0;
    }
  }
}
