package dev.attnir.cli;

import dev.attnir.elasticsearch.backend.ElasticsearchConnection;
import dev.attnir.elasticsearch.backend.ElasticsearchIndexWriter;
import dev.attnir.elasticsearch.backend.ElasticsearchIndexer;
import dev.attnir.eval.data.CorpusReader;
import dev.attnir.indexer.IndexConfig;
import dev.attnir.indexer.IndexManifest;
import dev.attnir.indexer.Indexer;
import dev.attnir.indexer.PassageSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code attnir index}: corpus to passage index. */
@Command(name = "index", mixinStandardHelpOptions = true,
    description = "Index a JSONL corpus (or a BEIR directory's corpus.jsonl) into a Lucene passage index, or an "
        + "Elasticsearch index with --backend.")
final class IndexCommand implements Callable<Integer>, OptionChecks.Checked {

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--corpus", required = true, paramLabel = "FILE|DIR",
      description = "corpus.jsonl(.gz) with {\"_id\", \"title\", \"text\"} per line, or a BEIR directory.")
  Path corpus;

  @Option(names = "--index", required = true, paramLabel = "DIR|NAME",
      description = "Index directory, or with --backend the Elasticsearch index name.")
  Path index;

  @Mixin
  BackendOptions backend;

  @Mixin
  ElasticsearchIndexSettings esIndex;

  @Option(names = "--overwrite", description = "Replace an existing index (it stays readable until the new one "
      + "commits). Without it, documents are added to an index built the same way, and any other index is refused.")
  boolean overwrite;

  @Mixin
  CommonOptions.InvalidDocuments invalid;

  @Option(names = "--commit-every", paramLabel = "DOCS", defaultValue = "0",
      description = "Commit after this many documents (0: once at the end). Default: ${DEFAULT-VALUE}.")
  long commitEvery;

  @Option(names = "--chunk", paramLabel = "DOCS", defaultValue = "2048",
      description = "Documents split and encoded together. Default: ${DEFAULT-VALUE}.")
  int chunk;

  @Option(names = "--force-merge", description = "Merge the index into one segment at the end (faster search).")
  boolean forceMerge;

  @Mixin
  ModelOptions model;

  @Mixin
  PassageOptions passages;

  @Override
  public void checkOptions() {
    OptionChecks.atLeast("--commit-every", commitEvery, 0);
    OptionChecks.atLeast("--chunk", chunk, 1);
  }

  static Path corpusFile(Path corpusOrDir) {
    if (Files.isDirectory(corpusOrDir)) {
      Path plain = corpusOrDir.resolve("corpus.jsonl");
      return Files.exists(plain) ? plain : corpusOrDir.resolve("corpus.jsonl.gz");
    }
    return corpusOrDir;
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (backend.elasticsearch()) {
      return indexIntoElasticsearch(out);
    }
    checkIndexPath(index);
    Path file = corpusFile(corpus);
    CorpusReader.InvalidPolicy policy = invalid.policy();
    long lines = countLines(file);
    IndexConfig config = model.indexConfig(passages, overwrite, chunk, commitEvery);
    boolean created = !Files.exists(index);
    Indexer indexer = model.openIndexer(index, config, () -> CorpusReader.stream(file, policy));
    CorpusReader reader = new CorpusReader(file, policy);
    IndexManifest m = build(indexer, reader, lines, forceMerge, created);
    printSummary(out, indexer.report(), m, reader);
    return 0;
  }

  /**
   * The corpus into an Elasticsearch index. A failed build is not rolled back (Elasticsearch has no rollback): what
   * reached the cluster stays, the manifest keeps its last commit's counts, and a rerun replaces documents by id.
   */
  private int indexIntoElasticsearch(PrintWriter out) {
    if (forceMerge) {
      throw new IllegalArgumentException("--force-merge is for a Lucene index; Elasticsearch merges by itself");
    }
    String name = BackendOptions.indexName(index);
    Path file = corpusFile(corpus);
    CorpusReader.InvalidPolicy policy = invalid.policy();
    long lines = countLines(file);
    if (backend.serverSideEmbedding) {
      return indexThroughPipeline(out, name, file, policy, lines);
    }
    IndexConfig config = model.indexConfig(passages, overwrite, chunk, commitEvery);
    try (ElasticsearchConnection connection = backend.connect();
        ElasticsearchIndexer indexer = ElasticsearchIndexer.create(connection, name, config, esIndex.options(),
            () -> CorpusReader.stream(file, policy), dev.attnir.core.ProgressListener.none());
        CorpusReader reader = new CorpusReader(file, policy)) {
      IndexManifest m;
      try (Progress progress = new Progress("Indexing", lines, "passages")) {
        m = indexer.addAllAndCommit(reader.stream(), progress);
      }
      out.printf(Locale.ROOT, "Indexed %,d documents read (%,d in index, %,d passages) into %s in %.1f s%n",
          indexer.documents(), m.documents(), m.passageCount(), indexer.where(), indexer.seconds());
      if (reader.skipped() > 0) {
        out.printf(Locale.ROOT, "Skipped %,d invalid documents; first reasons:%n", reader.skipped());
        reader.skippedReasons().forEach(r -> out.println("  " + r));
      }
      out.flush();
      return 0;
    }
  }

  /**
   * {@code --server-side-embedding}: documents sent as text to an existing attnir index and embedded by the cluster
   * (the plugin's ingest pipeline), as the index's manifest says; nothing is encoded here. Committed every
   * {@code --commit-every} documents and at the end (the manifest's counts and fingerprint recomputed).
   */
  private int indexThroughPipeline(PrintWriter out, String name, Path file, CorpusReader.InvalidPolicy policy,
      long lines) {
    if (overwrite) {
      throw new IllegalArgumentException("--overwrite cannot go with --server-side-embedding: the cluster embeds "
          + "into an existing index as its manifest says; create a new one without --server-side-embedding");
    }
    long started = System.nanoTime();
    long documents = 0;
    long sinceCommit = 0;
    try (ElasticsearchConnection connection = backend.connect();
        ElasticsearchIndexWriter writer = ElasticsearchIndexWriter.openForPipeline(connection, name,
            esIndex.options());
        CorpusReader reader = new CorpusReader(file, policy);
        Progress progress = new Progress("Sending", lines, "documents")) {
      java.util.Iterator<dev.attnir.core.Document> it = reader.stream().iterator();
      java.util.List<dev.attnir.core.Document> batch = new java.util.ArrayList<>();
      while (it.hasNext()) {
        batch.add(it.next());
        if (batch.size() >= chunk || !it.hasNext()) {
          writer.addAsText(batch);
          progress.advance(batch.size());
          documents += batch.size();
          sinceCommit += batch.size();
          batch.clear();
          if (commitEvery > 0 && sinceCommit >= commitEvery) {
            writer.commit();
            sinceCommit = 0;
          }
        }
      }
      IndexManifest m = writer.commit();
      out.printf(Locale.ROOT, "Sent %,d documents read (%,d in index, %,d passages) to %s, embedded by the "
          + "cluster, in %.1f s%n", documents, m.documents(), m.passageCount(), writer.where(),
          (System.nanoTime() - started) / 1e9);
      if (reader.skipped() > 0) {
        out.printf(Locale.ROOT, "Skipped %,d invalid documents; first reasons:%n", reader.skipped());
        reader.skippedReasons().forEach(r -> out.println("  " + r));
      }
      out.flush();
      return 0;
    }
  }

  /**
   * Adds the corpus and commits. A build that fails (an invalid document, a model error) is rolled back rather than
   * committed, so the index keeps exactly its last commit, and the user is told what that holds: the documents of
   * earlier periodic commits ({@code --commit-every}) or of earlier runs, or nothing, in which case a directory this run
   * created is removed instead of being left holding only a lock file.
   */
  static IndexManifest build(Indexer indexer, CorpusReader reader, long lines, boolean forceMerge,
      boolean created) {
    IndexManifest before = indexer.manifest();
    try (reader; Progress progress = new Progress("Indexing", lines, "passages")) {
      indexer.addAll(reader.stream(), lines, progress);
      IndexManifest m = forceMerge ? indexer.forceMerge(1) : indexer.commit();
      indexer.close();
      return m;
    } catch (RuntimeException e) {
      IndexManifest last = indexer.manifest();
      long read = indexer.report().documents();
      indexer.rollback();
      Path dir = indexer.path();
      boolean committed = last != before; // a periodic commit (--commit-every) of this run
      if (created && !committed) {
        deleteQuietly(dir);
        CliNote.attach(e, String.format(Locale.ROOT, "The build failed after %,d documents; nothing was committed and "
            + "%s was removed.", read, dir));
      } else if (indexer.config().overwrite() && !committed) {
        CliNote.attach(e, String.format(Locale.ROOT, "The rebuild failed after %,d documents read and was discarded; "
            + "the index at %s is as it was.", read, dir));
      } else {
        CliNote.attach(e, String.format(Locale.ROOT, "The build failed after %,d documents read; the index at %s "
            + "keeps its last commit: %,d documents (a rerun adds the rest; documents already in the index are "
            + "replaced).", read, dir, last == null ? 0 : last.documents()));
      }
      throw e;
    }
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException ignored) {
      // best effort: the directory held no committed index
    }
  }

  /**
   * Refuses an index path that is, or lies under, something other than a directory. Checked before anything is
   * opened, so that the file is left alone and the user gets one line naming it instead of a stack trace.
   */
  static void checkIndexPath(Path index) {
    if (Files.exists(index) && !Files.isDirectory(index)) {
      throw new IllegalArgumentException("--index " + index + " is a file, not a directory");
    }
    for (Path p = index.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
      if (Files.exists(p)) {
        if (!Files.isDirectory(p)) {
          throw new IllegalArgumentException("--index " + index + ": " + p + " is a file, not a directory");
        }
        break;
      }
    }
  }

  static void printSummary(PrintWriter out, Indexer.Report report, IndexManifest m, CorpusReader reader) {
    out.printf(Locale.ROOT, "Indexed %,d documents read (%,d in index, %,d passages) in %.1f s%n",
        report.documents(), m.documents(), m.passageCount(), report.seconds());
    if (reader.skipped() > 0) {
      out.printf(Locale.ROOT, "Skipped %,d invalid documents; first reasons:%n", reader.skipped());
      reader.skippedReasons().forEach(r -> out.println("  " + r));
    }
    if (reader.titleOnly() > 0) {
      out.printf(Locale.ROOT, "%,d %s a title and no text, indexed as %s title (first: %s)%n", reader.titleOnly(),
          reader.titleOnly() == 1 ? "document has" : "documents have", reader.titleOnly() == 1 ? "its" : "their",
          reader.firstTitleOnly());
    }
    if (m.hasVectors()) {
      var e = report.encoding();
      out.printf(Locale.ROOT, "Encoded %,d passages (%,d tokens, %,d padded positions) with %s, pooling %s; "
              + "%,d truncated at %d tokens%n", e.texts(), e.tokens(), e.paddedTokens(), m.embedding().model(),
          m.embedding().pooling(), e.truncated(), m.embedding().maxLength());
    }
    if (m.passages().mode() == PassageSettings.Mode.WINDOW && report.windowsShortened() > 0) {
      out.printf(Locale.ROOT, "%,d %s shorter than %d tokens to fit the model with the title and prefix (the next "
              + "window starts right after, so every token is embedded)%n", report.windowsShortened(),
          report.windowsShortened() == 1 ? "window was cut" : "windows were cut", m.passages().length());
    }
    if (m.passages().mode() == PassageSettings.Mode.AUTO) {
      long split = report.documentsSplit();
      out.printf(Locale.ROOT, "%,d %s longer than the model reads %s cut into windows (passages auto)%n", split,
          split == 1 ? "document" : "documents", split == 1 ? "was" : "were");
    }
    out.flush();
  }

  /** Line count for the progress bar's total (cheap compared with encoding). */
  static long countLines(Path file) {
    if (!Files.isRegularFile(file)) {
      return 0;
    }
    try (var in = file.toString().endsWith(".gz")
        ? new java.util.zip.GZIPInputStream(Files.newInputStream(file)) : Files.newInputStream(file)) {
      long n = 0;
      byte[] buf = new byte[1 << 16];
      for (int r = in.read(buf); r > 0; r = in.read(buf)) {
        for (int i = 0; i < r; i++) {
          if (buf[i] == '\n') {
            n++;
          }
        }
      }
      return n;
    } catch (java.io.IOException e) {
      return 0;
    }
  }
}
