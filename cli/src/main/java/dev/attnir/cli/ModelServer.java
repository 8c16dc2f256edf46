package dev.attnir.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.attnir.core.Candidate;
import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import dev.attnir.core.Ranking;
import dev.attnir.core.Reranker;
import dev.attnir.core.Rerankers;
import dev.attnir.core.ScoredDoc;
import dev.attnir.elasticsearch.backend.ElasticsearchConnection;
import dev.attnir.elasticsearch.backend.ElasticsearchSearchBackend;
import dev.attnir.elasticsearch.backend.PassageDocuments;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.Pooling;
import dev.attnir.indexer.IndexException;
import dev.attnir.indexer.IndexManifest;
import dev.attnir.indexer.PassageEncoder;
import dev.attnir.indexer.PassageSplitter;
import dev.attnir.indexer.embedding.EmbedderFactory;
import dev.attnir.indexer.embedding.PoolingRequest;
import dev.attnir.indexer.search.LuceneSearchBackend;
import dev.attnir.indexer.search.SearchBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A loopback HTTP model server ({@code attnir serve}): embeds texts with an index's embedding identity (model, pooling
 * with its fitted or trained state, prefixes, max length, normalisation; read from a Lucene index or an
 * Elasticsearch index's manifest) or with a named model and stateless pooling, and reranks candidates with any
 * reranker spec. It keeps models out of the process that calls it (an Elasticsearch node, say), so a native crash in
 * inference takes down this server, not the caller.
 *
 * <p>Routes (JSON in and out; errors are {@code {"error": {"type", "reason"}}} with 400 for bad requests, 404/405 for
 * unknown routes and methods, 413 for oversized bodies, 503 when the model limit is reached, 500 otherwise):
 * <ul>
 *   <li>{@code GET /health}: {@code {"status": "ok", "embedders": [...], "rerankers": [...]}}.
 *   <li>{@code POST /embed}: {@code {"index": DIR|NAME, "backend": URL?, "index_version": V?} | {"model": NAME|DIR,
 *       "pooling": NAME?},
 *       "input": "query"|"passage", "texts": [...]} → {@code {"identity": {...}, "dimension": N, "truncated": N,
 *       "vectors": [[...], ...]}}.
 *   <li>{@code POST /documents}: {@code {"index": NAME, "backend": URL, "documents": [{"id", "title"?, "text"}, ...]}}
 *       → {@code {"identity": {...}, "truncated": N, "documents": [{"id", "source": {...}}, ...]}}: each document
 *       split, embedded and laid out as that Elasticsearch index stores it (what the plugin's ingest processor writes).
 *   <li>{@code POST /rerank}: {@code {"reranker": SPEC, "query": TEXT, "candidates": [{"id", "text"}, ...]}} →
 *       {@code {"reranker": NAME, "list_dependent": BOOL, "results": [{"id", "score"}, ...]}} best first;
 *       {@code list_dependent}: a candidate's score depends on the rest of the list (MVP, attention readers).
 * </ul>
 *
 * <p>Each loaded model serves one request at a time (requests for different models run in parallel on the server's
 * threads); models stay loaded until the server stops. An index's embedder is never served stale: a Lucene index is
 * checked against its latest commit point, an Elasticsearch index's manifest is read again whenever the request's
 * {@code index_version} (the plugin sends the index's UUID and mapping digest) differs from the cached one or is
 * absent, and the model is reloaded when the embedding or passage settings changed (an index deleted and created
 * again under the same name, say).
 */
public final class ModelServer implements AutoCloseable {

  /** Largest request body read. */
  static final int MAX_BODY_BYTES = 32 << 20;
  /** Most texts or candidates per request. */
  static final int MAX_ITEMS = 4096;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer http;
  private final ExecutorService executor;
  private final int maxModels;
  private final ElasticsearchConnection.Credentials credentials;
  /** Loaded embedders by request key, with the index commit they were read from ("" when not a Lucene index). */
  private final Map<String, CachedEmbedder> embedders = new LinkedHashMap<>();
  private final Map<String, Reranker> rerankers = new LinkedHashMap<>();
  /** One load at a time per key; loads of other keys and requests to loaded models go on meanwhile. */
  private final Map<String, Object> loading = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile boolean closed;

  /** A loaded embedder; {@code manifest} is its index's (null for a model named directly). */
  private record CachedEmbedder(Embedder embedder, String commit, IndexManifest manifest) {}

  /** A request the client got wrong: answered with {@code status} and the reason. */
  static final class BadRequest extends RuntimeException {
    final int status;

    BadRequest(int status, String reason) {
      super(reason);
      this.status = status;
    }
  }

  /**
   * Starts serving on {@code host:port} (port 0: any free port, see {@link #port()}).
   *
   * @param credentials for Elasticsearch indexes named in {@code /embed} requests
   */
  public ModelServer(String host, int port, int threads, int maxModels, ElasticsearchConnection.Credentials credentials)
      throws IOException {
    this.maxModels = maxModels;
    this.credentials = credentials;
    http = HttpServer.create(new InetSocketAddress(host, port), 64);
    executor = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "attnir-serve");
      t.setDaemon(true);
      return t;
    });
    http.setExecutor(executor);
    http.createContext("/", this::handle);
    http.start();
  }

  /** The port it listens on. */
  public int port() {
    return http.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      String method = exchange.getRequestMethod();
      JsonNode response;
      int status = 200;
      try {
        response = switch (path) {
          case "/health" -> {
            requireMethod(method, "GET", path);
            yield health();
          }
          case "/embed" -> {
            requireMethod(method, "POST", path);
            yield embed(body(exchange));
          }
          case "/rerank" -> {
            requireMethod(method, "POST", path);
            yield rerank(body(exchange));
          }
          case "/documents" -> {
            requireMethod(method, "POST", path);
            yield documents(body(exchange));
          }
          default -> throw new BadRequest(404, "no route " + path
              + " (routes: GET /health, POST /embed, POST /documents, POST /rerank)");
        };
      } catch (BadRequest e) {
        status = e.status;
        response = error(e.status == 503 ? "unavailable" : "bad_request", e.getMessage());
      } catch (IndexException e) {
        // a missing or mismatched index is the request's fault; a damaged or locked one is not
        status = switch (e.reason()) {
          case MISSING, INCOMPATIBLE -> 400;
          case LOCKED -> 503;
          case CORRUPT -> 500;
        };
        response = error("index_" + e.reason().name().toLowerCase(Locale.ROOT), e.getMessage());
      } catch (IllegalArgumentException e) {
        status = 400;
        response = error("illegal_argument", e.getMessage());
      } catch (RuntimeException e) {
        status = 500;
        response = error("internal", e.getClass().getSimpleName() + ": " + e.getMessage());
      }
      byte[] bytes = JSON.writeValueAsBytes(response);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private static void requireMethod(String method, String wanted, String path) {
    if (!method.equals(wanted)) {
      throw new BadRequest(405, path + " takes " + wanted + ", got " + method);
    }
  }

  private static ObjectNode error(String type, String reason) {
    ObjectNode root = JSON.createObjectNode();
    root.putObject("error").put("type", type).put("reason", reason);
    return root;
  }

  private static JsonNode body(HttpExchange exchange) throws IOException {
    byte[] bytes;
    try (InputStream in = exchange.getRequestBody()) {
      bytes = in.readNBytes(MAX_BODY_BYTES + 1);
    }
    if (bytes.length > MAX_BODY_BYTES) {
      throw new BadRequest(413, "request body larger than " + MAX_BODY_BYTES + " bytes");
    }
    JsonNode node;
    try {
      node = JSON.readTree(bytes);
    } catch (IOException e) {
      throw new BadRequest(400, "request body is not JSON: " + e.getMessage());
    }
    if (node == null || !node.isObject()) {
      throw new BadRequest(400, "request body must be a JSON object");
    }
    return node;
  }

  private synchronized ObjectNode health() {
    ObjectNode root = JSON.createObjectNode().put("status", "ok");
    ArrayNode e = root.putArray("embedders");
    embedders.keySet().forEach(e::add);
    ArrayNode r = root.putArray("rerankers");
    rerankers.keySet().forEach(r::add);
    return root;
  }

  private JsonNode embed(JsonNode request) {
    allowOnly(request, List.of("index", "backend", "index_version", "model", "pooling", "input", "texts"));
    List<String> texts = strings(request, "texts");
    String input = text(request, "input", true);
    if (!input.equals("query") && !input.equals("passage")) {
      throw new BadRequest(400, "field 'input' must be \"query\" or \"passage\", got \"" + input + "\"");
    }
    Embedder embedder = embedder(request).embedder();
    float[][] vectors;
    long truncated;
    synchronized (embedder) {
      vectors = input.equals("query") ? embedder.embedQueries(texts)
          : embedder.embedPassages(texts, ProgressListener.none());
      truncated = embedder.lastReport() == null ? 0 : embedder.lastReport().truncated();
    }
    ObjectNode root = JSON.createObjectNode();
    root.set("identity", JSON.valueToTree(embedder.identity()));
    root.put("dimension", embedder.dimension());
    root.put("truncated", truncated);
    ArrayNode out = root.putArray("vectors");
    for (float[] v : vectors) {
      ArrayNode row = out.addArray();
      for (float x : v) {
        row.add(x);
      }
    }
    return root;
  }

  /**
   * Splits and embeds whole documents as an Elasticsearch index of attnir's layout stores them (its passage settings,
   * embedding and pooling state read from the index): the {@code _source} the client-side writer would send.
   */
  private JsonNode documents(JsonNode request) {
    allowOnly(request, List.of("index", "backend", "index_version", "documents"));
    // the sources are of the Elasticsearch layout: the index must be one there
    text(request, "index", true);
    text(request, "backend", true);
    JsonNode list = request.get("documents");
    if (list == null || !list.isArray() || list.isEmpty()) {
      throw new BadRequest(400, "field 'documents' must be a non-empty array of {\"id\", \"title\"?, \"text\"}");
    }
    if (list.size() > MAX_ITEMS) {
      throw new BadRequest(400, "at most " + MAX_ITEMS + " documents per request, got " + list.size());
    }
    List<Document> docs = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      JsonNode d = list.get(i);
      if (!d.isObject() || !d.path("id").isTextual() || !d.path("text").isTextual()
          || !(d.path("title").isMissingNode() || d.path("title").isTextual())) {
        throw new BadRequest(400, "documents[" + i + "] must be {\"id\": string, \"title\"?: string, \"text\": "
            + "string}");
      }
      docs.add(new Document(d.get("id").asText(), d.path("title").asText(""), d.get("text").asText()));
    }
    CachedEmbedder cached = embedder(request);
    Embedder embedder = cached.embedder();
    PassageEncoder.Encoded encoded;
    synchronized (embedder) {
      PassageEncoder encoder = new PassageEncoder(
          PassageSplitter.forEncoder(cached.manifest().passages(), embedder.encoder()), embedder);
      encoded = encoder.encode(docs, ProgressListener.none());
    }
    ObjectNode root = JSON.createObjectNode();
    root.set("identity", JSON.valueToTree(embedder.identity()));
    root.put("truncated", encoded.encoding() == null ? 0 : encoded.encoding().truncated());
    ArrayNode out = root.putArray("documents");
    PassageDocuments.sources(encoded.passages(), encoded.vectors(), encoded.digests())
        .forEach((id, source) -> out.addObject().put("id", id).set("source", JSON.valueToTree(source)));
    return root;
  }

  private CachedEmbedder embedder(JsonNode request) {
    String index = text(request, "index", false);
    String model = text(request, "model", false);
    String backend = text(request, "backend", false);
    String pooling = text(request, "pooling", false);
    if ((index == null) == (model == null)) {
      throw new BadRequest(400, "give exactly one of 'index' (embed as that index does) and 'model' (with an "
          + "optional stateless 'pooling')");
    }
    if (index != null && pooling != null) {
      throw new BadRequest(400, "'pooling' goes with 'model'; an index's pooling is the one it was built with");
    }
    if (backend != null && index == null) {
      throw new BadRequest(400, "'backend' names the Elasticsearch cluster of 'index'");
    }
    String key = index != null ? "index:" + (backend == null ? Path.of(index).toAbsolutePath().normalize() : backend
        + "/" + index) : "model:" + model + (pooling == null ? "" : ",pooling=" + pooling);
    // a Lucene index rebuilt at the same path (another model, say) is read again, never served from the old one
    String version = text(request, "index_version", false);
    if (version != null && backend == null) {
      throw new BadRequest(400, "'index_version' goes with 'backend' (an Elasticsearch index's mapping version)");
    }
    String commit = index != null && backend == null ? latestCommit(Path.of(index))
        : version != null ? version : "";
    synchronized (loading.computeIfAbsent(key, k -> new Object())) {
      CachedEmbedder cached;
      synchronized (this) {
        ensureOpen();
        cached = embedders.get(key);
        if (cached == null) {
          checkRoom();
        }
      }
      if (cached != null && cached.commit().equals(commit) && (backend == null || !commit.isEmpty())) {
        return cached;
      }
      if (cached != null && backend != null) {
        // an Elasticsearch index deleted and created again under the same name may embed differently: the manifest
        // is read again whenever the caller's mapping version differs from the cached one (or is not given)
        IndexManifest now;
        try (SearchBackend opened = ElasticsearchSearchBackend.connect(backend, credentials, index)) {
          now = opened.manifest();
        }
        if (java.util.Objects.equals(now.embedding(), cached.manifest().embedding())
            && now.passages().equals(cached.manifest().passages())) {
          CachedEmbedder same = new CachedEmbedder(cached.embedder(), commit, now);
          synchronized (this) {
            embedders.put(key, same);
          }
          return same;
        }
      }
      CachedEmbedder created = index != null ? forIndex(index, backend, commit)
          : new CachedEmbedder(forModel(model, pooling), commit, null);
      synchronized (this) {
        if (closed || (cached == null && embedders.size() + rerankers.size() >= maxModels)) {
          created.embedder().close();
          ensureOpen();
          checkRoom();
        }
        embedders.put(key, created);
      }
      if (cached != null) {
        closeWhenIdle(cached.embedder());
      }
      return created;
    }
  }

  /**
   * The index's latest commit point (segments_N) with its modification time and size, or "" when there is none: a
   * rebuilt index starts again at segments_1, so the name alone does not tell two builds apart.
   */
  private static String latestCommit(Path dir) {
    try (var files = java.nio.file.Files.list(dir)) {
      Path latest = files.filter(f -> f.getFileName().toString().startsWith("segments_"))
          .max(java.util.Comparator.comparingLong(f -> Long.parseLong(f.getFileName().toString()
              .substring("segments_".length()), Character.MAX_RADIX))).orElse(null);
      return latest == null ? "" : latest.getFileName() + "@" + java.nio.file.Files.getLastModifiedTime(latest)
          + "/" + java.nio.file.Files.size(latest);
    } catch (IOException | NumberFormatException e) {
      return ""; // opening the index reports what is wrong
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new BadRequest(503, "the server is shutting down");
    }
  }

  /** Closes a model once no request is using it (requests hold its monitor). */
  private static void closeWhenIdle(Object model) {
    synchronized (model) {
      try {
        if (model instanceof AutoCloseable c) {
          c.close();
        }
      } catch (Exception e) {
        // a model being replaced or shut down: nothing left to tell the caller
      }
    }
  }

  private CachedEmbedder forIndex(String index, String backend, String commit) {
    // only the manifest and pooling state are read: checking every file's checksum would stall the first request
    SearchBackend opened = backend == null ? LuceneSearchBackend.open(Path.of(index), false)
        : ElasticsearchSearchBackend.connect(backend, credentials, index);
    try (opened) {
      Embedder e = EmbedderFactory.forIndex(opened, null, EncoderOptions.forQueries());
      if (e == null) {
        throw new BadRequest(400, "index " + index + " has no vectors (a BM25-only index)");
      }
      return new CachedEmbedder(e, commit, opened.manifest());
    }
  }

  private static Embedder forModel(String model, String pooling) {
    ModelSpec spec = ModelRegistry.resolve(model);
    PoolingRequest request = pooling == null ? PoolingRequest.modelDefault()
        : PoolingRequest.named(pooling.trim().toLowerCase(Locale.ROOT));
    if (request.needsCorpus() || "trained".equals(request.name())) {
      throw new BadRequest(400, "pooling " + pooling + " needs fitted or trained state: embed with an 'index' that "
          + "holds it");
    }
    OnnxEncoder encoder = OnnxEncoder.load(spec, EncoderOptions.forQueries());
    try {
      Pooling p = request.create(encoder, null, null, ProgressListener.none());
      return Embedder.owning(encoder, p);
    } catch (RuntimeException e) {
      encoder.close();
      throw e;
    }
  }

  private JsonNode rerank(JsonNode request) {
    allowOnly(request, List.of("reranker", "query", "candidates"));
    String spec = text(request, "reranker", true);
    String query = text(request, "query", true);
    JsonNode list = request.get("candidates");
    if (list == null || !list.isArray()) {
      throw new BadRequest(400, "field 'candidates' must be an array of {\"id\", \"text\"}");
    }
    if (list.size() > MAX_ITEMS) {
      throw new BadRequest(400, "at most " + MAX_ITEMS + " candidates per request, got " + list.size());
    }
    List<Candidate> candidates = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      JsonNode c = list.get(i);
      if (!c.isObject() || !c.path("id").isTextual() || !c.path("text").isTextual()) {
        throw new BadRequest(400, "candidates[" + i + "] must be {\"id\": string, \"text\": string}");
      }
      String text = c.get("text").asText();
      candidates.add(new Candidate(c.get("id").asText(), i + 1, 0, 0, 0, text.length(), text));
    }
    Reranker reranker;
    synchronized (loading.computeIfAbsent("reranker:" + spec, k -> new Object())) {
      synchronized (this) {
        ensureOpen();
        reranker = rerankers.get(spec);
        if (reranker == null) {
          checkRoom();
        }
      }
      if (reranker == null) {
        Reranker created = Rerankers.create(spec);
        synchronized (this) {
          if (closed || embedders.size() + rerankers.size() >= maxModels) {
            closeWhenIdle(created);
            ensureOpen();
            checkRoom();
          }
          rerankers.put(spec, created);
        }
        reranker = created;
      }
    }
    Ranking ranking;
    synchronized (reranker) {
      ranking = reranker.rerank(query, candidates);
    }
    ObjectNode root = JSON.createObjectNode().put("reranker", reranker.name())
        .put("list_dependent", reranker.scoresDependOnTheList());
    ArrayNode results = root.putArray("results");
    for (ScoredDoc d : ranking) {
      results.addObject().put("id", d.docId()).put("score", d.score());
    }
    return root;
  }

  private void checkRoom() {
    if (embedders.size() + rerankers.size() >= maxModels) {
      throw new BadRequest(503, "this server already holds " + maxModels + " models (--max-models); loaded: "
          + embedders.keySet() + " " + rerankers.keySet());
    }
  }

  private static void allowOnly(JsonNode request, List<String> fields) {
    request.fieldNames().forEachRemaining(f -> {
      if (!fields.contains(f)) {
        throw new BadRequest(400, "unknown field '" + f + "' (fields: " + String.join(", ", fields) + ")");
      }
    });
  }

  private static String text(JsonNode request, String field, boolean required) {
    JsonNode v = request.get(field);
    if (v == null || v.isNull()) {
      if (required) {
        throw new BadRequest(400, "field '" + field + "' is required");
      }
      return null;
    }
    if (!v.isTextual()) {
      throw new BadRequest(400, "field '" + field + "' must be a string, got " + v.getNodeType().name()
          .toLowerCase(Locale.ROOT));
    }
    return v.asText();
  }

  private static List<String> strings(JsonNode request, String field) {
    JsonNode v = request.get(field);
    if (v == null || !v.isArray() || v.isEmpty()) {
      throw new BadRequest(400, "field '" + field + "' must be a non-empty array of strings");
    }
    if (v.size() > MAX_ITEMS) {
      throw new BadRequest(400, "at most " + MAX_ITEMS + " " + field + " per request, got " + v.size());
    }
    List<String> out = new ArrayList<>(v.size());
    for (int i = 0; i < v.size(); i++) {
      if (!v.get(i).isTextual()) {
        throw new BadRequest(400, field + "[" + i + "] must be a string, got " + v.get(i).getNodeType().name()
            .toLowerCase(Locale.ROOT));
      }
      out.add(v.get(i).asText());
    }
    return out;
  }

  /**
   * Stops serving (waiting up to 5 s for requests in flight) and closes every model, each once the request using it
   * (if any) is done: a native session is never freed under a running inference.
   */
  @Override
  public void close() {
    closed = true;
    http.stop(1);
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<Object> models = new ArrayList<>();
    synchronized (this) {
      embedders.values().forEach(c -> models.add(c.embedder()));
      models.addAll(rerankers.values());
      embedders.clear();
      rerankers.clear();
    }
    models.forEach(ModelServer::closeWhenIdle);
  }
}
