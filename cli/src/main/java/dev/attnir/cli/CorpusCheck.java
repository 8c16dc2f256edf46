package dev.attnir.cli;

import dev.attnir.core.Document;
import dev.attnir.eval.data.BeirDataset;
import dev.attnir.eval.data.CorpusReader;
import dev.attnir.indexer.CorpusFingerprint;
import dev.attnir.indexer.IndexManifest;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One pass over a BEIR corpus before evaluating, to catch what would otherwise score 0 without a word: an empty
 * corpus, qrels judging documents the corpus lacks, and an index that holds another corpus than this one.
 */
final class CorpusCheck {

  /** Ids listed in a message before "…". */
  private static final int SHOWN = 5;

  private final BeirDataset ds;
  private final CorpusFingerprint fingerprint;
  private final long skipped;
  private final Set<String> judgedPresent;

  private CorpusCheck(BeirDataset ds, CorpusFingerprint fingerprint, long skipped, Set<String> judgedPresent) {
    this.ds = ds;
    this.fingerprint = fingerprint;
    this.skipped = skipped;
    this.judgedPresent = judgedPresent;
  }

  /** Reads the corpus as indexing would (same invalid-document policy), fingerprinting it. */
  static CorpusCheck scan(BeirDataset ds, CorpusReader.InvalidPolicy policy) {
    Set<String> judged = new HashSet<>();
    for (String q : ds.qrels().queries()) {
      judged.addAll(ds.qrels().of(q).keySet());
    }
    CorpusFingerprint fp = new CorpusFingerprint();
    Set<String> present = new HashSet<>();
    long skipped;
    try (CorpusReader r = new CorpusReader(ds.corpus(), policy)) {
      for (Document d = r.next(); d != null; d = r.next()) {
        fp.add(d);
        if (judged.contains(d.id())) {
          present.add(d.id());
        }
      }
      skipped = r.skipped();
    }
    return new CorpusCheck(ds, fp, skipped, present);
  }

  long documents() {
    return fingerprint.documents();
  }

  String fingerprint() {
    return fingerprint.value();
  }

  /** Refuses an empty corpus: every query would score 0. */
  void requireDocuments() {
    if (documents() == 0) {
      throw new IllegalArgumentException("corpus " + ds.corpus() + " has no documents to evaluate on"
          + (skipped > 0 ? " (all " + skipped + " were invalid and skipped)" : ""));
    }
  }

  /**
   * Warns about judged documents absent from the corpus (they can never be retrieved) and the queries left without a
   * relevant document (they score 0 whatever the retriever); refuses when that is every query, since then the corpus
   * is not the one the qrels were made for.
   */
  void checkJudgments(PrintWriter err) {
    Set<String> absent = new LinkedHashSet<>();
    long absentJudgments = 0;
    List<String> unanswerable = new ArrayList<>();
    int withRelevant = 0;
    for (String q : ds.qrels().queries()) {
      boolean hasRelevant = false;
      boolean relevantPresent = false;
      for (Map.Entry<String, Integer> j : ds.qrels().of(q).entrySet()) {
        boolean present = judgedPresent.contains(j.getKey());
        if (!present) {
          absent.add(j.getKey());
          absentJudgments++;
        }
        if (j.getValue() > 0) {
          hasRelevant = true;
          relevantPresent |= present;
        }
      }
      if (hasRelevant) {
        withRelevant++;
        if (!relevantPresent) {
          unanswerable.add(q);
        }
      }
    }
    if (withRelevant > 0 && unanswerable.size() == withRelevant) {
      throw new IllegalArgumentException("none of the " + withRelevant + " queries of split '" + ds.split()
          + "' has a relevant document in corpus " + ds.corpus() + " (the qrels name " + absent.size()
          + " documents it lacks, e.g. " + sample(absent) + "); every metric would be 0. Are the corpus and qrels "
          + "from the same dataset?");
    }
    if (!absent.isEmpty()) {
      err.println("warning: the qrels of split '" + ds.split() + "' name " + absent.size() + " documents absent from "
          + ds.corpus() + " (" + absentJudgments + " judgments, e.g. " + sample(absent) + "); they cannot be "
          + "retrieved");
    }
    if (!unanswerable.isEmpty()) {
      err.println("warning: " + unanswerable.size() + " of " + withRelevant + " queries have no relevant document in "
          + "the corpus and score 0 on every metric: " + sample(unanswerable));
    }
    err.flush();
  }

  /**
   * Why the index at {@code indexDir} cannot be reused for this corpus, or null when its documents are exactly this
   * corpus's (same count and fingerprint).
   */
  String mismatch(IndexManifest m, Path indexDir) {
    List<String> d = new ArrayList<>();
    if (m.documents() != documents()) {
      d.add("it has " + m.documents() + " documents, the corpus " + documents());
    }
    if (m.corpusFingerprint() == null) {
      d.add("it records no corpus fingerprint (built by an older attnir, or from passages without their documents), "
          + "so its contents cannot be checked");
    } else if (!m.corpusFingerprint().equals(fingerprint())) {
      d.add("its documents' ids, titles or texts differ from the corpus's (fingerprints: index "
          + abbreviate(m.corpusFingerprint()) + ", corpus " + abbreviate(fingerprint()) + ")");
    }
    if (d.isEmpty()) {
      return null;
    }
    return "index at " + indexDir + " does not hold corpus " + ds.corpus() + ": " + String.join("; ", d)
        + ". It was not modified; pass --overwrite to rebuild it, or --output or --index for another directory.";
  }

  private static String abbreviate(String fingerprint) {
    int colon = fingerprint.indexOf(':');
    return fingerprint.substring(0, Math.min(fingerprint.length(), colon + 1 + 12)) + "…";
  }

  private static String sample(Iterable<String> ids) {
    List<String> shown = new ArrayList<>();
    int n = 0;
    for (String id : ids) {
      if (n++ < SHOWN) {
        shown.add(id);
      }
    }
    return String.join(", ", shown) + (n > SHOWN ? ", …" : "");
  }
}
