package dev.attnir.eval.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A BEIR-format dataset directory: {@code corpus.jsonl}, {@code queries.jsonl} and {@code qrels/<split>.tsv}
 * (each optionally gzipped). Queries are restricted to those judged in the split, in file order.
 *
 * @param dir the dataset directory
 * @param corpus path of the corpus file (streamed by {@link CorpusReader})
 * @param queries judged queries of the split, by id
 * @param qrels judgments of the split
 * @param split split name
 */
public record BeirDataset(Path dir, Path corpus, Map<String, String> queries, Qrels qrels, String split) {

  /**
   * Opens a dataset.
   *
   * @throws InputException when a file is missing, malformed, or the qrels judge a query the queries file lacks
   */
  public static BeirDataset open(Path dir, String split) {
    return open(dir, split, null);
  }

  /**
   * Opens a dataset reading queries from {@code queriesFile} instead of the directory's {@code queries.jsonl} (e.g.
   * SciFact's {@code queries_all_splits.jsonl}, which holds the train claims too).
   */
  public static BeirDataset open(Path dir, String split, Path queriesFile) {
    if (!Files.isDirectory(dir)) {
      throw new InputException(dir, 0, "not a directory (expected a BEIR dataset with corpus.jsonl, "
          + "queries.jsonl and qrels/)");
    }
    Path corpus = find(dir, "corpus.jsonl");
    if (queriesFile == null) {
      queriesFile = find(dir, "queries.jsonl");
    }
    Path qrelsFile = find(dir.resolve("qrels"), split + ".tsv");
    Qrels qrels = Qrels.read(qrelsFile);
    Map<String, String> all = Queries.read(queriesFile);
    Map<String, String> judged = new LinkedHashMap<>();
    for (Map.Entry<String, String> q : all.entrySet()) {
      if (qrels.queries().contains(q.getKey())) {
        judged.put(q.getKey(), q.getValue());
      }
    }
    for (String q : qrels.queries()) {
      if (!all.containsKey(q)) {
        throw new InputException(qrelsFile, 0, "judges query '" + q + "' which is not in " + queriesFile);
      }
    }
    return new BeirDataset(dir, corpus, judged, qrels, split);
  }

  private static Path find(Path dir, String name) {
    Path plain = dir.resolve(name);
    if (Files.isRegularFile(plain)) {
      return plain;
    }
    Path gz = dir.resolve(name + ".gz");
    if (Files.isRegularFile(gz)) {
      return gz;
    }
    throw new InputException(plain, 0, "file not found (nor " + gz.getFileName() + ")");
  }
}
