package dev.attnir.cli;

import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.TextTokenizer;
import dev.attnir.eval.data.NqOpen;
import dev.attnir.eval.data.NqSplit;
import dev.attnir.eval.position.PositionBias;
import dev.attnir.eval.position.PositionSetBuilder;
import dev.attnir.eval.position.PositionSets;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code attnir position-sets}: position-controlled long documents from NQ-open gold passages. */
@Command(name = "position-sets", mixinStandardHelpOptions = true,
    description = "Build position-controlled sets (after PosIR) from NQ-open: each held-out question's gold passage "
        + "is placed at a chosen slot among N-1 distractors, gold passages of the training questions that contain "
        + "none of its answers. Writes BEIR directories plus positions.jsonl (gold span, slot, length).")
final class PositionSetsCommand implements Callable<Integer> {

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--nq", required = true, paramLabel = "FILE", description = "nq-open-oracle.jsonl(.gz).")
  Path nq;

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output directory (one "
      + "subdirectory per passage count, and per slot with --slots all).")
  Path output;

  @Option(names = "--passages", defaultValue = "10,20", split = ",", paramLabel = "N",
      description = "Passages per document (several allowed). Default: ${DEFAULT-VALUE}.")
  List<Integer> passages;

  @Option(names = "--slots", defaultValue = "stratified", paramLabel = "stratified|random|all|K",
      description = "Gold slot: stratified (every slot equally often), random (seeded per query), all (one set per "
          + "slot, every query at every slot), or a fixed slot K. Default: ${DEFAULT-VALUE}.")
  String slots;

  @Option(names = "--queries", defaultValue = "0", paramLabel = "Q",
      description = "Held-out questions used (0 = all). Default: ${DEFAULT-VALUE}.")
  int queries;

  @Option(names = "--skip-queries", defaultValue = "0", paramLabel = "K",
      description = "Skip the first K usable held-out questions, so that a second set (e.g. one confirming a choice "
          + "made on a first set of K questions) shares no question with the first. Default: ${DEFAULT-VALUE}.")
  int skipQueries;

  @Option(names = "--heldout-fraction", defaultValue = "0.25",
      description = "Share of questions held out for evaluation; the rest supply distractors (and training data "
          + "elsewhere). Default: ${DEFAULT-VALUE}.")
  double heldoutFraction;

  @Option(names = "--split-seed", defaultValue = "7", description = "Seed of the held-out split (as nq-passages). "
      + "Default: ${DEFAULT-VALUE}.")
  long splitSeed;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of slots and distractors. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--match-length", description = "Draw each query's distractors from the 2(N-1) admissible passages "
      + "closest to its gold passage in length, so that with N = 20 the gold at slot k lies in PosIR's bin k and, "
      + "with --slots all, every bin holds the same queries.")
  boolean matchLength;

  @Option(names = "--set-size", defaultValue = "0", paramLabel = "M",
      description = "Split the queries into parts of M, each its own set (per slot with --slots all): the corpus a "
          + "query competes in then holds M long documents however many queries are used (0 = one part). "
          + "Default: ${DEFAULT-VALUE}.")
  int setSize;

  @Option(names = "--tokenizer", defaultValue = ModelRegistry.DEFAULT_MODEL,
      description = "Model whose tokenizer measures document length. Default: ${DEFAULT-VALUE}.")
  String tokenizer;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    NqSplit split = NqSplit.of(NqOpen.read(nq), heldoutFraction, splitSeed);
    if (skipQueries < 0) {
      throw new IllegalArgumentException("--skip-queries must be >= 0, got " + skipQueries);
    }
    // NQ-open has questions that share a gold passage; a document built for one would hold the other's relevant
    // passage verbatim while being judged non-relevant to it, so only the first of them is used.
    List<NqOpen.Question> eval = new ArrayList<>();
    java.util.Set<String> goldPassages = new java.util.HashSet<>();
    int sharing = 0;
    int usable = 0;
    for (NqOpen.Question q : split.heldOut()) {
      if (!goldPassages.add(NqSplit.passageKey(q))) {
        sharing++;
      } else if (usable++ >= skipQueries && (queries == 0 || eval.size() < queries)) {
        eval.add(q);
      }
    }
    if (eval.isEmpty() || queries > eval.size()) {
      throw new IllegalArgumentException("--skip-queries " + skipQueries + " --queries " + queries + " asks for "
          + "more than the " + usable + " held-out questions with distinct gold passages");
    }
    out.printf(Locale.ROOT, "%d held-out questions share their gold passage with an earlier one and are not used%n",
        sharing);
    List<PositionSetBuilder.Query> qs = new ArrayList<>();
    for (NqOpen.Question q : eval) {
      if (q.answers().isEmpty()) {
        throw new IllegalArgumentException("question q" + q.index() + " has no answers to filter distractors with");
      }
      qs.add(new PositionSetBuilder.Query("q" + q.index(), q.question(),
          new PositionSetBuilder.Passage("nq" + q.index(), q.title(), q.passage()), q.answers()));
    }
    Map<String, PositionSetBuilder.Passage> pool = new LinkedHashMap<>();
    for (NqOpen.Question q : split.train()) {
      pool.putIfAbsent(NqSplit.passageKey(q), new PositionSetBuilder.Passage("nq" + q.index(), q.title(), q.passage()));
    }
    if (setSize < 0) {
      throw new IllegalArgumentException("--set-size must be >= 0, got " + setSize);
    }
    List<List<PositionSetBuilder.Query>> parts = new ArrayList<>();
    int partSize = setSize == 0 ? qs.size() : setSize;
    for (int from = 0; from < qs.size(); from += partSize) {
      parts.add(qs.subList(from, Math.min(qs.size(), from + partSize)));
    }
    if (parts.size() > 1 && parts.get(parts.size() - 1).size() < partSize) {
      out.printf(Locale.ROOT, "warning: the last part holds %d queries, not %d (--queries is not a multiple of "
          + "--set-size)%n", parts.get(parts.size() - 1).size(), partSize);
    }
    PositionSetBuilder.DistractorChoice choice = matchLength ? PositionSetBuilder.DistractorChoice.LENGTH_MATCHED
        : PositionSetBuilder.DistractorChoice.RANDOM;
    ModelSpec model = ModelRegistry.resolve(tokenizer);
    try (TextTokenizer tok = TextTokenizer.fromJson(model.source().readTokenizerJson(), 512)) {
      for (int n : passages) {
        List<Map.Entry<String, PositionSetBuilder.Slots>> sets = new ArrayList<>();
        switch (slots.toLowerCase(Locale.ROOT)) {
          case "stratified" -> sets.add(Map.entry("", new PositionSetBuilder.Stratified()));
          case "random" -> sets.add(Map.entry("", new PositionSetBuilder.Random1()));
          case "all" -> {
            for (int k = 0; k < n; k++) {
              sets.add(Map.entry(String.format(Locale.ROOT, "slot-%02d", k), new PositionSetBuilder.Fixed(k)));
            }
          }
          default -> {
            int k;
            try {
              k = Integer.parseInt(slots);
            } catch (NumberFormatException e) {
              throw new IllegalArgumentException("--slots must be stratified, random, all or a slot number, got "
                  + slots);
            }
            sets.add(Map.entry("", new PositionSetBuilder.Fixed(k)));
          }
        }
        List<PositionSetBuilder.Doc> all = new ArrayList<>();
        for (int part = 0; part < parts.size(); part++) {
          for (var set : sets) {
            List<PositionSetBuilder.Doc> docs = PositionSetBuilder.build(parts.get(part),
                new ArrayList<>(pool.values()), n, set.getValue(), seed, t -> tok.contentTokenSpans(t).length, choice);
            String name = (parts.size() > 1 ? "p" + part : "")
                + (parts.size() > 1 && !set.getKey().isEmpty() ? "-" : "") + set.getKey();
            Path dir = output.resolve("n" + n + (name.isEmpty() ? "" : "/" + name));
            PositionSets.write(dir, parts.get(part), docs);
            all.addAll(docs);
            double tokens = docs.stream().mapToInt(PositionSetBuilder.Doc::tokens).average().orElse(0);
            double words = docs.stream().mapToInt(d -> d.text().split("\\s+").length).average().orElse(0);
            out.printf(Locale.ROOT, "%s: %d documents of %d passages, mean %.0f words / %.0f tokens%n", dir,
                docs.size(), n, words, tokens);
          }
        }
        long aligned = all.stream().filter(d -> PositionBias.bin((d.spanStart() + d.spanEnd()) / 2.0
            / d.text().length()) == PositionBias.bin((d.slot() + 0.5) / n)).count();
        out.printf(Locale.ROOT, "n%d: %.1f%% of gold passages lie in the relative-position bin of their slot's centre "
            + "(%d of %d)%n", n, 100.0 * aligned / all.size(), aligned, all.size());
      }
    }
    out.printf(Locale.ROOT, "%d held-out questions, %d distractor passages from %d training questions%n", qs.size(),
        pool.size(), split.train().size());
    out.flush();
    return 0;
  }
}
