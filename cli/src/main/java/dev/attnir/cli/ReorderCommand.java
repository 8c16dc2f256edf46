package dev.attnir.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.attnir.core.Candidate;
import dev.attnir.eval.data.CandidateLists;
import dev.attnir.rerankers.attention.ContextOrders;
import dev.attnir.rerankers.attention.AttentionReader;
import dev.attnir.rerankers.attention.AttentionReaders;
import dev.attnir.rerankers.attention.SlotProfile;
import java.io.BufferedWriter;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code attnir reorder}: AttnRank context orders for a reader. Each query's best {@code k} candidates (in the list's
 * order) are placed so that the best goes to the reader's most attended slot, by a profile from
 * {@code attention-profile}; the output is the context order, not a relevance ranking.
 */
@Command(name = "reorder", mixinStandardHelpOptions = true,
    description = "Place each query's top k candidates in a reader's context by its attention-basin profile "
        + "(AttnRank), or in the U-shape; writes JSONL: qid, slots (doc ids in context order).")
final class ReorderCommand implements Callable<Integer> {

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--candidates", required = true, paramLabel = "FILE", description = "Candidate lists (JSONL), "
      + "best first.")
  Path candidates;

  @Option(names = "--profile", paramLabel = "FILE", description = "A profile from attention-profile (AttnRank).")
  Path profile;

  @Option(names = "--u-shape", description = "The U-shape instead (best at both ends); needs no profile.")
  boolean uShape;

  @Option(names = "--reader", paramLabel = "MODEL|DIR", description = "The reader the context is for; its identity "
      + "must be the profile's.")
  String reader;

  @Option(names = "--max-length", description = "Reader positions (part of its identity). Default: 512 for an "
      + "encoder, the model's positions for a decoder directory.")
  Integer maxLength;

  @Option(names = "--output", required = true, paramLabel = "FILE", description = "JSONL output.")
  Path output;

  @Override
  public Integer call() throws Exception {
    if (uShape == (profile != null)) {
      throw new IllegalArgumentException("give either --profile FILE (AttnRank) or --u-shape");
    }
    SlotProfile p = null;
    int k;
    if (profile != null) {
      if (reader == null) {
        throw new IllegalArgumentException("--profile needs --reader: the profile is checked against the reader");
      }
      p = SlotProfile.read(profile);
      try (AttentionReader r = AttentionReaders.open(reader, maxLength == null ? OptionalInt.empty()
        : OptionalInt.of(maxLength))) {
        p.requireFor(r, p.k(), p.focus(), profile.toString());
      }
      k = p.k();
    } else {
      k = Integer.MAX_VALUE;
    }
    CandidateLists lists = CandidateLists.read(candidates);
    ObjectMapper json = new ObjectMapper();
    int written = 0;
    try (BufferedWriter w = Files.newBufferedWriter(output)) {
      for (var e : lists.candidates().entrySet()) {
        List<Candidate> cs = e.getValue();
        if (p != null && cs.size() < k) {
          throw new IllegalArgumentException(candidates + ": query " + e.getKey() + " has " + cs.size()
              + " candidates, the profile places k=" + k);
        }
        List<String> best = cs.subList(0, Math.min(k, cs.size())).stream().map(Candidate::docId).toList();
        List<String> slots = p != null ? ContextOrders.attnRank(best, p) : ContextOrders.uShape(best);
        ObjectNode line = json.createObjectNode();
        line.put("qid", e.getKey());
        ArrayNode a = line.putArray("slots");
        slots.forEach(a::add);
        w.write(json.writeValueAsString(line));
        w.newLine();
        written++;
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "Wrote %d context orders (%s) to %s%n", written,
        p != null ? "AttnRank, k=" + k : "U-shape", output);
    out.flush();
    return 0;
  }
}
