package dev.attnir.experiments;

import dev.attnir.analysis.Analyzers;
import dev.attnir.core.Document;
import dev.attnir.core.ProgressListener;
import dev.attnir.core.Reranker;
import dev.attnir.encoders.Embedder;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.Pooling;
import dev.attnir.encoders.cache.EmbeddingCache;
import dev.attnir.eval.position.PositionSetBuilder;
import dev.attnir.indexer.Passage;
import dev.attnir.indexer.PassageSettings;
import dev.attnir.indexer.PassageSplitter;
import dev.attnir.indexer.TokenSpanner;
import dev.attnir.indexer.retrieve.Bm25Retriever;
import dev.attnir.indexer.retrieve.DenseRetriever;
import dev.attnir.indexer.retrieve.Fusion;
import dev.attnir.indexer.retrieve.HybridRetriever;
import dev.attnir.indexer.retrieve.RerankingRetriever;
import dev.attnir.indexer.search.Bm25Params;
import dev.attnir.indexer.search.InMemorySearchBackend;
import dev.attnir.indexer.search.VectorSearch;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The systems {@code position-bias} measures, built from the shared retrievers over in-memory indexes: BM25 over whole
 * documents, dense retrieval of whole documents, of token windows (one or several shapes) or of the passages a set was
 * built from, hybrids of two systems, and any system followed by a reranker.
 */
public final class PositionSystems {

  private PositionSystems() {}

  /**
   * A token window shape.
   *
   * @param length tokens per window
   * @param stride tokens between window starts
   */
  public record Window(int length, int stride) {

    public Window {
      if (length < 1 || stride < 1 || stride > length) {
        throw new IllegalArgumentException("window " + length + "/" + stride + ": need length >= 1 and "
            + "1 <= stride <= length");
      }
    }

    @Override
    public String toString() {
      return length + "/" + stride;
    }
  }

  /** BM25 (Anserini's analyzer and parameters) over whole documents, title and text: blind to position. */
  public static PositionSystem bm25() {
    return new PositionSystem() {
      @Override
      public String label() {
        return "bm25";
      }

      @Override
      public Opened open(List<Document> documents, ProgressListener progress) {
        PassageSettings whole = PassageSettings.wholeDocument("whitespace");
        PassageSplitter splitter = new PassageSplitter(whole, TokenSpanner.whitespace());
        List<Passage> passages = new ArrayList<>();
        documents.forEach(d -> passages.addAll(splitter.split(d)));
        InMemorySearchBackend backend = InMemorySearchBackend.create(passages, null, null, whole, Analyzers.DEFAULT);
        return new Opened(new Bm25Retriever(backend, Bm25Params.anserini()), backend, List.of(backend));
      }
    };
  }

  /**
   * Dense retrieval, exact, max-passage, over the passages {@code passaging} cuts from every document, with vectors and
   * query vectors through the embedding cache.
   */
  public static PositionSystem dense(String label, OnnxEncoder encoder, Pooling pooling, EmbeddingCache cache,
      Function<Document, List<Passage>> passaging) {
    boolean normalize = encoder.spec().normalize();
    return new PositionSystem() {
      @Override
      public String label() {
        return label;
      }

      @Override
      public Opened open(List<Document> documents, ProgressListener progress) {
        List<Passage> passages = new ArrayList<>();
        documents.forEach(d -> passages.addAll(passaging.apply(d)));
        float[][] vectors = cache.vectors(encoder, pooling, passages.stream().map(Passage::contents).toList(),
            encoder.spec().passagePrefix(), normalize, progress);
        InMemorySearchBackend backend = InMemorySearchBackend.create(passages, vectors,
            Embedder.identity(encoder, pooling, normalize), PassageSettings.wholeDocument(encoder.spec().name()),
            Analyzers.DEFAULT);
        DenseRetriever retriever = new DenseRetriever(backend, cache.queryEmbedder(encoder, pooling, normalize),
            VectorSearch.exhaustive());
        return new Opened(retriever, backend, List.of(backend));
      }

      @Override
      public PositionSystem goldOnlyReference() {
        return dense(label + " (gold passages alone)", encoder, pooling, cache, wholeDocument(encoder));
      }
    };
  }

  /** A hybrid: the two systems' rankings fused, each contributing its top {@code depth} documents. */
  public static PositionSystem hybrid(String label, PositionSystem lexical, PositionSystem dense, Fusion fusion,
      int depth) {
    return new PositionSystem() {
      @Override
      public String label() {
        return label;
      }

      @Override
      public Opened open(List<Document> documents, ProgressListener progress) {
        Opened l = lexical.open(documents, ProgressListener.none());
        Opened d = dense.open(documents, progress);
        // the two sides cut documents differently: a fused document's passage ordinal is not one backend's
        return new Opened(new HybridRetriever(l.retriever(), d.retriever(), fusion, depth), null, List.of(l, d));
      }

      @Override
      public PositionSystem goldOnlyReference() {
        return dense.goldOnlyReference();
      }
    };
  }

  /** A system whose top {@code depth} documents a reranker reorders (judging each by its best passage). */
  public static PositionSystem reranked(String label, PositionSystem firstStage, Reranker reranker, int depth) {
    return new PositionSystem() {
      @Override
      public String label() {
        return label;
      }

      @Override
      public Opened open(List<Document> documents, ProgressListener progress) {
        Opened first = firstStage.open(documents, progress);
        if (first.passages() == null) {
          first.close();
          throw new IllegalArgumentException("cannot rerank " + firstStage.label() + ": its documents' passages are "
              + "not in one index (a hybrid of systems that cut documents differently)");
        }
        return new Opened(new RerankingRetriever(first.retriever(), first.passages(), reranker, depth),
            first.passages(), List.of(first));
      }

      @Override
      public PositionSystem goldOnlyReference() {
        PositionSystem ref = firstStage.goldOnlyReference();
        return ref == null ? null : reranked(label + " (gold passages alone)", ref, reranker, depth);
      }
    };
  }

  /** Every document as one passage (the encoder sees only its first max-length tokens). */
  public static Function<Document, List<Passage>> wholeDocument(OnnxEncoder encoder) {
    PassageSplitter splitter = new PassageSplitter(new PassageSettings(PassageSettings.Mode.DOCUMENT, 0, 0, false,
        encoder.spec().name()), encoder.tokenizer()::contentTokenSpans);
    return splitter::split;
  }

  /**
   * Token windows of every shape, numbered across shapes within a document (multi-granularity windows: a document
   * scores as its best window of any shape).
   */
  public static Function<Document, List<Passage>> windows(OnnxEncoder encoder, List<Window> shapes) {
    if (shapes.isEmpty()) {
      throw new IllegalArgumentException("a passage system needs at least one window shape");
    }
    List<PassageSplitter> splitters = new ArrayList<>();
    for (Window w : shapes) {
      splitters.add(new PassageSplitter(new PassageSettings(PassageSettings.Mode.WINDOW, w.length(), w.stride(), false,
          encoder.spec().name()), encoder.tokenizer()::contentTokenSpans));
    }
    return d -> {
      List<Passage> out = new ArrayList<>();
      for (PassageSplitter splitter : splitters) {
        for (Passage p : splitter.split(d)) {
          out.add(new Passage(p.docId(), out.size(), p.start(), p.end(), p.contents()));
        }
      }
      return out;
    };
  }

  /**
   * The document cut at its blank lines: the passages {@code position-sets} joined. A reference for how much of a
   * windowed system's loss comes from blind window cuts; not deployable (it knows the construction).
   */
  public static Function<Document, List<Passage>> boundaries() {
    return PositionSystems::atBlankLines;
  }

  static List<Passage> atBlankLines(Document d) {
    List<Passage> out = new ArrayList<>();
    String text = d.text();
    int start = 0;
    while (start <= text.length()) {
      int end = text.indexOf(PositionSetBuilder.SEPARATOR, start);
      if (end < 0) {
        end = text.length();
      }
      if (end > start) {
        out.add(new Passage(d.id(), out.size(), start, end, text.substring(start, end)));
      }
      start = end + PositionSetBuilder.SEPARATOR.length();
    }
    return out;
  }
}
