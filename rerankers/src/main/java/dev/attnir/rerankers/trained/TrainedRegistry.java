package dev.attnir.rerankers.trained;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.encoders.Digests;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The shipped trained rerankers: every classpath resource {@value #RESOURCE} (this module ships one; another jar may
 * add its own), a JSON object mapping a reranker name to its entry:
 * <pre>
 *   { "cross-encoder-minilm": { "file": "cross-encoder-minilm.rrk", "sha256": "…", "description": "…" } }
 * </pre>
 * {@code file} is a {@link RerankerArtifact} resource in the same directory as the registry, {@code sha256} the
 * lower-case hex SHA-256 of its bytes (checked on every read), {@code description} one line for help texts. Adding a
 * shipped reranker is adding an entry and putting its file beside the registry; the name then works everywhere
 * ({@code Rerankers.create("cross-encoder-minilm")}, {@code --rerank cross-encoder-minilm}) through
 * {@link TrainedRerankerFactory}.
 *
 * <p>A name is letters, digits, {@code .}, {@code _} and {@code -} (it must survive the reranker spec syntax
 * {@code name:k=v,...}); a file name has no directory part. Unknown entry fields, missing fields, malformed digests
 * and a name registered twice (in one or two registries) are refused, naming the registry.
 */
public final class TrainedRegistry {

  /** The registry's resource name. */
  public static final String RESOURCE = "dev/attnir/rerankers/trained/registry.json";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Set<String> FIELDS = Set.of("file", "sha256", "description");

  /**
   * One shipped reranker.
   *
   * @param name the name users select it by
   * @param file the artifact's file name beside the registry
   * @param sha256 the expected SHA-256 of the file
   * @param description one line for help texts
   * @param location the artifact's URL
   */
  public record Entry(String name, String file, String sha256, String description, URL location) {}

  private final Map<String, Entry> entries;

  private TrainedRegistry(Map<String, Entry> entries) {
    this.entries = Collections.unmodifiableMap(entries);
  }

  /**
   * The registries on the classpath, merged.
   *
   * @throws IllegalStateException when one is malformed (a packaging error), naming it
   */
  public static TrainedRegistry shipped() {
    List<URL> urls = new ArrayList<>();
    try {
      ClassLoader loader = TrainedRegistry.class.getClassLoader();
      for (Iterator<URL> it = loader.getResources(RESOURCE).asIterator(); it.hasNext(); ) {
        urls.add(it.next());
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list the trained reranker registries (" + RESOURCE + "): "
          + e.getMessage(), e);
    }
    return of(urls);
  }

  /** The registries at these URLs (each file resolved beside its registry), merged in order. */
  static TrainedRegistry of(List<URL> registries) {
    Map<String, Entry> entries = new LinkedHashMap<>();
    ObjectMapper json = new ObjectMapper();
    for (URL url : registries) {
      JsonNode root;
      try (InputStream in = url.openStream()) {
        root = json.readTree(in);
      } catch (IOException e) {
        throw new IllegalStateException("trained reranker registry " + url + " is unreadable: " + e.getMessage(), e);
      }
      if (root == null || !root.isObject()) {
        throw new IllegalStateException("trained reranker registry " + url + " is not a JSON object");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        Entry entry = entry(url, e.getKey(), e.getValue());
        Entry previous = entries.putIfAbsent(entry.name(), entry);
        if (previous != null) {
          throw new IllegalStateException("trained reranker " + entry.name() + " is registered twice: "
              + previous.location() + " and " + entry.location());
        }
      }
    }
    return new TrainedRegistry(entries);
  }

  @SuppressWarnings("deprecation") // URL(URL, String) is the one way to resolve beside a jar: URL (opaque as a URI)
  private static Entry entry(URL registry, String name, JsonNode node) {
    String where = "trained reranker registry " + registry + ", entry " + name;
    if (!NAME.matcher(name).matches()) {
      throw new IllegalStateException(where + ": a name is letters, digits, '.', '_' and '-'");
    }
    if (!node.isObject()) {
      throw new IllegalStateException(where + ": not a JSON object");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!FIELDS.contains(field)) {
        throw new IllegalStateException(where + ": unknown field " + field + "; known: file, sha256, description");
      }
    }
    String file = text(node, "file", where);
    String sha = text(node, "sha256", where).toLowerCase(Locale.ROOT);
    String description = text(node, "description", where);
    if (file.contains("/") || file.contains("\\") || file.startsWith(".")) {
      throw new IllegalStateException(where + ": file " + file + " must be a plain file name beside the registry");
    }
    if (!SHA256.matcher(sha).matches()) {
      throw new IllegalStateException(where + ": sha256 " + sha + " is not 64 hex digits");
    }
    try {
      return new Entry(name, file, sha, description, new URL(registry, file));
    } catch (MalformedURLException e) {
      throw new IllegalStateException(where + ": file " + file + ": " + e.getMessage(), e);
    }
  }

  private static String text(JsonNode node, String field, String where) {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw new IllegalStateException(where + ": field " + field + " is missing or not a non-empty string");
    }
    return v.asText().trim();
  }

  /** The registered names, in registry order. */
  public List<String> names() {
    return List.copyOf(entries.keySet());
  }

  /** The entries by name, in registry order. */
  public Map<String, Entry> entries() {
    return entries;
  }

  /**
   * An entry.
   *
   * @throws IllegalArgumentException for an unknown name, listing the registered ones
   */
  public Entry entry(String name) {
    Entry e = entries.get(name);
    if (e == null) {
      throw new IllegalArgumentException("no trained reranker " + name + " is shipped; shipped: "
          + (entries.isEmpty() ? "none" : String.join(", ", entries.keySet())));
    }
    return e;
  }

  /**
   * Reads a shipped artifact, checking its digest.
   *
   * @throws IllegalArgumentException for an unknown name, a missing file, or a digest mismatch (naming the file, the
   *     expected and the actual digest), or bytes that are not an artifact
   */
  public RerankerArtifact read(String name) {
    Entry e = entry(name);
    byte[] bytes;
    try (InputStream in = e.location().openStream()) {
      bytes = in.readAllBytes();
    } catch (IOException x) {
      throw new IllegalArgumentException("trained reranker " + name + ": cannot read its file " + e.location() + ": "
          + x.getMessage(), x);
    }
    String actual = Digests.sha256(bytes);
    if (!actual.equals(e.sha256())) {
      throw new IllegalArgumentException("trained reranker " + name + ": file " + e.location()
          + " has SHA-256 " + actual + ", the registry expects " + e.sha256() + " (a corrupted or replaced file)");
    }
    return RerankerArtifact.read(bytes, e.location().toString());
  }
}
