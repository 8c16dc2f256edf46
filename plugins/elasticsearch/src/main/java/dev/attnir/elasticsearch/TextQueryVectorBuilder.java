package dev.attnir.elasticsearch;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.elasticsearch.TransportVersion;
import org.elasticsearch.action.ActionListener;
import org.elasticsearch.client.internal.Client;
import org.elasticsearch.common.io.stream.StreamInput;
import org.elasticsearch.common.io.stream.StreamOutput;
import org.elasticsearch.common.util.concurrent.AbstractRunnable;
import org.elasticsearch.search.vectors.QueryVectorBuilder;
import org.elasticsearch.xcontent.ConstructingObjectParser;
import org.elasticsearch.xcontent.ParseField;
import org.elasticsearch.xcontent.XContentBuilder;
import org.elasticsearch.xcontent.XContentParser;

/**
 * {@code attnir_text}: a kNN {@code query_vector_builder} that embeds query text with an attnir index's embedding
 * identity (model, pooling with its state, query prefix, max length, normalisation; read by the model server from the
 * index's mapping {@code _meta}), so a client sends text:
 * {@code "knn": {"field": "passages.vector", "query_vector_builder": {"attnir_text": {"index": "scifact", "text":
 * "..."}}}}. For a mapping of one's own, {@code model} (with an optional stateless {@code pooling}) replaces
 * {@code index}. The embedding runs on the plugin's executor; an unknown index or model is a 400 naming it, a model
 * server that cannot be reached a 502.
 */
final class TextQueryVectorBuilder implements QueryVectorBuilder {

  static final String NAME = "attnir_text";

  private static final ConstructingObjectParser<TextQueryVectorBuilder, Void> PARSER = new ConstructingObjectParser<>(
      NAME, false, a -> new TextQueryVectorBuilder((String) a[0], (String) a[1], (String) a[2], (String) a[3]));

  static {
    PARSER.declareString(ConstructingObjectParser.constructorArg(), new ParseField("text"));
    PARSER.declareString(ConstructingObjectParser.optionalConstructorArg(), new ParseField("index"));
    PARSER.declareString(ConstructingObjectParser.optionalConstructorArg(), new ParseField("model"));
    PARSER.declareString(ConstructingObjectParser.optionalConstructorArg(), new ParseField("pooling"));
  }

  private final String text;
  private final String index;
  private final String model;
  private final String pooling;

  TextQueryVectorBuilder(String text, String index, String model, String pooling) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("[" + NAME + "] 'text' must be non-empty");
    }
    if ((index == null) == (model == null)) {
      throw new IllegalArgumentException("[" + NAME + "] give exactly one of 'index' (embed as that attnir index does) "
          + "and 'model' (with an optional 'pooling')");
    }
    if (pooling != null && model == null) {
      throw new IllegalArgumentException("[" + NAME + "] 'pooling' goes with 'model'");
    }
    this.text = text;
    this.index = index;
    this.model = model;
    this.pooling = pooling;
  }

  TextQueryVectorBuilder(StreamInput in) throws IOException {
    this(in.readString(), in.readOptionalString(), in.readOptionalString(), in.readOptionalString());
  }

  static TextQueryVectorBuilder fromXContent(XContentParser parser, Void context) {
    return PARSER.apply(parser, null);
  }

  @Override
  public void writeTo(StreamOutput out) throws IOException {
    out.writeString(text);
    out.writeOptionalString(index);
    out.writeOptionalString(model);
    out.writeOptionalString(pooling);
  }

  @Override
  public String getWriteableName() {
    return NAME;
  }

  @Override
  public TransportVersion getMinimalSupportedVersion() {
    // plugins cannot register transport versions; every node runs the same plugin build
    return TransportVersion.zero();
  }

  @Override
  public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
    builder.startObject();
    builder.field("text", text);
    if (index != null) {
      builder.field("index", index);
    }
    if (model != null) {
      builder.field("model", model);
    }
    if (pooling != null) {
      builder.field("pooling", pooling);
    }
    return builder.endObject();
  }

  @Override
  public void buildVector(Client client, ActionListener<float[]> listener) {
    AttnirPlugin.Services s = AttnirPlugin.services();
    s.threadPool().executor(AttnirPlugin.INFERENCE_POOL).execute(new AbstractRunnable() {
      @Override
      protected void doRun() {
        Map<String, Object> body = new LinkedHashMap<>();
        if (index != null) {
          body.put("index", index);
          body.put("backend", s.modelServer().elasticsearchUrl());
          putVersion(body, s.indexVersion(index));
        } else {
          body.put("model", model);
          if (pooling != null) {
            body.put("pooling", pooling);
          }
        }
        body.put("input", "query");
        body.put("texts", List.of(text));
        Map<String, Object> answer = s.modelServer().post("/embed", body);
        listener.onResponse(ModelServerClient.toFloats(((List<?>) answer.get("vectors")).get(0)));
      }

      @Override
      public void onFailure(Exception e) {
        listener.onFailure(e);
      }
    });
  }

  static void putVersion(Map<String, Object> body, String version) {
    if (version != null) {
      body.put("index_version", version);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TextQueryVectorBuilder t && text.equals(t.text) && Objects.equals(index, t.index)
        && Objects.equals(model, t.model) && Objects.equals(pooling, t.pooling);
  }

  @Override
  public int hashCode() {
    return Objects.hash(text, index, model, pooling);
  }
}
