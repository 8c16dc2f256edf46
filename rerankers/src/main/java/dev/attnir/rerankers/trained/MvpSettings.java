package dev.attnir.rerankers.trained;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The method settings of a multi-view reranker artifact ({@link RerankerArtifact.Header#settings()}, all strings),
 * parsed and checked. Every key is optional; an unknown key is refused (naming it and the known ones), since a setting
 * training used and inference ignored would silently change the scores.
 *
 * <ul>
 *   <li>{@code anchor}: {@code learned} (default; a cross-attention block with the {@code anchor.*} tensors, see
 *       {@link MvpAnchor}) or {@code mean} (the mean of the candidates' view embeddings; no tensors);
 *   <li>{@code anchorHeads}: attention heads H of the learned anchor, default 12; the hidden size must be a multiple;
 *   <li>{@code anchorLnEps}: epsilon of the learned anchor's LayerNorm, default 1e-5;
 *   <li>{@code scoreScale}: factor on every score, default {@code 1/sqrt(d)} (d the hidden size).
 * </ul>
 *
 * @param anchor {@code learned} or {@code mean}
 * @param anchorHeads H
 * @param anchorLnEps the LayerNorm epsilon
 * @param scoreScale the score factor, or NaN for the default {@code 1/sqrt(d)} ({@link #scoreScale(int)})
 */
public record MvpSettings(String anchor, int anchorHeads, double anchorLnEps, double scoreScale) {

  /** The learned cross-attention anchor. */
  public static final String LEARNED = "learned";
  /** The mean anchor. */
  public static final String MEAN = "mean";

  /** The keys an artifact may set. */
  public static final List<String> KEYS = List.of("anchor", "anchorHeads", "anchorLnEps", "scoreScale");

  /** The tensor names of the learned anchor, each {@code [d]} or ({@code .weight} of q, k, v, o) {@code [d, d]}. */
  public static final List<String> LEARNED_TENSORS = List.of("anchor.start", "anchor.q.weight", "anchor.q.bias",
      "anchor.k.weight", "anchor.k.bias", "anchor.v.weight", "anchor.v.bias", "anchor.o.weight", "anchor.o.bias",
      "anchor.ln.weight", "anchor.ln.bias");

  /**
   * Parses an artifact's settings.
   *
   * @param source names the artifact in error messages
   * @throws IllegalArgumentException naming the artifact and the setting when a key is unknown or a value invalid
   */
  public static MvpSettings parse(Map<String, String> settings, String source) {
    TreeSet<String> unknown = new TreeSet<>(settings.keySet());
    KEYS.forEach(unknown::remove);
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(source + ": unknown MVP setting(s) " + unknown + " in the header's settings; "
          + "known: " + String.join(", ", KEYS));
    }
    String anchor = settings.getOrDefault("anchor", LEARNED).trim();
    if (!anchor.equals(LEARNED) && !anchor.equals(MEAN)) {
      throw new IllegalArgumentException(source + ": setting anchor=" + anchor + " is neither " + LEARNED + " nor "
          + MEAN);
    }
    int heads;
    String h = settings.getOrDefault("anchorHeads", "12").trim();
    try {
      heads = Integer.parseInt(h);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(source + ": setting anchorHeads=" + h + " is not an integer", e);
    }
    if (heads < 1) {
      throw new IllegalArgumentException(source + ": setting anchorHeads must be >= 1, got " + heads);
    }
    double eps = number(settings, "anchorLnEps", "1e-5", source);
    if (!(eps > 0) || Double.isInfinite(eps)) {
      throw new IllegalArgumentException(source + ": setting anchorLnEps must be a positive number, got " + eps);
    }
    double scale = settings.containsKey("scoreScale") ? number(settings, "scoreScale", null, source) : Double.NaN;
    if (settings.containsKey("scoreScale") && (!Double.isFinite(scale) || scale == 0)) {
      throw new IllegalArgumentException(source + ": setting scoreScale must be a finite non-zero number, got "
          + scale);
    }
    return new MvpSettings(anchor, heads, eps, scale);
  }

  private static double number(Map<String, String> settings, String key, String fallback, String source) {
    String v = settings.getOrDefault(key, fallback).trim();
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(source + ": setting " + key + "=" + v + " is not a number", e);
    }
  }

  /** Whether the anchor is the learned cross-attention block. */
  public boolean learned() {
    return anchor.equals(LEARNED);
  }

  /** The score factor for hidden size {@code d}: the setting, else {@code 1/sqrt(d)}. */
  public double scoreScale(int d) {
    return Double.isNaN(scoreScale) ? 1 / Math.sqrt(d) : scoreScale;
  }

  /** The anchor tensors the artifact must hold, with their shapes, for hidden size {@code d}. */
  public Map<String, long[]> tensorShapes(int d) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    if (learned()) {
      for (String name : LEARNED_TENSORS) {
        shapes.put(name, name.endsWith(".weight") && !name.startsWith("anchor.ln.") ? new long[] {d, d}
            : new long[] {d});
      }
    }
    return shapes;
  }
}
