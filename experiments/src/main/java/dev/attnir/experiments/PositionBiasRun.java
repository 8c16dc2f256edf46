package dev.attnir.experiments;

import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import dev.attnir.core.Ranking;
import dev.attnir.eval.data.BeirDataset;
import dev.attnir.eval.data.CorpusReader;
import dev.attnir.eval.data.Qrels;
import dev.attnir.eval.data.TrecRun;
import dev.attnir.eval.metrics.EvaluationResult;
import dev.attnir.eval.metrics.Evaluator;
import dev.attnir.eval.metrics.Ndcg;
import dev.attnir.eval.position.PositionBias;
import dev.attnir.eval.position.PositionSets;
import dev.attnir.eval.position.SystemResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs retrieval systems ({@link PositionSystem}) over position-controlled sets and turns every query's nDCG@10 into
 * position-bias statistics.
 *
 * <p>A group is one or more set directories evaluated together (one directory per slot when every query was placed at
 * every slot). Each system is opened over each set's documents and retrieves the top 100 for the set's queries.
 * Systems with a gold-only reference (dense ones) also report their nDCG@10 on the queries' gold passages alone, the
 * reference the long documents are measured against.
 */
public final class PositionBiasRun {

  /** Documents retrieved per query. */
  static final int DEPTH = 100;

  private PositionBiasRun() {}

  /** Evaluates every system on a group of set directories. */
  public static List<SystemResult> run(String group, List<Path> sets, List<PositionSystem> systems, int bootstrap,
      long seed, ProgressListener progress) {
    List<Loaded> loaded = sets.stream().map(PositionBiasRun::load).toList();
    List<SystemResult> results = new ArrayList<>();
    for (PositionSystem s : systems) {
      long t0 = System.nanoTime();
      List<PositionBias.Item> items = new ArrayList<>();
      for (Loaded set : loaded) {
        Map<String, Ranking> ranked;
        try (PositionSystem.Opened opened = s.open(set.docs(), progress)) {
          ranked = opened.retriever().retrieveAll(set.queries(), DEPTH, ProgressListener.none());
        }
        items.addAll(items(set, ranked));
      }
      PositionSystem reference = s.goldOnlyReference();
      GoldOnly gold = reference == null ? new GoldOnly(Double.NaN, 0) : goldOnly(loaded, reference);
      results.add(new SystemResult(group, s.label(), items, PositionBias.analyze(items, bootstrap, seed),
          gold.ndcg10(), gold.queries(), (System.nanoTime() - t0) / 1e9));
    }
    return results;
  }

  /** One set directory in memory. */
  record Loaded(Path dir, List<Document> docs, Map<String, String> queries, Qrels qrels,
      Map<String, PositionSets.Position> positionByQuery) {}

  static Loaded load(Path dir) {
    BeirDataset ds = BeirDataset.open(dir, "test");
    List<Document> docs = CorpusReader.readAll(ds.corpus(), CorpusReader.InvalidPolicy.FAIL);
    Map<String, PositionSets.Position> byQuery = new LinkedHashMap<>();
    Map<String, Document> byId = new LinkedHashMap<>();
    docs.forEach(d -> byId.put(d.id(), d));
    for (PositionSets.Position p : PositionSets.read(dir)) {
      Document d = byId.get(p.docId());
      if (d == null || d.text().length() != p.chars()) {
        throw new IllegalArgumentException(dir.resolve("positions.jsonl") + ": " + p.docId()
            + (d == null ? " is not in the corpus" : " has " + d.text().length() + " characters, not " + p.chars()));
      }
      byQuery.put(p.queryId(), p);
    }
    for (String q : ds.queries().keySet()) {
      if (!byQuery.containsKey(q)) {
        throw new IllegalArgumentException(dir + ": query " + q + " has no recorded gold span");
      }
    }
    return new Loaded(dir, docs, ds.queries(), ds.qrels(), byQuery);
  }

  private static List<PositionBias.Item> items(Loaded set, Map<String, Ranking> ranked) {
    EvaluationResult r = Evaluator.evaluate(TrecRun.fromRankings(ranked), set.qrels(), List.of(new Ndcg(10)),
        Evaluator.Averaging.ALL_JUDGED);
    List<PositionBias.Item> items = new ArrayList<>();
    for (String q : r.queries()) {
      PositionSets.Position p = set.positionByQuery().get(q);
      items.add(new PositionBias.Item(q + PositionBias.Item.SET_SEPARATOR + set.dir().getFileName(), p.spanStart(),
          p.spanEnd(), p.chars(), p.tokens(), r.value("nDCG@10", q)));
    }
    return items;
  }

  /**
   * The reference's nDCG@10 when the corpus is the queries' gold passages alone: per distinct set of queries (a part
   * of a split design; the per-slot sets of one part share their queries), over that part's gold passages, averaged
   * over all queries.
   */
  private static GoldOnly goldOnly(List<Loaded> sets, PositionSystem reference) {
    Map<Set<String>, Loaded> parts = new LinkedHashMap<>();
    for (Loaded set : sets) {
      parts.putIfAbsent(set.queries().keySet(), set);
    }
    double sum = 0;
    int count = 0;
    for (Loaded part : parts.values()) {
      EvaluationResult r = goldOnly(part, reference);
      for (String q : r.queries()) {
        sum += r.value("nDCG@10", q);
        count++;
      }
    }
    return new GoldOnly(sum / count, count);
  }

  /** Mean nDCG@10 on the gold passages alone, and the number of queries it averages over. */
  private record GoldOnly(double ndcg10, int queries) {}

  private static EvaluationResult goldOnly(Loaded set, PositionSystem reference) {
    List<Document> golds = new ArrayList<>();
    Map<String, Map<String, Integer>> qrels = new LinkedHashMap<>();
    for (Document d : set.docs()) {
      PositionSets.Position p = set.positionByQuery().values().stream().filter(x -> x.docId().equals(d.id()))
          .findFirst().orElseThrow();
      golds.add(new Document("gold-" + p.queryId(), "", d.text().substring(p.spanStart(), p.spanEnd())));
      qrels.put(p.queryId(), Map.of("gold-" + p.queryId(), 1));
    }
    Map<String, Ranking> ranked;
    try (PositionSystem.Opened opened = reference.open(golds, ProgressListener.none())) {
      ranked = opened.retriever().retrieveAll(set.queries(), DEPTH, ProgressListener.none());
    }
    return Evaluator.evaluate(TrecRun.fromRankings(ranked), new Qrels(qrels), List.of(new Ndcg(10)),
        Evaluator.Averaging.ALL_JUDGED);
  }
}
