package dev.attnir.indexer.search;

import dev.attnir.encoders.EmbeddingIdentity;
import dev.attnir.indexer.IndexManifest;
import dev.attnir.indexer.Passage;
import dev.attnir.indexer.PassageIndexWriter;
import dev.attnir.indexer.PassageSettings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.store.ByteBuffersDirectory;

/**
 * A {@link SearchBackend} over passages and vectors held in memory, for experiments that compute vectors once (from
 * the embedding cache) and search them under many settings: vector search is exact, over the arrays, scored and
 * tie-broken exactly as {@link LuceneSearchBackend}'s exact mode; BM25 runs on a Lucene index in a
 * {@code ByteBuffersDirectory}, written by the same {@link PassageIndexWriter} as an index on disk (so it scores the
 * same), and built on first use. Retrievers and fusion run over it unchanged.
 *
 * <p>No HNSW graph is built: {@link #vector} is always exhaustive, whatever {@link VectorSearch} asks.
 */
public final class InMemorySearchBackend implements SearchBackend {

  private static final String WHERE = "in-memory index";

  private final List<Passage> passages;
  private final float[][] vectors;
  private final IndexManifest manifest;
  private final VectorSimilarityFunction similarity;
  private final Map<PassageRef, Integer> positions = new HashMap<>();
  private LuceneSearchBackend lexical;

  private InMemorySearchBackend(List<Passage> passages, float[][] vectors, IndexManifest manifest) {
    this.passages = passages;
    this.vectors = vectors;
    this.manifest = manifest;
    this.similarity = manifest.hasVectors() ? LuceneVectors.function(manifest.embedding()) : null;
    for (int i = 0; i < passages.size(); i++) {
      positions.put(new PassageRef(passages.get(i).docId(), passages.get(i).ordinal()), i);
    }
  }

  /**
   * @param passages the passages, a document's passages consecutive
   * @param vectors one final vector per passage (normalised when the identity says so), or null for BM25 only
   * @param identity what the vectors are, or null for BM25 only
   * @param settings how the passages were cut (recorded in the manifest, as an index on disk records it)
   * @param analyzer BM25 analyzer name
   */
  public static InMemorySearchBackend create(List<Passage> passages, float[][] vectors, EmbeddingIdentity identity,
      PassageSettings settings, String analyzer) {
    if ((vectors == null) != (identity == null)) {
      throw new IllegalArgumentException("vectors and their embedding identity come together (or neither)");
    }
    if (vectors != null && vectors.length != passages.size()) {
      throw new IllegalArgumentException(passages.size() + " passages but " + vectors.length + " vectors");
    }
    Set<String> docs = new HashSet<>();
    String previous = null;
    for (int i = 0; i < passages.size(); i++) {
      String doc = passages.get(i).docId();
      if (!doc.equals(previous) && !docs.add(doc)) {
        throw new IllegalArgumentException("the passages of document " + doc + " are not consecutive");
      }
      previous = doc;
      if (vectors != null && vectors[i].length != identity.dimension()) {
        throw new IllegalArgumentException("vector " + i + " has " + vectors[i].length + " dimensions, the identity "
            + "says " + identity.dimension());
      }
    }
    // passages come without their documents, so the corpus fingerprint is unknown (as for a Lucene index so written)
    IndexManifest manifest = IndexManifest.create(analyzer, settings, identity).withContents(docs.size(),
        passages.size(), null);
    return new InMemorySearchBackend(List.copyOf(passages), vectors, manifest);
  }

  @Override
  public IndexManifest manifest() {
    return manifest;
  }

  @Override
  public List<PassageHit> lexical(String query, int k, Bm25Params params) {
    return lexicalIndex().lexical(query, k, params);
  }

  private synchronized LuceneSearchBackend lexicalIndex() {
    if (lexical == null) {
      ByteBuffersDirectory dir = new ByteBuffersDirectory();
      try (PassageIndexWriter w = PassageIndexWriter.open(dir, WHERE, manifest.analyzer(), manifest.passages(), null,
          null, PassageIndexWriter.Mode.OVERWRITE)) {
        w.write(passages, null);
        w.commit();
      }
      // written just now, in memory: there is no stored file whose bytes could have changed
      lexical = LuceneSearchBackend.open(dir, WHERE, null, false);
    }
    return lexical;
  }

  /** Exhaustive search over every vector ({@code mode} is ignored: there is no graph). */
  @Override
  public List<PassageHit> vector(float[] query, int k, VectorSearch mode) {
    if (vectors == null) {
      throw new IllegalStateException(WHERE + " has no vectors (BM25 only)");
    }
    if (query.length != manifest.embedding().dimension()) {
      throw new IllegalArgumentException("query vector has " + query.length + " dimensions, " + WHERE + " has "
          + manifest.embedding().dimension());
    }
    if (k <= 0) {
      return List.of();
    }
    // ties at the cut as the Lucene backend resolves them, so both give the same hits
    return TiesAtTheCut.top(depth -> {
      ExactTopK top = new ExactTopK(depth);
      for (int i = 0; i < vectors.length; i++) {
        top.offer(i, LuceneVectors.raw(similarity, query, vectors[i]));
      }
      List<PassageHit> hits = new ArrayList<>(depth);
      for (ExactTopK.Scored s : top.best()) {
        Passage p = passages.get(s.doc());
        hits.add(new PassageHit(p.docId(), p.ordinal(), s.score()));
      }
      return hits;
    }, k, vectors.length);
  }

  @Override
  public byte[] poolingState(String sha256) {
    return null;
  }

  @Override
  public List<StoredPassage> passages(List<PassageRef> refs) {
    List<StoredPassage> out = new ArrayList<>(refs.size());
    for (PassageRef ref : refs) {
      Integer i = positions.get(ref);
      if (i == null) {
        throw new IllegalArgumentException(WHERE + " has no passage " + ref.ordinal() + " of document "
            + ref.docId());
      }
      Passage p = passages.get(i);
      out.add(new StoredPassage(p.docId(), p.ordinal(), p.start(), p.end(), p.contents()));
    }
    return out;
  }

  @Override
  public synchronized void close() {
    if (lexical != null) {
      lexical.close();
      lexical = null;
    }
  }
}
