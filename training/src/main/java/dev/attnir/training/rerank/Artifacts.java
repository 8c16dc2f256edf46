package dev.attnir.training.rerank;

import ai.djl.ndarray.NDArray;
import dev.attnir.rerankers.trained.RerankerArtifact;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Moves trainable tensors between DJL and {@link RerankerArtifact}s. */
final class Artifacts {

  private Artifacts() {}

  static RerankerArtifact export(String kind, String baseModel, String baseSha256, int maxLength, int views,
      long[] viewIds, Map<String, String> settings, Map<String, Object> training, Map<String, NDArray> params,
      boolean half, Predicate<String> halfEligible) {
    List<RerankerArtifact.TensorInfo> infos = new ArrayList<>();
    Map<String, float[]> values = new LinkedHashMap<>();
    params.forEach((name, p) -> {
      infos.add(new RerankerArtifact.TensorInfo(name, p.getShape().getShape(),
          half && halfEligible.test(name) ? "f16" : "f32"));
      values.put(name, p.toFloatArray());
    });
    List<Long> ids = new ArrayList<>();
    for (long id : viewIds) {
      ids.add(id);
    }
    RerankerArtifact.Header header = new RerankerArtifact.Header(1, kind, baseModel, baseSha256, maxLength, views,
        ids, settings, training, infos);
    return new RerankerArtifact(header, values);
  }

  static void restore(Map<String, NDArray> params, Map<String, float[]> values) {
    for (var e : params.entrySet()) {
      float[] v = values.get(e.getKey());
      if (v == null) {
        throw new IllegalArgumentException("the checkpoint has no tensor " + e.getKey());
      }
      if (v.length != e.getValue().size()) {
        throw new IllegalArgumentException("checkpoint tensor " + e.getKey() + " has " + v.length
            + " values, the model " + e.getValue().size());
      }
      e.getValue().set(v);
    }
  }
}
