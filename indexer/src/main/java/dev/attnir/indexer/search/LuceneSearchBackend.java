package dev.attnir.indexer.search;

import dev.attnir.analysis.Analyzers;
import dev.attnir.indexer.IndexException;
import dev.attnir.indexer.IndexFields;
import dev.attnir.indexer.IndexManifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/** A {@link SearchBackend} over one Lucene index written by {@code PassageIndexWriter}, on disk or in memory. */
public final class LuceneSearchBackend implements SearchBackend {

  private static final Set<String> HIT_FIELDS = Set.of(IndexFields.DOC_ID, IndexFields.ORDINAL);
  private static final Set<String> ORDINAL_FIELD = Set.of(IndexFields.ORDINAL);
  private static final Set<String> PASSAGE_FIELDS = Set.of(IndexFields.START, IndexFields.END, IndexFields.CONTENTS);

  private final String where;
  private final Path stateDir;
  private final Directory directory;
  private final DirectoryReader reader;
  private final IndexManifest manifest;
  private final Analyzer analyzer;
  private final VectorSimilarityFunction similarity;
  private final Map<Bm25Params, IndexSearcher> bm25Searchers = new HashMap<>();

  private LuceneSearchBackend(String where, Path stateDir, Directory directory, DirectoryReader reader,
      IndexManifest manifest) {
    this.where = where;
    this.stateDir = stateDir;
    this.directory = directory;
    this.reader = reader;
    this.manifest = manifest;
    this.analyzer = Analyzers.create(manifest.analyzer());
    this.similarity = manifest.hasVectors() ? LuceneVectors.function(manifest.embedding()) : null;
  }

  /**
   * Opens the last commit of the index at {@code path} for searching, verifying every file's checksum first.
   *
   * @throws IndexException when there is no index, it is corrupt, or it has no attnir manifest
   */
  public static LuceneSearchBackend open(Path path) {
    return open(path, true);
  }

  /**
   * Opens the last commit of the index at {@code path} for searching.
   *
   * @param verifyChecksums read every file of the commit once and check its checksum (see {@link IndexChecksums});
   *     without it a damaged postings, stored-field or vector file may give wrong results instead of an error
   * @throws IndexException when there is no index, it is corrupt, or it has no attnir manifest
   */
  public static LuceneSearchBackend open(Path path, boolean verifyChecksums) {
    if (!Files.isDirectory(path)) {
      throw new IndexException(IndexException.Reason.MISSING, "no index at " + path + " (directory does not exist)");
    }
    Directory dir;
    try {
      dir = FSDirectory.open(path);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open index at " + path + ": " + e.getMessage(), e);
    }
    return open(dir, "index at " + path, path, verifyChecksums);
  }

  /**
   * Opens the last commit in any Lucene directory (closed with the backend), verifying every file's checksum first.
   *
   * @param where how messages name the index, e.g. "index at /path"
   * @param stateDir where fitted pooling state is kept beside the index, or null when there is none
   * @throws IndexException when there is no index, it is corrupt, or it has no attnir manifest
   */
  public static LuceneSearchBackend open(Directory dir, String where, Path stateDir) {
    return open(dir, where, stateDir, true);
  }

  /**
   * Opens the last commit in any Lucene directory (closed with the backend).
   *
   * @param where how messages name the index, e.g. "index at /path"
   * @param stateDir where fitted pooling state is kept beside the index, or null when there is none
   * @param verifyChecksums read every file of the commit once and check its checksum (see {@link IndexChecksums})
   * @throws IndexException when there is no index, it is corrupt, or it has no attnir manifest
   */
  public static LuceneSearchBackend open(Directory dir, String where, Path stateDir, boolean verifyChecksums) {
    DirectoryReader reader = null;
    try {
      if (!DirectoryReader.indexExists(dir)) {
        throw new IndexException(IndexException.Reason.MISSING, "no " + where + " (no Lucene commit found)");
      }
      reader = DirectoryReader.open(dir);
      if (verifyChecksums) {
        // the files the open reader holds, so a concurrent commit cannot swap them between check and use
        IndexChecksums.verify(dir, reader.getIndexCommit());
      }
      String json = reader.getIndexCommit().getUserData().get(IndexManifest.COMMIT_KEY);
      if (json == null) {
        throw new IndexException(IndexException.Reason.INCOMPATIBLE, where
            + " is a Lucene index without an attnir manifest");
      }
      return new LuceneSearchBackend(where, stateDir, dir, reader, IndexManifest.fromJson(json));
    } catch (IndexException e) {
      close(reader, dir);
      throw e;
    } catch (IOException | RuntimeException e) {
      // the last commit's own file list: a damaged file may have failed the reader before it had a commit
      IndexException damaged = IndexCorruption.diagnose(where, e,
          () -> IndexChecksums.verify(dir, SegmentInfos.readLatestCommit(dir).files(true)));
      close(reader, dir);
      if (damaged != null) {
        throw damaged;
      }
      if (e instanceof IOException) {
        throw new UncheckedIOException("cannot open " + where + ": " + e.getMessage(), (IOException) e);
      }
      throw (RuntimeException) e;
    }
  }

  private static void close(DirectoryReader reader, Directory dir) {
    if (reader != null) {
      try {
        reader.close();
      } catch (IOException ignored) {
        // report the original failure
      }
    }
    close(dir);
  }

  private static void close(Directory dir) {
    if (dir != null) {
      try {
        dir.close();
      } catch (IOException ignored) {
        // report the original failure
      }
    }
  }

  /** How messages name this index. */
  public String where() {
    return where;
  }

  @Override
  public IndexManifest manifest() {
    return manifest;
  }

  /** Passages in the index. */
  public int passageCount() {
    return reader.numDocs();
  }

  /** Tokens of {@code text} after the index's analyzer, in order, duplicates kept. */
  public List<String> analyze(String text) {
    List<String> tokens = new ArrayList<>();
    try (TokenStream ts = analyzer.tokenStream(IndexFields.CONTENTS, text)) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      ts.reset();
      while (ts.incrementToken()) {
        tokens.add(term.toString());
      }
      ts.end();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return tokens;
  }

  /**
   * Bag-of-words query: one SHOULD clause per query token, duplicates included, as Anserini builds it. Queries with
   * more tokens than the clause limit merge duplicates into boosted clauses, which scores the same.
   */
  Query bagOfWords(List<String> tokens) {
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    if (tokens.size() <= IndexSearcher.getMaxClauseCount()) {
      for (String t : tokens) {
        b.add(new TermQuery(new Term(IndexFields.CONTENTS, t)), BooleanClause.Occur.SHOULD);
      }
    } else {
      Map<String, Integer> counts = new LinkedHashMap<>();
      for (String t : tokens) {
        counts.merge(t, 1, Integer::sum);
      }
      counts.entrySet().stream().sorted((x, y) -> Integer.compare(y.getValue(), x.getValue()))
          .limit(IndexSearcher.getMaxClauseCount())
          .forEach(e -> b.add(new BoostQuery(new TermQuery(new Term(IndexFields.CONTENTS, e.getKey())),
              e.getValue()), BooleanClause.Occur.SHOULD));
    }
    return b.build();
  }

  private synchronized IndexSearcher bm25Searcher(Bm25Params params) {
    return bm25Searchers.computeIfAbsent(params, p -> {
      IndexSearcher s = new IndexSearcher(reader);
      s.setSimilarity(new BM25Similarity(p.k1(), p.b()));
      return s;
    });
  }

  @Override
  public List<PassageHit> lexical(String query, int k, Bm25Params params) {
    List<String> tokens = analyze(query);
    if (tokens.isEmpty() || k <= 0) {
      return List.of();
    }
    IndexSearcher searcher = bm25Searcher(params);
    Query q = bagOfWords(tokens);
    return TiesAtTheCut.top(depth -> {
      try {
        return hits(searcher, searcher.search(q, depth).scoreDocs, false);
      } catch (IOException | RuntimeException e) {
        throw failure(e);
      }
    }, k, Math.max(1, passageCount()));
  }

  @Override
  public List<PassageHit> vector(float[] query, int k, VectorSearch mode) {
    requireVectors(query);
    if (k <= 0) {
      return List.of();
    }
    IndexSearcher searcher = new IndexSearcher(reader);
    return TiesAtTheCut.top(depth -> {
      try {
        if (mode.exact()) {
          return exact(query, depth);
        }
        // the candidate count follows k, not the tie-resolution depth, so the graph search is the one k asks for
        int candidates = (int) Math.min(Math.max((long) k * mode.oversample(), depth), Math.max(depth,
            passageCount()));
        TopDocs top = searcher.search(new KnnFloatVectorQuery(IndexFields.VECTOR, query, candidates), candidates);
        ScoreDoc[] best = top.scoreDocs.length > depth ? java.util.Arrays.copyOf(top.scoreDocs, depth)
            : top.scoreDocs;
        return hits(searcher, best, true);
      } catch (IOException | RuntimeException e) {
        throw failure(e);
      }
    }, k, Math.max(1, passageCount()));
  }

  /**
   * What a read failure during search becomes: damaged files (possible when opened without verification, or damaged
   * since) give the same "corrupt or unreadable" error as on open, never a decoder's stack trace or a made-up failure.
   */
  private RuntimeException failure(Exception e) {
    IndexException damaged = IndexCorruption.diagnose(where, e,
        () -> IndexChecksums.verify(directory, reader.getIndexCommit()));
    if (damaged != null) {
      return damaged;
    }
    if (e instanceof IOException io) {
      return new UncheckedIOException("cannot read " + where + ": " + e.getMessage(), io);
    }
    return (RuntimeException) e;
  }

  private void requireVectors(float[] query) {
    if (!manifest.hasVectors()) {
      throw new IndexException(IndexException.Reason.INCOMPATIBLE, where
          + " has no vectors (built BM25-only); rebuild it with a model for dense retrieval");
    }
    if (query.length != manifest.embedding().dimension()) {
      throw new IndexException(IndexException.Reason.INCOMPATIBLE, "query vector has " + query.length
          + " dimensions, " + where + " has " + manifest.embedding().dimension());
    }
  }

  /** Brute force over every live vector, scored with the raw similarity. */
  private List<PassageHit> exact(float[] query, int k) throws IOException {
    ExactTopK top = new ExactTopK(k);
    for (LeafReaderContext leaf : reader.leaves()) {
      FloatVectorValues values = leaf.reader().getFloatVectorValues(IndexFields.VECTOR);
      if (values == null) {
        continue;
      }
      Bits live = leaf.reader().getLiveDocs();
      KnnVectorValues.DocIndexIterator it = values.iterator();
      for (int doc = it.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = it.nextDoc()) {
        if (live != null && !live.get(doc)) {
          continue;
        }
        top.offer(leaf.docBase + doc, LuceneVectors.raw(similarity, query, values.vectorValue(it.index())));
      }
    }
    ExactTopK.Scored[] best = top.best();
    ScoreDoc[] docs = new ScoreDoc[best.length];
    for (int i = 0; i < best.length; i++) {
      docs[i] = new ScoreDoc(best[i].doc(), best[i].score());
    }
    return hits(new IndexSearcher(reader), docs, false);
  }

  private List<PassageHit> hits(IndexSearcher searcher, ScoreDoc[] docs, boolean vectorScores) throws IOException {
    PassageHit[] out = new PassageHit[docs.length];
    // Doc values are read in increasing doc order per leaf; hits keep their score order.
    Integer[] order = new Integer[docs.length];
    for (int i = 0; i < docs.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> Integer.compare(docs[a].doc, docs[b].doc));
    List<LeafReaderContext> leaves = reader.leaves();
    StoredFields stored = null;
    int leafIndex = -1;
    SortedDocValues ids = null;
    NumericDocValues ordinals = null;
    for (int i : order) {
      ScoreDoc sd = docs[i];
      float score = vectorScores ? LuceneVectors.rawFromScore(similarity, sd.score) : sd.score;
      int li = org.apache.lucene.index.ReaderUtil.subIndex(sd.doc, leaves);
      if (li != leafIndex) {
        leafIndex = li;
        ids = leaves.get(li).reader().getSortedDocValues(IndexFields.DOC_ID);
        ordinals = leaves.get(li).reader().getNumericDocValues(IndexFields.ORDINAL);
      }
      int local = sd.doc - leaves.get(li).docBase;
      if (ids != null && ordinals != null && ids.advanceExact(local) && ordinals.advanceExact(local)) {
        out[i] = new PassageHit(ids.lookupOrd(ids.ordValue()).utf8ToString(), (int) ordinals.longValue(), score);
      } else {
        // Indexes written before hits had doc values.
        if (stored == null) {
          stored = searcher.storedFields();
        }
        org.apache.lucene.document.Document d = stored.document(sd.doc, HIT_FIELDS);
        out[i] = new PassageHit(d.get(IndexFields.DOC_ID), d.getField(IndexFields.ORDINAL).numericValue().intValue(),
            score);
      }
    }
    return new ArrayList<>(java.util.Arrays.asList(out));
  }

  @Override
  public byte[] poolingState(String sha256) {
    return stateDir == null ? null : dev.attnir.indexer.PoolingStateFiles.read(stateDir, sha256);
  }

  /**
   * Fetches stored passages. Each is found through the postings of its document id (no hit queue, nothing read for
   * the document's other passages) and they are loaded in index order, so the cost grows with the passages asked
   * for, not with the index.
   *
   * @throws IllegalArgumentException naming the first passage the index does not hold
   */
  @Override
  public List<StoredPassage> passages(List<PassageRef> refs) {
    int[] docs = new int[refs.size()];
    try {
      for (int i = 0; i < docs.length; i++) {
        docs[i] = luceneDoc(refs.get(i));
      }
    } catch (IOException | RuntimeException e) {
      throw failure(e);
    }
    for (int i = 0; i < docs.length; i++) {
      if (docs[i] < 0) {
        // a caller's wrong reference, or a hit whose id was read from damaged doc values: only the checksums tell
        throw failure(new IllegalArgumentException(where + " has no passage " + refs.get(i).ordinal()
            + " of document " + refs.get(i).docId()));
      }
    }
    try {
      Integer[] order = new Integer[docs.length];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      java.util.Arrays.sort(order, (a, b) -> Integer.compare(docs[a], docs[b]));
      StoredPassage[] out = new StoredPassage[docs.length];
      StoredFields stored = reader.storedFields();
      for (int i : order) {
        org.apache.lucene.document.Document d = stored.document(docs[i], PASSAGE_FIELDS);
        out[i] = new StoredPassage(refs.get(i).docId(), refs.get(i).ordinal(),
            d.getField(IndexFields.START).numericValue().intValue(),
            d.getField(IndexFields.END).numericValue().intValue(), d.get(IndexFields.CONTENTS));
      }
      return java.util.Arrays.asList(out);
    } catch (IOException | RuntimeException e) {
      throw failure(e);
    }
  }

  /** The live Lucene document holding a passage, or -1. */
  private int luceneDoc(PassageRef ref) throws IOException {
    BytesRef id = new BytesRef(ref.docId());
    for (LeafReaderContext leaf : reader.leaves()) {
      Terms terms = leaf.reader().terms(IndexFields.DOC_ID);
      if (terms == null) {
        continue;
      }
      TermsEnum te = terms.iterator();
      if (!te.seekExact(id)) {
        continue;
      }
      PostingsEnum postings = te.postings(null, PostingsEnum.NONE);
      Bits live = leaf.reader().getLiveDocs();
      NumericDocValues ordinals = leaf.reader().getNumericDocValues(IndexFields.ORDINAL);
      StoredFields stored = ordinals == null ? leaf.reader().storedFields() : null;
      for (int doc = postings.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = postings.nextDoc()) {
        if (live != null && !live.get(doc)) {
          continue;
        }
        int ordinal;
        if (ordinals != null && ordinals.advanceExact(doc)) {
          ordinal = (int) ordinals.longValue();
        } else {
          // indexes written before hits had doc values
          if (stored == null) {
            stored = leaf.reader().storedFields();
          }
          ordinal = stored.document(doc, ORDINAL_FIELD).getField(IndexFields.ORDINAL).numericValue().intValue();
        }
        if (ordinal == ref.ordinal()) {
          return leaf.docBase + doc;
        }
      }
    }
    return -1;
  }

  /**
   * Every live document of the opened commit, in index order, with its passages, vectors and digest. A document's
   * passages are one contiguous block (the writer adds them with one {@code updateDocuments} call, and merges keep
   * blocks whole) in ordinal order, which this checks.
   *
   * @throws IllegalStateException when a document's passages are not contiguous or its ordinals are not 0..n-1
   */
  public void forEachDocument(java.util.function.Consumer<IndexedDocument> action) {
    java.util.Set<String> seen = new java.util.HashSet<>();
    try {
      for (LeafReaderContext leaf : reader.leaves()) {
        StoredFields stored = leaf.reader().storedFields();
        Bits live = leaf.reader().getLiveDocs();
        FloatVectorValues vectors = manifest.hasVectors() ? leaf.reader().getFloatVectorValues(IndexFields.VECTOR)
            : null;
        KnnVectorValues.DocIndexIterator vectorDocs = vectors == null ? null : vectors.iterator();
        org.apache.lucene.index.BinaryDocValues digests = leaf.reader().getBinaryDocValues(IndexFields.DOC_DIGEST);
        String current = null;
        List<dev.attnir.indexer.Passage> passages = new ArrayList<>();
        List<float[]> passageVectors = new ArrayList<>();
        byte[] digest = null;
        for (int doc = 0; doc < leaf.reader().maxDoc(); doc++) {
          if (live != null && !live.get(doc)) {
            continue;
          }
          org.apache.lucene.document.Document d = stored.document(doc);
          String docId = d.get(IndexFields.DOC_ID);
          if (!docId.equals(current)) {
            if (current != null) {
              action.accept(document(current, passages, passageVectors, digest));
            }
            if (!seen.add(docId)) {
              throw new IllegalStateException(where + ": the passages of document " + docId + " are not one "
                  + "contiguous block (Lucene doc " + (leaf.docBase + doc) + ")");
            }
            current = docId;
            passages = new ArrayList<>();
            passageVectors = new ArrayList<>();
            digest = null;
          }
          passages.add(new dev.attnir.indexer.Passage(docId, d.getField(IndexFields.ORDINAL).numericValue().intValue(),
              d.getField(IndexFields.START).numericValue().intValue(),
              d.getField(IndexFields.END).numericValue().intValue(), d.get(IndexFields.CONTENTS)));
          if (vectorDocs != null) {
            if (vectorDocs.docID() < doc) {
              vectorDocs.advance(doc);
            }
            if (vectorDocs.docID() != doc) {
              throw new IllegalStateException(where + ": passage " + (passages.size() - 1) + " of document " + docId
                  + " has no vector");
            }
            passageVectors.add(vectors.vectorValue(vectorDocs.index()).clone());
          }
          if (digests != null && digests.advanceExact(doc)) {
            BytesRef b = digests.binaryValue();
            digest = java.util.Arrays.copyOfRange(b.bytes, b.offset, b.offset + b.length);
          }
        }
        if (current != null) {
          action.accept(document(current, passages, passageVectors, digest));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + where + " failed: " + e.getMessage(), e);
    }
  }

  private IndexedDocument document(String docId, List<dev.attnir.indexer.Passage> passages, List<float[]> vectors,
      byte[] digest) {
    // the writer adds a document's passages in ordinal order; anything else is not an index it wrote
    for (int i = 0; i < passages.size(); i++) {
      if (passages.get(i).ordinal() != i) {
        throw new IllegalStateException(where + ": document " + docId + " has passage ordinals "
            + passages.stream().map(p -> String.valueOf(p.ordinal())).toList() + ", not 0.." + (passages.size() - 1));
      }
    }
    return new IndexedDocument(docId, List.copyOf(passages), manifest.hasVectors() ? vectors.toArray(float[][]::new)
        : null, digest);
  }

  @Override
  public void close() {
    try {
      reader.close();
      directory.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
