package dev.attnir.elasticsearch.backend;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How Elasticsearch indexes the passage vectors ({@code dense_vector.index_options}).
 *
 * @param type the HNSW variant: float vectors, int8 scalar quantisation, or better binary quantisation (BBQ; needs
 *     at least 64 dimensions). Quantised types search approximate vectors, so their scores differ slightly from the
 *     exact similarity the Lucene backend reports.
 * @param m HNSW neighbours per node (Lucene's and Elasticsearch's default: 16)
 * @param efConstruction HNSW candidates while building (default 100, the Lucene backend's beam width)
 */
public record VectorIndexOptions(Type type, int m, int efConstruction) {

  /** The {@code index_options.type} values attnir writes. */
  public enum Type {
    HNSW("hnsw"),
    INT8_HNSW("int8_hnsw"),
    BBQ_HNSW("bbq_hnsw");

    private final String esName;

    Type(String esName) {
      this.esName = esName;
    }

    public String esName() {
      return esName;
    }

    /** Parses {@code hnsw}, {@code int8_hnsw} or {@code bbq_hnsw}. */
    public static Type parse(String s) {
      for (Type t : values()) {
        if (t.esName.equals(s)) {
          return t;
        }
      }
      throw new IllegalArgumentException("unknown vector index type '" + s + "' (hnsw, int8_hnsw or bbq_hnsw)");
    }
  }

  public VectorIndexOptions {
    if (type == null) {
      throw new IllegalArgumentException("vector index type is required");
    }
    if (m < 2 || m > 512) {
      throw new IllegalArgumentException("HNSW m must be in [2, 512], got " + m);
    }
    if (efConstruction < 1 || efConstruction > 3200) {
      throw new IllegalArgumentException("HNSW ef_construction must be in [1, 3200], got " + efConstruction);
    }
  }

  /** Float HNSW with the Lucene backend's graph parameters (m 16, beam width 100): the like-for-like comparison. */
  public static VectorIndexOptions defaults() {
    return new VectorIndexOptions(Type.HNSW, 16, 100);
  }

  Map<String, Object> toMapping() {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("type", type.esName());
    o.put("m", m);
    o.put("ef_construction", efConstruction);
    return o;
  }
}
