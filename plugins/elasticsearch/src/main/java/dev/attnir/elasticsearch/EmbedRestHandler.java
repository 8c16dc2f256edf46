package dev.attnir.elasticsearch;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.common.util.concurrent.AbstractRunnable;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.xcontent.XContentBuilder;
import org.elasticsearch.xcontent.XContentParser;

/**
 * {@code POST /{index}/_attnir/embed} ({@code {"input": "query"|"passage", "texts": [...]}}): texts embedded as the
 * attnir index embeds them, answered with the identity the vectors have ({@code {"identity", "dimension",
 * "truncated", "vectors"}}). What a client that embeds nothing itself (the CLI's {@code --server-side-embedding})
 * asks the cluster for; {@code POST /_attnir/embed} with {@code "model"} (and an optional stateless {@code "pooling"})
 * embeds with a named model. The node forwards to the model server from the plugin's executor.
 */
final class EmbedRestHandler extends BaseRestHandler {

  @Override
  public String getName() {
    return "attnir_embed";
  }

  @Override
  public List<Route> routes() {
    return List.of(new Route(RestRequest.Method.POST, "/{index}/_attnir/embed"),
        new Route(RestRequest.Method.POST, "/_attnir/embed"));
  }

  @Override
  protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) throws IOException {
    String index = request.param("index");
    Map<String, Object> given;
    try (XContentParser parser = request.contentParser()) {
      given = parser.map();
    }
    for (String key : given.keySet()) {
      if (!List.of("input", "texts", "model", "pooling").contains(key)) {
        throw new IllegalArgumentException("[_attnir/embed] unknown field [" + key + "] (fields: input, texts, "
            + "model, pooling)");
      }
    }
    if ((index == null) == (given.get("model") == null)) {
      throw new IllegalArgumentException("[_attnir/embed] give the index in the path (/{index}/_attnir/embed) or "
          + "'model' in the body, not both");
    }
    Map<String, Object> body = new LinkedHashMap<>(given);
    if (index != null) {
      body.put("index", index);
      body.put("backend", AttnirPlugin.services().modelServer().elasticsearchUrl());
      TextQueryVectorBuilder.putVersion(body, AttnirPlugin.services().indexVersion(index));
    }
    return channel -> AttnirPlugin.services().threadPool().executor(AttnirPlugin.INFERENCE_POOL).execute(
        new AbstractRunnable() {
          @Override
          protected void doRun() throws IOException {
            Map<String, Object> answer = AttnirPlugin.services().modelServer().post("/embed", body);
            XContentBuilder b = channel.newBuilder();
            b.map(answer);
            channel.sendResponse(new RestResponse(RestStatus.OK, b));
          }

          @Override
          public void onFailure(Exception e) {
            try {
              channel.sendResponse(new RestResponse(channel, e));
            } catch (IOException inner) {
              e.addSuppressed(inner);
            }
          }
        });
  }
}
