package dev.attnir.training.rerank;

import java.util.List;
import java.util.Objects;

/**
 * One training query of a reranker: its candidates with their texts and labels.
 *
 * @param source the dataset it comes from (e.g. {@code scifact}), for per-dataset batches and dev metrics
 * @param qid query id within the source
 * @param query query text
 * @param items candidates in first-stage order (best first) and judged positives the first stage missed
 */
public record TrainingList(String source, String qid, String query, List<Item> items) {

  /**
   * A candidate.
   *
   * @param docId document id
   * @param text what the reranker reads (the indexed passage, title in front)
   * @param grade relevance grade; {@code >= 1} relevant (per the source's threshold, see {@link #positives}),
   *     {@code 0} not relevant or not judged, negative for judged-but-ambiguous items that are neither
   * @param retrieved whether the first stage returned it (a dev list only reranks what was retrieved)
   */
  public record Item(String docId, String text, int grade, boolean retrieved) {
    public Item {
      Objects.requireNonNull(docId, "docId");
      Objects.requireNonNull(text, "text");
    }
  }

  public TrainingList {
    items = List.copyOf(items);
  }

  /** Items with grade {@code >= 1}. */
  public List<Item> positives() {
    return items.stream().filter(i -> i.grade() >= 1).toList();
  }

  /** Items with grade 0, in first-stage order (the hardest first). */
  public List<Item> negatives() {
    return items.stream().filter(i -> i.grade() == 0).toList();
  }

  /** The retrieved items, in first-stage order, at most {@code depth}. */
  public List<Item> retrieved(int depth) {
    return items.stream().filter(Item::retrieved).limit(depth).toList();
  }
}
