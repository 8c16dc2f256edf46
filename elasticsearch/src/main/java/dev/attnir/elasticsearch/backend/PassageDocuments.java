package dev.attnir.elasticsearch.backend;

import dev.attnir.indexer.Passage;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code _source} of each Elasticsearch document of an attnir index, built from its encoded passages: what the
 * client-side writer sends and what the model server returns to the plugin's ingest processor, so a document indexed
 * either way is the same document.
 */
public final class PassageDocuments {

  private PassageDocuments() {}

  /**
   * One source per document id, in the order of first appearance.
   *
   * @param passages each document's passages consecutive
   * @param vectors one vector per passage, or null for a BM25-only index
   * @param digests each document's {@code CorpusFingerprint} digest by id, or null
   * @throws IllegalArgumentException when a document's passages are not consecutive or the vector count is wrong
   */
  public static Map<String, Map<String, Object>> sources(List<Passage> passages, float[][] vectors,
      Map<String, byte[]> digests) {
    if (vectors != null && vectors.length != passages.size()) {
      throw new IllegalArgumentException(passages.size() + " passages but " + vectors.length + " vectors");
    }
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    int from = 0;
    while (from < passages.size()) {
      String docId = passages.get(from).docId();
      if (out.containsKey(docId)) {
        throw new IllegalArgumentException("the passages of document " + docId + " are not consecutive");
      }
      List<Map<String, Object>> nested = new ArrayList<>();
      int to = from;
      while (to < passages.size() && passages.get(to).docId().equals(docId)) {
        Passage p = passages.get(to);
        Map<String, Object> passage = new LinkedHashMap<>();
        passage.put(PassageIndexLayout.ORDINAL, p.ordinal());
        passage.put(PassageIndexLayout.START, p.start());
        passage.put(PassageIndexLayout.END, p.end());
        passage.put(PassageIndexLayout.CONTENTS, p.contents());
        if (vectors != null) {
          passage.put(PassageIndexLayout.VECTOR, vectors[to]);
        }
        nested.add(passage);
        to++;
      }
      Map<String, Object> source = new LinkedHashMap<>();
      source.put(PassageIndexLayout.DOC_ID, docId);
      source.put(PassageIndexLayout.PASSAGE_COUNT, nested.size());
      byte[] digest = digests == null ? null : digests.get(docId);
      if (digest != null) {
        source.put(PassageIndexLayout.DOC_DIGEST, HexFormat.of().formatHex(digest));
      }
      source.put(PassageIndexLayout.PASSAGES, nested);
      out.put(docId, source);
      from = to;
    }
    return out;
  }
}
