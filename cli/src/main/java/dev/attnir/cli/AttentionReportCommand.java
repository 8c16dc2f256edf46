package dev.attnir.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.eval.position.AttentionBasinCharts;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code attnir attention-report}: charts and tables from the output directories of {@code attention-profile}: per
 * list size k, every reader's attention-basin profile on one chart, and the gold passage's attention share under
 * retrieval order, the U-shape and AttnRank.
 */
@Command(name = "attention-report", mixinStandardHelpOptions = true,
    description = "Charts (PNG) and a Markdown summary of attention-profile runs: attention-basin profiles per k and "
        + "AttnRank's gold-passage share against its baselines.")
final class AttentionReportCommand implements Callable<Integer> {

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "DIR", arity = "1..*", description = "attention-profile output directories "
      + "(profile.json, optionally attnrank.json).")
  List<Path> inputs;

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Where the charts and report.md go.")
  Path output;

  private record Run(Path dir, String reader, int k, JsonNode profile, JsonNode attnrank) {}

  @Override
  public Integer call() throws IOException {
    ObjectMapper json = new ObjectMapper();
    Map<Integer, List<Run>> byK = new TreeMap<>();
    for (Path dir : inputs) {
      Path profileFile = dir.resolve("profile.json");
      if (!Files.isRegularFile(profileFile)) {
        throw new IllegalArgumentException(dir + ": no profile.json (is it an attention-profile --output directory?)");
      }
      JsonNode profile = json.readTree(profileFile.toFile());
      for (String field : List.of("reader", "k", "share", "stdError")) {
        if (!profile.hasNonNull(field)) {
          throw new IllegalArgumentException(profileFile + ": field '" + field + "' is missing");
        }
      }
      int slots = profile.get("share").size();
      if (!profile.get("share").isArray() || slots == 0 || !profile.get("stdError").isArray()
          || profile.get("stdError").size() != slots || profile.get("k").asInt() != slots) {
        throw new IllegalArgumentException(profileFile + ": 'share' and 'stdError' must be arrays of k = "
            + profile.get("k").asInt() + " values");
      }
      String focus = profile.path("focus").asText("QUERY");
      Path attnrankFile = dir.resolve("attnrank.json");
      JsonNode attnrank = Files.isRegularFile(attnrankFile) ? json.readTree(attnrankFile.toFile()) : null;
      int k = profile.get("k").asInt();
      if (attnrank != null && (attnrank.path("k").asInt() != k
          || !attnrank.path("reader").asText().equals(profile.get("reader").asText())
          || !attnrank.path("focus").asText(focus).equals(focus))) {
        throw new IllegalArgumentException(attnrankFile + ": its reader, k or focus differ from " + profileFile);
      }
      if (attnrank != null && !attnrank.path("orders").isArray()) {
        throw new IllegalArgumentException(attnrankFile + ": field 'orders' is missing");
      }
      String label = shortName(profile.get("reader").asText()) + (focus.equals("QUERY") ? "" : " (" + focus
          .toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ")");
      byK.computeIfAbsent(k, x -> new ArrayList<>()).add(new Run(dir, label, k, profile, attnrank));
    }
    Files.createDirectories(output);
    StringBuilder md = new StringBuilder("# Attention-basin profiles and AttnRank\n\nFrom "
        + inputs.size() + " attention-profile runs. Share: each slot's mean share of the passages' attention (the "
        + "profile's calibration questions and orders); gold share: the gold passage's share of attention on the "
        + "evaluation questions, 95% bootstrap intervals.\n");
    for (Map.Entry<Integer, List<Run>> e : byK.entrySet()) {
      int k = e.getKey();
      List<AttentionBasinCharts.Basin> basins = new ArrayList<>();
      md.append("\n## k = ").append(k).append("\n\n![profiles](basin-k").append(k).append(".png)\n\n")
          .append("| reader | share per slot (first → last) | most / least attended slot | ratio |\n|---|---|---|---|\n");
      for (Run run : e.getValue()) {
        double[] share = doubles(run.profile().get("share"));
        basins.add(new AttentionBasinCharts.Basin(run.reader(), share, doubles(run.profile().get("stdError"))));
        int most = 0;
        int least = 0;
        StringBuilder shares = new StringBuilder();
        for (int s = 0; s < share.length; s++) {
          most = share[s] > share[most] ? s : most;
          least = share[s] < share[least] ? s : least;
          shares.append(String.format(Locale.ROOT, "%s%.3f", s == 0 ? "" : " ", share[s]));
        }
        md.append(String.format(Locale.ROOT, "| %s | %s | %d / %d | %.2f |%n", run.reader(), shares, most + 1,
            least + 1, share[most] / share[least]));
      }
      AttentionBasinCharts.basins(output.resolve("basin-k" + k + ".png"), "Attention-basin profiles, k = " + k,
          basins);
      List<AttentionBasinCharts.OrderShares> rows = new ArrayList<>();
      for (Run run : e.getValue()) {
        if (run.attnrank() == null) {
          continue;
        }
        List<String> orders = new ArrayList<>();
        JsonNode list = run.attnrank().get("orders");
        double[] mean = new double[list.size()];
        double[] low = new double[list.size()];
        double[] high = new double[list.size()];
        for (int o = 0; o < list.size(); o++) {
          orders.add(list.get(o).get("order").asText());
          mean[o] = list.get(o).get("mean").asDouble();
          low[o] = list.get(o).get("low").asDouble();
          high[o] = list.get(o).get("high").asDouble();
        }
        if (!rows.isEmpty() && !rows.get(0).orders().equals(orders)) {
          throw new IllegalArgumentException(run.dir() + ": attnrank.json compares " + orders + ", others "
              + rows.get(0).orders());
        }
        rows.add(new AttentionBasinCharts.OrderShares(run.reader(), orders, mean, low, high));
      }
      if (!rows.isEmpty()) {
        AttentionBasinCharts.orders(output.resolve("attnrank-k" + k + ".png"),
            "Gold passage's attention share by context order, k = " + k, rows);
        md.append("\n![AttnRank](attnrank-k").append(k).append(".png)\n\n| reader |");
        rows.get(0).orders().forEach(o -> md.append(' ').append(o).append(" |"));
        md.append("\n|---|").append("---|".repeat(rows.get(0).orders().size())).append('\n');
        for (AttentionBasinCharts.OrderShares r : rows) {
          md.append("| ").append(r.reader()).append(" |");
          for (int o = 0; o < r.mean().length; o++) {
            md.append(String.format(Locale.ROOT, " %.4f [%.4f, %.4f] |", r.mean()[o], r.low()[o], r.high()[o]));
          }
          md.append('\n');
        }
      }
    }
    Files.writeString(output.resolve("report.md"), md.toString());
    PrintWriter out = spec.commandLine().getOut();
    out.println("Wrote " + output.resolve("report.md") + " and " + byK.size() + " list sizes' charts");
    out.flush();
    return 0;
  }

  /** "encoder:e5-small-v2,onnx-sha256=..." → "e5-small-v2". */
  static String shortName(String identity) {
    String s = identity.contains(":") ? identity.substring(identity.indexOf(':') + 1) : identity;
    return s.contains(",") ? s.substring(0, s.indexOf(',')) : s;
  }

  private static double[] doubles(JsonNode array) {
    double[] out = new double[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asDouble();
    }
    return out;
  }
}
