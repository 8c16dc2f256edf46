package dev.attnir.rerankers.attention;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A reader's attention-basin profile for lists of {@code k} passages: the mean share of the passages' attention that
 * falls on each slot when passages are placed in random orders ("Attention Basin: Why Contextual Position Matters in
 * LLMs"). Stored as JSON with the reader's {@link AttentionReader#identity()} and the focus it was read with, so it is
 * never applied to another reader, list size or focus.
 *
 * @param readerIdentity the reader's identity
 * @param focus which query tokens' attention was read
 * @param share per slot, mean share of the passages' attention (sums to 1)
 * @param stdError per slot, standard error of that mean
 * @param samples contexts averaged
 */
public record SlotProfile(String readerIdentity, AttentionReader.Focus focus, double[] share, double[] stdError,
    int samples) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public SlotProfile {
    if (share.length != stdError.length || share.length == 0) {
      throw new IllegalArgumentException("a profile needs one share and one standard error per slot");
    }
  }

  /** List size. */
  public int k() {
    return share.length;
  }

  /** Slots from most to least attended (ties by slot). */
  public int[] slotsByAttention() {
    Integer[] order = new Integer[share.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> share[a] != share[b] ? Double.compare(share[b], share[a])
        : Integer.compare(a, b));
    int[] out = new int[order.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = order[i];
    }
    return out;
  }

  /** Most attended slot's share over the least attended's. */
  public double maxMinRatio() {
    double max = Double.NEGATIVE_INFINITY;
    double min = Double.POSITIVE_INFINITY;
    for (double v : share) {
      max = Math.max(max, v);
      min = Math.min(min, v);
    }
    return max / min;
  }

  /**
   * Checks that this profile was calibrated for {@code reader}, {@code k} slots and {@code focus}.
   *
   * @throws IllegalArgumentException listing what differs
   */
  public void requireFor(AttentionReader reader, int k, AttentionReader.Focus focus, String where) {
    List<String> differences = new ArrayList<>();
    if (!readerIdentity.equals(reader.identity())) {
      differences.add("reader: profile " + readerIdentity + ", given " + reader.identity());
    }
    if (k != k()) {
      differences.add("list size: profile " + k() + ", given " + k);
    }
    if (focus != this.focus) {
      differences.add("focus: profile " + this.focus + ", given " + focus);
    }
    if (!differences.isEmpty()) {
      throw new IllegalArgumentException("profile " + where + " does not fit: " + String.join("; ", differences));
    }
  }

  /** Writes the profile as JSON. */
  public void write(Path file) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", "attnir-slot-profile/1");
    root.put("reader", readerIdentity);
    root.put("focus", focus.name());
    root.put("k", k());
    root.put("samples", samples);
    ArrayNode s = root.putArray("share");
    ArrayNode e = root.putArray("stdError");
    for (int i = 0; i < share.length; i++) {
      s.add(share[i]);
      e.add(stdError[i]);
    }
    Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
  }

  /**
   * Reads a profile written by {@link #write}.
   *
   * @throws IllegalArgumentException naming the file and the field that is missing or malformed
   */
  public static SlotProfile read(Path file) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": not a JSON slot profile: " + e.getMessage(), e);
    }
    if (!"attnir-slot-profile/1".equals(root.path("format").asText())) {
      throw new IllegalArgumentException(file + ": field 'format' must be attnir-slot-profile/1, got '"
          + root.path("format").asText() + "'");
    }
    int k = root.path("k").asInt(-1);
    JsonNode s = root.path("share");
    JsonNode e = root.path("stdError");
    if (k < 1 || !s.isArray() || s.size() != k || !e.isArray() || e.size() != k) {
      throw new IllegalArgumentException(file + ": fields 'k', 'share' and 'stdError' must agree (k=" + k + ")");
    }
    double[] share = new double[k];
    double[] err = new double[k];
    for (int i = 0; i < k; i++) {
      share[i] = s.get(i).asDouble();
      err[i] = e.get(i).asDouble();
    }
    AttentionReader.Focus focus;
    try {
      focus = AttentionReader.Focus.valueOf(root.path("focus").asText());
    } catch (IllegalArgumentException ex) {
      throw new IllegalArgumentException(file + ": field 'focus' must be one of QUERY, LAST_QUERY_TOKEN, got '"
          + root.path("focus").asText() + "'");
    }
    return new SlotProfile(root.path("reader").asText(), focus, share, err, root.path("samples").asInt());
  }
}
