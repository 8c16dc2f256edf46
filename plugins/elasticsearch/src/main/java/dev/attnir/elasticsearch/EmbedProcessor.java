package dev.attnir.elasticsearch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.elasticsearch.cluster.metadata.ProjectId;
import org.elasticsearch.common.logging.HeaderWarning;
import org.elasticsearch.common.util.concurrent.AbstractRunnable;
import org.elasticsearch.core.TimeValue;
import org.elasticsearch.ingest.AbstractProcessor;
import org.elasticsearch.ingest.ConfigurationUtils;
import org.elasticsearch.ingest.IngestDocument;
import org.elasticsearch.ingest.Processor;
import org.elasticsearch.threadpool.ThreadPool;

/**
 * The {@code attnir_embed} ingest processor: documents sent as text are embedded by the attnir model server with an
 * index's embedding identity (model, pooling with its fitted or trained state, prefixes, max length), batched across
 * the documents of a bulk request, off the ingest thread.
 *
 * <p>Two modes:
 * <ul>
 *   <li><b>Passage layout</b> (no {@code target_field}): the document becomes what attnir's client-side writer stores
 *       in an attnir Elasticsearch index: the text (and optional title) is split with the index's passage settings,
 *       each passage embedded, and the source replaced by {@code doc_id}, {@code passage_count}, {@code doc_digest}
 *       and the nested {@code passages}. The identity is that of {@code index} (default: the index the document goes
 *       to), read by the server from the mapping's {@code _meta} and the state side index.
 *   <li><b>One vector</b> ({@code target_field} set): the text is embedded whole (truncated at the model's length) and
 *       the vector written to {@code target_field}, for any mapping: identity from {@code index} or from {@code model}
 *       (with an optional stateless {@code pooling}).
 * </ul>
 *
 * <p>Batching: the ingest service hands every document of a bulk to the processor back to back without waiting, so
 * documents queue here and go to the server together once {@code batch_size} have arrived or {@code linger} has
 * passed. Errors are per document: a document whose field is missing or not a string fails at once; a batch the
 * server refuses (400) is retried one document at a time so only the culprit fails; an unreachable server fails each
 * document of the batch with a 502 naming the server. The other documents of the bulk are indexed. Texts truncated at
 * the model's length (one-vector mode, or passages of {@code document} mode) are counted in a {@code Warning} header
 * of the bulk response.
 */
final class EmbedProcessor extends AbstractProcessor {

  static final String TYPE = "attnir_embed";

  private final String textField;
  private final String titleField;
  private final String index;
  private final String model;
  private final String pooling;
  private final String targetField;
  private final Batcher batcher;

  private EmbedProcessor(String tag, String description, String textField, String titleField, String index,
      String model, String pooling, String targetField, Batcher batcher) {
    super(tag, description);
    this.textField = textField;
    this.titleField = titleField;
    this.index = index;
    this.model = model;
    this.pooling = pooling;
    this.targetField = targetField;
    this.batcher = batcher;
  }

  @Override
  public String getType() {
    return TYPE;
  }

  @Override
  public boolean isAsync() {
    return true;
  }

  @Override
  public IngestDocument execute(IngestDocument document) {
    throw new UnsupportedOperationException(TYPE + " is asynchronous");
  }

  @Override
  public void execute(IngestDocument doc, BiConsumer<IngestDocument, Exception> givenHandler) {
    BiConsumer<IngestDocument, Exception> handler = once(givenHandler);
    final Batcher.Item item;
    try {
      String text = doc.getFieldValue(textField, String.class);
      String title = titleField != null && doc.hasField(titleField) ? doc.getFieldValue(titleField, String.class)
          : "";
      String identityIndex = index != null ? index : doc.getMetadata().getIndex();
      if (targetField == null) {
        String id = doc.getMetadata().getId();
        if (id == null) {
          throw new IllegalArgumentException("[" + TYPE + "] the passage layout needs the document's _id (its doc_id); "
              + "index it with an explicit id");
        }
        item = new Batcher.Item("documents " + identityIndex, this, doc, handler, id, title, text, identityIndex);
      } else {
        String key = "embed " + (model != null ? "model " + model + " " + pooling : "index " + identityIndex);
        String whole = title.isEmpty() ? text : title + "\n" + text;
        item = new Batcher.Item(key, this, doc, handler, null, null, whole, identityIndex);
      }
    } catch (Exception e) {
      handler.accept(null, e);
      return;
    }
    batcher.add(item);
  }

  /** The ingest service's handler must be called exactly once, whatever path a failure takes here. */
  private static BiConsumer<IngestDocument, Exception> once(BiConsumer<IngestDocument, Exception> handler) {
    AtomicBoolean called = new AtomicBoolean();
    return (d, e) -> {
      if (called.compareAndSet(false, true)) {
        handler.accept(d, e);
      }
    };
  }

  /** The server request for a batch of this processor's items. */
  Map<String, Object> request(List<Batcher.Item> items, String backend) {
    Map<String, Object> body = new LinkedHashMap<>();
    if (targetField == null) {
      body.put("index", items.get(0).identityIndex());
      body.put("backend", backend);
      TextQueryVectorBuilder.putVersion(body, AttnirPlugin.services().indexVersion(items.get(0).identityIndex()));
      List<Map<String, Object>> docs = new ArrayList<>(items.size());
      for (Batcher.Item it : items) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("id", it.id());
        d.put("title", it.title());
        d.put("text", it.text());
        docs.add(d);
      }
      body.put("documents", docs);
    } else {
      if (model != null) {
        body.put("model", model);
        if (pooling != null) {
          body.put("pooling", pooling);
        }
      } else {
        body.put("index", items.get(0).identityIndex());
        body.put("backend", backend);
        TextQueryVectorBuilder.putVersion(body, AttnirPlugin.services().indexVersion(items.get(0).identityIndex()));
      }
      body.put("input", "passage");
      body.put("texts", items.stream().map(Batcher.Item::text).toList());
    }
    return body;
  }

  String route() {
    return targetField == null ? "/documents" : "/embed";
  }

  /** Writes the server's answer for item {@code i} of the batch into its document. */
  @SuppressWarnings("unchecked")
  void apply(Map<String, Object> answer, int i, Batcher.Item item) {
    IngestDocument doc = item.doc();
    if (targetField != null) {
      List<Object> vectors = (List<Object>) answer.get("vectors");
      float[] v = ModelServerClient.toFloats(vectors.get(i));
      List<Float> list = new ArrayList<>(v.length);
      for (float x : v) {
        list.add(x);
      }
      doc.setFieldValue(targetField, list);
      return;
    }
    Map<String, Object> source = null;
    for (Object o : (List<Object>) answer.get("documents")) {
      Map<String, Object> d = (Map<String, Object>) o;
      if (item.id().equals(d.get("id"))) {
        source = (Map<String, Object>) d.get("source");
      }
    }
    if (source == null) {
      throw new IllegalStateException("the attnir model server returned no passages for document " + item.id());
    }
    doc.removeField(textField);
    if (titleField != null && doc.hasField(titleField)) {
      doc.removeField(titleField);
    }
    for (Map.Entry<String, Object> e : source.entrySet()) {
      doc.setFieldValue(e.getKey(), e.getValue());
    }
  }

  static final class Factory implements Processor.Factory {
    private final Supplier<Batcher> batcher;

    Factory(Supplier<Batcher> batcher) {
      this.batcher = batcher;
    }

    @Override
    public Processor create(Map<String, Processor.Factory> factories, String tag, String description,
        Map<String, Object> config, ProjectId projectId) {
      String textField = ConfigurationUtils.readStringProperty(TYPE, tag, config, "field", "text");
      String titleField = ConfigurationUtils.readOptionalStringProperty(TYPE, tag, config, "title_field");
      String index = ConfigurationUtils.readOptionalStringProperty(TYPE, tag, config, "index");
      String model = ConfigurationUtils.readOptionalStringProperty(TYPE, tag, config, "model");
      String pooling = ConfigurationUtils.readOptionalStringProperty(TYPE, tag, config, "pooling");
      String targetField = ConfigurationUtils.readOptionalStringProperty(TYPE, tag, config, "target_field");
      if (targetField == null && (model != null || pooling != null)) {
        throw ConfigurationUtils.newConfigurationException(TYPE, tag, model != null ? "model" : "pooling",
            "the passage layout (no target_field) embeds as its attnir index does; 'model' and 'pooling' go with "
                + "'target_field'");
      }
      if (model != null && index != null) {
        throw ConfigurationUtils.newConfigurationException(TYPE, tag, "model",
            "give 'index' (embed as that attnir index does) or 'model', not both");
      }
      if (pooling != null && model == null) {
        throw ConfigurationUtils.newConfigurationException(TYPE, tag, "pooling", "'pooling' goes with 'model'");
      }
      if (targetField != null && model == null && index == null) {
        throw ConfigurationUtils.newConfigurationException(TYPE, tag, "target_field",
            "one vector needs 'model' (with an optional 'pooling') or the attnir 'index' whose embedding to use");
      }
      return new EmbedProcessor(tag, description, textField, titleField, index, model, pooling, targetField,
          batcher.get());
    }
  }

  /**
   * Queues items by server request (same route and identity) and sends each batch from the plugin's executor once
   * {@code maxItems} are waiting or {@code linger} has passed since the first.
   */
  static final class Batcher {

    record Item(String key, EmbedProcessor processor, IngestDocument doc,
        BiConsumer<IngestDocument, Exception> handler, String id, String title, String text, String identityIndex) {}

    private final ThreadPool threadPool;
    private final String executor;
    private final ModelServerClient server;
    private final int maxItems;
    private final TimeValue linger;
    private final Map<String, List<Item>> pending = new LinkedHashMap<>();

    Batcher(ThreadPool threadPool, String executor, ModelServerClient server, int maxItems, TimeValue linger) {
      this.threadPool = threadPool;
      this.executor = executor;
      this.server = server;
      this.maxItems = maxItems;
      this.linger = linger;
    }

    void add(Item item) {
      // a batch holds one processor's items, and an id once (the server keeps one entry per id)
      String key = item.key() + " @" + System.identityHashCode(item.processor());
      List<Item> full = null;
      boolean schedule = false;
      synchronized (this) {
        List<Item> batch = pending.get(key);
        if (batch != null && item.id() != null && batch.stream().anyMatch(b -> item.id().equals(b.id()))) {
          full = pending.remove(key);
          batch = null;
        }
        if (batch == null) {
          batch = new ArrayList<>();
          pending.put(key, batch);
          schedule = true;
        }
        batch.add(item);
        if (batch.size() >= maxItems) {
          List<Item> ready = pending.remove(key);
          if (full == null) {
            full = ready;
          } else {
            send(ready);
          }
          schedule = false;
        }
      }
      if (full != null) {
        send(full);
      }
      if (schedule) {
        threadPool.schedule(() -> {
          List<Item> due;
          synchronized (this) {
            due = pending.get(key);
            // only the batch this timer was started for: a newer one has its own timer
            if (due == null || !due.contains(item)) {
              return;
            }
            pending.remove(key);
          }
          send(due);
        }, linger, threadPool.executor(executor));
      }
    }

    private void send(List<Item> batch) {
      threadPool.executor(executor).execute(new AbstractRunnable() {
        @Override
        protected void doRun() {
          runBatch(batch, true);
        }

        @Override
        public void onFailure(Exception e) {
          // rejected (queue full) or failed outside run(): every item still waiting gets the reason
          for (Item it : batch) {
            it.handler().accept(null, e);
          }
        }
      });
    }

    private void runBatch(List<Item> batch, boolean retrySingly) {
      EmbedProcessor p = batch.get(0).processor();
      Map<String, Object> answer;
      try {
        answer = server.post(p.route(), p.request(batch, server.elasticsearchUrl()));
      } catch (Exception e) {
        if (retrySingly && batch.size() > 1 && ModelServerClient.isBadRequest(e)) {
          for (Item it : batch) {
            runBatch(List.of(it), false);
          }
        } else {
          batch.forEach(it -> it.handler().accept(null, e));
        }
        return;
      }
      Object truncated = answer.get("truncated");
      if (truncated instanceof Number n && n.longValue() > 0) {
        // the bulk's response carries it (the thread context travels with this task)
        HeaderWarning.addWarning("[{}] {} of {} texts were longer than the model reads and were truncated", TYPE,
            n.longValue(), batch.size());
      }
      for (int i = 0; i < batch.size(); i++) {
        Item it = batch.get(i);
        try {
          p.apply(answer, i, it);
        } catch (Exception e) {
          it.handler().accept(null, e);
          continue;
        }
        it.handler().accept(it.doc(), null);
      }
    }
  }
}
