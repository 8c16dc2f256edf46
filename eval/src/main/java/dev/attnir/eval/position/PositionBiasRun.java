package dev.attnir.eval.position;

import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.ProgressListener;
import dev.attnir.eval.data.BeirDataset;
import dev.attnir.eval.data.CorpusReader;
import dev.attnir.eval.data.Qrels;
import dev.attnir.eval.data.TrecRun;
import dev.attnir.eval.metrics.EvaluationResult;
import dev.attnir.eval.metrics.Evaluator;
import dev.attnir.eval.metrics.Ndcg;
import dev.attnir.eval.pipeline.EmbeddingCache;
import dev.attnir.eval.pipeline.PoolingComparison;
import dev.attnir.indexer.Document;
import dev.attnir.indexer.Passage;
import dev.attnir.indexer.PassageIndexWriter;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.indexer.PassageSplitter;
import dev.attnir.indexer.TokenSpanner;
import dev.attnir.indexer.retrieve.Bm25Retriever;
import dev.attnir.indexer.retrieve.ReciprocalRankFusion;
import dev.attnir.indexer.retrieve.ScoredDoc;
import dev.attnir.indexer.search.Bm25Params;
import dev.attnir.indexer.search.LuceneSearchBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs retrieval systems over position-controlled sets and turns every query's nDCG@10 into position-bias statistics.
 *
 * <p>A group is one or more set directories evaluated together (one directory per slot when every query was placed at
 * every slot). Systems: BM25 over whole documents (blind to position, the control), dense retrieval of whole documents
 * (the encoder sees only its first max-length tokens, the common deployment), dense retrieval of the indexer's token
 * windows with max-passage aggregation, and hybrid (RRF of BM25 and windowed dense). Dense systems also report their
 * nDCG@10 on the queries' gold passages alone, the reference the long documents are measured against.
 */
public final class PositionBiasRun {

  /** Retrieval system kinds. */
  public enum Kind {
    BM25,
    DENSE_DOCUMENT,
    DENSE_PASSAGES,
    HYBRID,
    /**
     * Dense retrieval of the passages the set was built from (cut at blank lines, where {@code position-sets} joins
     * them), max-passage: a reference for how much of a windowed system's loss comes from blind window cuts rather
     * than from the distractors. Not a deployable system: it knows the construction.
     */
    DENSE_BOUNDARIES
  }

  /**
   * A system.
   *
   * @param label label in reports
   * @param kind kind
   * @param encoder encoder (dense and hybrid)
   * @param pooling pooling (dense and hybrid)
   * @param windows token windows (passages and hybrid); with several, every document is cut by each and all windows
   *     go into one max-passage index (multi-granularity windows); empty for the other kinds
   */
  public record SystemSpec(String label, Kind kind, OnnxEncoder encoder, Pooling pooling, List<Window> windows) {

    public SystemSpec {
      windows = List.copyOf(windows);
      if ((kind == Kind.DENSE_PASSAGES || kind == Kind.HYBRID) && windows.isEmpty()) {
        throw new IllegalArgumentException(label + ": a passage system needs at least one window");
      }
    }
  }

  /**
   * A token window shape.
   *
   * @param length tokens per window
   * @param stride tokens between window starts
   */
  public record Window(int length, int stride) {

    public Window {
      if (length < 1 || stride < 1 || stride > length) {
        throw new IllegalArgumentException("window " + length + "/" + stride + ": need length >= 1 and "
            + "1 <= stride <= length");
      }
    }

    @Override
    public String toString() {
      return length + "/" + stride;
    }
  }

  /**
   * A system's outcome on a group.
   *
   * @param group group name (e.g. n20)
   * @param system system label
   * @param items per-query outcomes with their spans
   * @param summaries position-bias statistics per bucket and overall
   * @param goldOnlyNdcg10 nDCG@10 on the gold passages alone (NaN for BM25)
   * @param goldOnlyQueries queries that reference averages over (0 for BM25)
   * @param seconds wall time
   */
  public record Result(String group, String system, List<PositionBias.Item> items,
      Map<String, PositionBias.Summary> summaries, double goldOnlyNdcg10, int goldOnlyQueries, double seconds) {}

  private PositionBiasRun() {}

  /** Evaluates every system on a group of set directories. */
  public static List<Result> run(String group, List<Path> sets, List<SystemSpec> systems, EmbeddingCache cache,
      int bootstrap, long seed, Path work, ProgressListener progress) {
    List<Loaded> loaded = sets.stream().map(PositionBiasRun::load).toList();
    List<Result> results = new ArrayList<>();
    Map<String, Map<String, List<ScoredDoc>>> bm25Runs = new LinkedHashMap<>();
    for (SystemSpec s : systems) {
      long t0 = System.nanoTime();
      List<PositionBias.Item> items = new ArrayList<>();
      for (Loaded set : loaded) {
        Map<String, List<ScoredDoc>> ranked = switch (s.kind()) {
          case BM25 -> bm25Runs.computeIfAbsent(set.dir().toString(), k -> bm25(set, work));
          case DENSE_DOCUMENT -> dense(set, s, cache, false, progress);
          case DENSE_PASSAGES -> dense(set, s, cache, true, progress);
          case DENSE_BOUNDARIES -> dense(set, s, cache, false, progress);
          case HYBRID -> {
            Map<String, List<ScoredDoc>> lex = bm25Runs.computeIfAbsent(set.dir().toString(), k -> bm25(set, work));
            Map<String, List<ScoredDoc>> den = dense(set, s, cache, true, progress);
            Map<String, List<ScoredDoc>> fused = new LinkedHashMap<>();
            ReciprocalRankFusion rrf = new ReciprocalRankFusion(60);
            for (String q : set.queries().keySet()) {
              fused.put(q, rrf.fuse(List.of(lex.get(q), den.get(q)), 100));
            }
            yield fused;
          }
        };
        items.addAll(items(set, ranked));
      }
      GoldOnly gold = s.kind() == Kind.BM25 ? new GoldOnly(Double.NaN, 0) : goldOnly(loaded, s, cache);
      results.add(new Result(group, s.label(), items, PositionBias.analyze(items, bootstrap, seed), gold.ndcg10(),
          gold.queries(), (System.nanoTime() - t0) / 1e9));
    }
    return results;
  }

  /** One set directory in memory. */
  record Loaded(Path dir, List<Document> docs, Map<String, String> queries, Qrels qrels,
      Map<String, PositionSets.Position> positionByQuery) {}

  static Loaded load(Path dir) {
    BeirDataset ds = BeirDataset.open(dir, "test");
    List<Document> docs = new ArrayList<>();
    try (CorpusReader r = new CorpusReader(ds.corpus(), CorpusReader.InvalidPolicy.FAIL)) {
      for (Document d = r.next(); d != null; d = r.next()) {
        docs.add(d);
      }
    }
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

  private static List<PositionBias.Item> items(Loaded set, Map<String, List<ScoredDoc>> ranked) {
    Map<String, List<TrecRun.Entry>> entries = new LinkedHashMap<>();
    ranked.forEach((q, docs) -> entries.put(q, docs.stream().map(d -> new TrecRun.Entry(d.docId(), d.score()))
        .toList()));
    EvaluationResult r = Evaluator.evaluate(new TrecRun(entries), set.qrels(), List.of(new Ndcg(10)),
        Evaluator.Averaging.ALL_JUDGED);
    List<PositionBias.Item> items = new ArrayList<>();
    for (String q : r.queries()) {
      PositionSets.Position p = set.positionByQuery().get(q);
      items.add(new PositionBias.Item(q + PositionBias.Item.SET_SEPARATOR + set.dir().getFileName(), p.spanStart(),
          p.spanEnd(), p.chars(), p.tokens(), r.value("nDCG@10", q)));
    }
    return items;
  }

  private static Map<String, List<ScoredDoc>> bm25(Loaded set, Path work) {
    Path dir = work.resolve("bm25-" + Integer.toHexString(set.dir().toAbsolutePath().toString().hashCode()));
    try {
      deleteTree(dir);
      PassageSplitter whole = new PassageSplitter(PassageSettings.wholeDocument("whitespace"),
          TokenSpanner.whitespace());
      try (PassageIndexWriter w = PassageIndexWriter.open(dir, "english-porter", whole, null,
          PassageIndexWriter.Mode.OVERWRITE)) {
        w.add(set.docs(), ProgressListener.none());
        w.commit();
      }
      try (LuceneSearchBackend b = LuceneSearchBackend.open(dir)) {
        return new Bm25Retriever(b, Bm25Params.anserini()).retrieveAll(set.queries(), 100, ProgressListener.none());
      } finally {
        deleteTree(dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Map<String, List<ScoredDoc>> dense(Loaded set, SystemSpec s, EmbeddingCache cache, boolean windows,
      ProgressListener progress) {
    OnnxEncoder enc = s.encoder();
    List<PassageSplitter> splitters = new ArrayList<>();
    if (windows) {
      for (Window w : s.windows()) {
        splitters.add(new PassageSplitter(new PassageSettings(PassageSettings.Mode.WINDOW, w.length(), w.stride(),
            false, enc.spec().name()), enc.tokenizer()::contentTokenSpans));
      }
    } else {
      splitters.add(new PassageSplitter(new PassageSettings(PassageSettings.Mode.DOCUMENT, 0, 0, false,
          enc.spec().name()), enc.tokenizer()::contentTokenSpans));
    }
    List<Passage> passages = new ArrayList<>();
    for (Document d : set.docs()) {
      if (s.kind() == Kind.DENSE_BOUNDARIES) {
        passages.addAll(atBlankLines(d));
        continue;
      }
      int ordinal = 0;
      for (PassageSplitter splitter : splitters) {
        for (Passage p : splitter.split(d)) {
          passages.add(new Passage(p.docId(), ordinal++, p.start(), p.end(), p.contents()));
        }
      }
    }
    float[][] docVectors = normalized(enc, cache.embed(enc, List.of(s.pooling()),
        passages.stream().map(Passage::contents).toList(), enc.spec().passagePrefix(), progress).get(0));
    List<String> ids = new ArrayList<>(set.queries().keySet());
    float[][] queryVectors = normalized(enc, cache.embed(enc, List.of(s.pooling()),
        ids.stream().map(set.queries()::get).toList(), enc.spec().queryPrefix(), ProgressListener.none()).get(0));
    TrecRun run = PoolingComparison.search(passages, docVectors, ids, queryVectors, 100);
    Map<String, List<ScoredDoc>> out = new LinkedHashMap<>();
    for (String q : ids) {
      out.put(q, run.ranked(q).stream().map(e -> new ScoredDoc(e.docId(), e.score(), 0)).toList());
    }
    return out;
  }

  /** The document cut at its blank lines: the passages {@code position-sets} joined with "\n\n". */
  static List<Passage> atBlankLines(Document d) {
    List<Passage> out = new ArrayList<>();
    String text = d.text();
    int start = 0;
    while (start <= text.length()) {
      int end = text.indexOf(PositionSetBuilder.SEPARATOR, start);
      if (end < 0) {
        end = text.length();
      }
      if (end > start) {
        out.add(new Passage(d.id(), out.size(), start, end, text.substring(start, end)));
      }
      start = end + PositionSetBuilder.SEPARATOR.length();
    }
    return out;
  }

  /**
   * The same system's nDCG@10 when the corpus is the queries' gold passages alone: per distinct set of queries (a part
   * of a split design; the per-slot sets of one part share their queries), over that part's gold passages, averaged
   * over all queries.
   */
  private static GoldOnly goldOnly(List<Loaded> sets, SystemSpec s, EmbeddingCache cache) {
    Map<java.util.Set<String>, Loaded> parts = new LinkedHashMap<>();
    for (Loaded set : sets) {
      parts.putIfAbsent(set.queries().keySet(), set);
    }
    double sum = 0;
    int count = 0;
    for (Loaded part : parts.values()) {
      EvaluationResult r = goldOnly(part, s, cache);
      for (String q : r.queries()) {
        sum += r.value("nDCG@10", q);
        count++;
      }
    }
    return new GoldOnly(sum / count, count);
  }

  /** Mean nDCG@10 on the gold passages alone, and the number of queries it averages over. */
  private record GoldOnly(double ndcg10, int queries) {}

  private static EvaluationResult goldOnly(Loaded set, SystemSpec s, EmbeddingCache cache) {
    OnnxEncoder enc = s.encoder();
    List<Passage> golds = new ArrayList<>();
    Map<String, Map<String, Integer>> qrels = new LinkedHashMap<>();
    for (Document d : set.docs()) {
      PositionSets.Position p = set.positionByQuery().values().stream().filter(x -> x.docId().equals(d.id()))
          .findFirst().orElseThrow();
      golds.add(new Passage("gold-" + p.queryId(), 0, 0, p.spanEnd() - p.spanStart(),
          d.text().substring(p.spanStart(), p.spanEnd())));
      qrels.put(p.queryId(), Map.of("gold-" + p.queryId(), 1));
    }
    List<String> ids = new ArrayList<>(set.queries().keySet());
    float[][] docVectors = normalized(enc, cache.embed(enc, List.of(s.pooling()),
        golds.stream().map(Passage::contents).toList(), enc.spec().passagePrefix(), ProgressListener.none()).get(0));
    float[][] queryVectors = normalized(enc, cache.embed(enc, List.of(s.pooling()),
        ids.stream().map(set.queries()::get).toList(), enc.spec().queryPrefix(), ProgressListener.none()).get(0));
    TrecRun run = PoolingComparison.search(golds, docVectors, ids, queryVectors, 100);
    return Evaluator.evaluate(run, new Qrels(qrels), List.of(new Ndcg(10)), Evaluator.Averaging.ALL_JUDGED);
  }

  private static float[][] normalized(OnnxEncoder enc, float[][] raw) {
    if (enc.spec().normalize()) {
      for (float[] v : raw) {
        Embedder.l2Normalize(v);
      }
    }
    return raw;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
