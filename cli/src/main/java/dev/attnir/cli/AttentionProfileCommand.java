package dev.attnir.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.attnir.eval.data.BeirDataset;
import dev.attnir.experiments.AttnRankStudy;
import dev.attnir.indexer.Searcher;
import dev.attnir.rerankers.attention.AttentionReader;
import dev.attnir.rerankers.attention.AttentionReaders;
import dev.attnir.rerankers.attention.SlotProfile;
import dev.attnir.rerankers.attention.SlotProfiler;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code attnir attention-profile}: calibrates a reader's attention-basin profile for lists of k passages on one split
 * of a BEIR-style dataset (the index's dense top k per question, in random orders) and, with
 * {@code --evaluate-split}, measures AttnRank against retrieval order and the U-shape on another split.
 */
@Command(name = "attention-profile", mixinStandardHelpOptions = true,
    description = "Calibrate a reader's attention-basin profile (attention share per slot for k passages) and, "
        + "optionally, measure AttnRank's gold-passage attention share against retrieval order and the U-shape.")
final class AttentionProfileCommand implements Callable<Integer> {

  /**
   * Contexts per encoder run: a 512-token read of a 12-layer reader returns 12 x 12 x 512 x 512 attention floats
   * (150 MB, copied once more into Java), so 8 contexts at a time took 10 GB; 2 keep it near 1 GB.
   */
  private static final int CONTEXTS_PER_RUN = 2;

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--reader", defaultValue = "bge-small-en-v1.5", paramLabel = "MODEL|DIR",
      description = "Reader: an encoder (name or directory) or a causal LM's directory (model.onnx, tokenizer.json, "
          + "config.json). Default: ${DEFAULT-VALUE}.")
  String reader;

  @Option(names = "--max-length", description = "Reader positions. Default: 512 for an encoder, the model's "
      + "positions for a decoder directory.")
  Integer maxLength;

  @Option(names = "--k", defaultValue = "5", description = "Passages per context. Default: ${DEFAULT-VALUE}.")
  int k;

  @Option(names = "--focus", defaultValue = "query", description = "query or last (query token). "
      + "Default: ${DEFAULT-VALUE}.")
  String focus;

  @Option(names = "--beir", required = true, paramLabel = "DIR", description = "BEIR-style dataset (queries, qrels).")
  Path beir;

  @Option(names = "--index", required = true, paramLabel = "DIR", description = "A dense index of its corpus.")
  Path index;

  @Option(names = "--calibration-split", defaultValue = "train", description = "Default: ${DEFAULT-VALUE}.")
  String calibrationSplit;

  @Option(names = "--calibration-queries", defaultValue = "200", description = "Default: ${DEFAULT-VALUE}.")
  int calibrationQueries;

  @Option(names = "--orders", defaultValue = "2", description = "Random orders per calibration query. "
      + "Default: ${DEFAULT-VALUE}.")
  int orders;

  @Option(names = "--evaluate-split", paramLabel = "SPLIT", description = "Also evaluate AttnRank on this split.")
  String evaluateSplit;

  @Option(names = "--queries", defaultValue = "300", description = "Evaluation questions at most. "
      + "Default: ${DEFAULT-VALUE}.")
  int queries;

  @Option(names = "--bootstrap", defaultValue = "10000", description = "Default: ${DEFAULT-VALUE}.")
  int bootstrap;

  @Option(names = "--seed", defaultValue = "1", description = "Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "profile.json (and attnrank.json).")
  Path output;

  @Override
  public Integer call() throws Exception {
    OptionChecks.atLeast("--k", k, 1);
    AttentionReader.Focus f = switch (focus.toLowerCase(Locale.ROOT)) {
      case "query" -> AttentionReader.Focus.QUERY;
      case "last" -> AttentionReader.Focus.LAST_QUERY_TOKEN;
      default -> throw new IllegalArgumentException("--focus must be query or last, got '" + focus + "'");
    };
    if (calibrationSplit.equals(evaluateSplit)) {
      throw new IllegalArgumentException("--calibration-split and --evaluate-split must differ (both " + evaluateSplit
          + "): a profile is calibrated on questions it is not evaluated on");
    }
    Files.createDirectories(output);
    PrintWriter out = spec.commandLine().getOut();
    ObjectMapper json = new ObjectMapper();
    try (AttentionReader r = AttentionReaders.open(reader, maxLength == null ? OptionalInt.empty()
        : OptionalInt.of(maxLength)); Searcher searcher = Searcher.open(index)) {
      BeirDataset calibration = BeirDataset.open(beir, calibrationSplit);
      List<AttnRankStudy.Item> calItems = AttnRankStudy.items(searcher, calibration.queries(), calibration.qrels(), k,
          calibrationQueries);
      List<SlotProfiler.Item> profileItems = new ArrayList<>();
      for (AttnRankStudy.Item item : calItems) {
        profileItems.add(new SlotProfiler.Item(item.query(), item.bestFirst()));
      }
      SlotProfile profile = SlotProfiler.calibrate(r, f, k, profileItems, orders, seed, CONTEXTS_PER_RUN);
      profile.write(output.resolve("profile.json"));
      out.printf(Locale.ROOT, "Profile of %s, k=%d, focus %s, from %d contexts (%d %s questions x %d orders):%n",
          r.name(), k, f, profile.samples(), calItems.size(), calibrationSplit, orders);
      int[] byAttention = profile.slotsByAttention();
      for (int s = 0; s < k; s++) {
        out.printf(Locale.ROOT, "  slot %2d  share %.4f ± %.4f%n", s + 1, profile.share()[s], profile.stdError()[s]);
      }
      out.printf(Locale.ROOT, "  most attended slot %d, least %d, ratio %.3f%n", byAttention[0] + 1,
          byAttention[k - 1] + 1, profile.maxMinRatio());
      if (evaluateSplit != null) {
        BeirDataset eval = BeirDataset.open(beir, evaluateSplit);
        List<AttnRankStudy.Item> items = AttnRankStudy.items(searcher, eval.queries(), eval.qrels(), k, queries);
        AttnRankStudy.Result result = AttnRankStudy.evaluate(r, f, profile, items, bootstrap, seed, CONTEXTS_PER_RUN);
        out.printf(Locale.ROOT, "Gold passage's attention share on %d %s questions (gold retrieved in the top %d for "
            + "%d; put in slot %d otherwise):%n", result.items(), evaluateSplit, k, result.goldRetrieved(), k);
        for (AttnRankStudy.OrderResult o : result.orders()) {
          out.printf(Locale.ROOT, "  %-10s %.4f [%.4f, %.4f]%n", o.order(), o.mean(), o.low(), o.high());
        }
        for (AttnRankStudy.Difference d : result.differences()) {
          out.printf(Locale.ROOT, "  %s - %s  %+.4f [%+.4f, %+.4f]%n", d.order(), d.baseline(), d.mean(), d.low(),
              d.high());
        }
        double[] sortedLast = AttnRankStudy.goldLastAfterSorting(r, AttentionReader.Focus.LAST_QUERY_TOKEN, items, 3);
        out.printf(Locale.ROOT, "Attention sorting (last query token) from retrieval order: gold in the last slot "
            + "before %.3f, after round 1 %.3f, 2 %.3f, 3 %.3f%n", sortedLast[0], sortedLast[1], sortedLast[2],
            sortedLast[3]);
        ObjectNode root = json.createObjectNode();
        root.set("goldLastAfterSortingRounds", json.valueToTree(sortedLast));
        root.put("reader", r.identity());
        root.put("k", k);
        root.put("focus", f.name());
        root.put("split", evaluateSplit);
        root.put("items", result.items());
        root.put("goldRetrieved", result.goldRetrieved());
        root.set("orders", json.valueToTree(result.orders()));
        root.set("differences", json.valueToTree(result.differences()));
        Files.writeString(output.resolve("attnrank.json"), json.writerWithDefaultPrettyPrinter()
            .writeValueAsString(root));
      }
    }
    out.flush();
    return 0;
  }
}
