package dev.attnir.training.rerank;

import dev.attnir.core.Candidate;
import dev.attnir.core.Document;
import dev.attnir.eval.data.BeirDataset;
import dev.attnir.eval.data.CandidateLists;
import dev.attnir.eval.data.CorpusReader;
import dev.attnir.eval.data.Qrels;
import dev.attnir.indexer.SearchHit;
import dev.attnir.indexer.Searcher;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads reranker training lists from the two shapes the training data comes in. */
public final class TrainingData {

  private TrainingData() {}

  /**
   * Lists from a fixed first stage with texts (the TREC DL / MS MARCO layout, {@link CandidateLists}) and its qrels.
   * An item is positive when its grade is at least {@code minPositiveGrade}, negative when not judged or judged 0,
   * and left out (grade -1) in between (TREC DL's "related" grade 1 when positives need 2). Queries without a
   * retrieved positive are dropped: their judged positives have no text here.
   */
  public static List<TrainingList> fromCandidateLists(String source, Path lists, Path qrelsFile,
      int minPositiveGrade) {
    CandidateLists cl = CandidateLists.read(lists);
    Qrels qrels = Qrels.read(qrelsFile);
    List<TrainingList> out = new ArrayList<>();
    for (var q : cl.queries().entrySet()) {
      Map<String, Integer> judged = qrels.of(q.getKey());
      List<TrainingList.Item> items = new ArrayList<>();
      for (Candidate c : cl.candidates().get(q.getKey())) {
        int g = judged.getOrDefault(c.docId(), 0);
        int grade = g >= minPositiveGrade ? g : g <= 0 ? 0 : -1;
        items.add(new TrainingList.Item(c.docId(), c.text(), grade, true));
      }
      TrainingList list = new TrainingList(source, q.getKey(), q.getValue(), items);
      if (!list.positives().isEmpty()) {
        out.add(list);
      }
    }
    return out;
  }

  /**
   * Lists mined from an index of a BEIR dataset: each query's hybrid (BM25 + dense, RRF) top {@code depth} as the
   * first stage, labelled by the split's qrels, with every judged positive the first stage missed appended (not
   * retrieved) with the text the index would give it (title, a space, the body: one passage per document, as the
   * index's {@code auto} passages are for every document that fits the model). Queries without a judged positive in
   * the corpus are dropped.
   *
   * @param exclude query ids that must not be used (e.g. the test split's): refused if any is in the split
   */
  public static List<TrainingList> mined(String source, BeirDataset data, Searcher index, int depth,
      Collection<String> exclude, boolean prependTitle) {
    Set<String> forbidden = new HashSet<>(exclude);
    for (String qid : data.queries().keySet()) {
      if (forbidden.contains(qid) && !data.qrels().of(qid).isEmpty()) {
        throw new IllegalArgumentException(source + ": query " + qid + " of split " + data.split()
            + " is also a held-out/test query; training must never see it");
      }
    }
    Set<String> needed = new HashSet<>();
    for (String qid : data.queries().keySet()) {
      data.qrels().of(qid).forEach((doc, g) -> {
        if (g > 0) {
          needed.add(doc);
        }
      });
    }
    Map<String, String> positiveTexts = new HashMap<>();
    try (var docs = CorpusReader.stream(data.corpus(), CorpusReader.InvalidPolicy.FAIL)) {
      docs.filter(d -> needed.contains(d.id())).forEach(d -> positiveTexts.put(d.id(), contents(d, prependTitle)));
    }
    List<TrainingList> out = new ArrayList<>();
    for (var q : data.queries().entrySet()) {
      Map<String, Integer> judged = data.qrels().of(q.getKey());
      if (judged.values().stream().noneMatch(g -> g > 0)) {
        continue;
      }
      Map<String, TrainingList.Item> items = new LinkedHashMap<>();
      for (SearchHit h : index.search(q.getValue(), depth)) {
        int g = judged.getOrDefault(h.docId(), 0);
        items.putIfAbsent(h.docId(), new TrainingList.Item(h.docId(), h.text(), Math.max(g, 0), true));
      }
      judged.forEach((doc, g) -> {
        if (g > 0 && !items.containsKey(doc) && positiveTexts.containsKey(doc)) {
          items.put(doc, new TrainingList.Item(doc, positiveTexts.get(doc), g, false));
        }
      });
      TrainingList list = new TrainingList(source, q.getKey(), q.getValue(), new ArrayList<>(items.values()));
      if (!list.positives().isEmpty()) {
        out.add(list);
      }
    }
    return out;
  }

  private static String contents(Document d, boolean prependTitle) {
    if (!prependTitle || d.title().isBlank()) {
      return d.text();
    }
    return d.text().isEmpty() ? d.title() : d.title() + " " + d.text();
  }
}
