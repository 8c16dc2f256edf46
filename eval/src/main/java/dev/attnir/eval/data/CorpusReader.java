package dev.attnir.eval.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attnir.core.Document;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Streams a BEIR {@code corpus.jsonl} (one {@code {"_id", "title", "text"}} object per line; {@code .gz} accepted),
 * validating every line. Under {@link InvalidPolicy#FAIL} the first problem is an {@link InputException} naming file,
 * line and field; under {@link InvalidPolicy#SKIP} invalid documents, lines that are not UTF-8 among them, are counted
 * and the first few reported. Duplicate ids are always an error, since either copy could be the one the qrels mean.
 *
 * <p>What is valid:
 *
 * <ul>
 *   <li>{@code _id}: a non-empty string or number without whitespace or control characters. Other ids are refused,
 *       not encoded, because a TREC run file could not carry them (see {@link TrecIds}).
 *   <li>{@code title} and {@code text}: strings (or absent or null, read as empty). A document needs a non-blank
 *       title or text; one with a title and no or empty text is valid and indexed as its title (BEIR corpora such as
 *       TREC-COVID have documents with a title and an empty abstract).
 * </ul>
 */
public final class CorpusReader implements AutoCloseable {

  /** What to do with an invalid document. */
  public enum InvalidPolicy {
    FAIL,
    SKIP
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_REPORTED = 20;

  private final LineReader lines;
  private final InvalidPolicy policy;
  private final Map<String, Long> seen = new HashMap<>();
  private final List<String> skippedReasons = new ArrayList<>();
  private long skipped;
  private long titleOnly;
  private String firstTitleOnly;

  public CorpusReader(Path file, InvalidPolicy policy) {
    this.lines = new LineReader(file);
    this.policy = policy;
  }

  /** Reads a whole corpus into memory. */
  public static List<Document> readAll(Path file, InvalidPolicy policy) {
    List<Document> docs = new ArrayList<>();
    try (CorpusReader r = new CorpusReader(file, policy)) {
      for (Document d = r.next(); d != null; d = r.next()) {
        docs.add(d);
      }
    }
    return docs;
  }

  /**
   * The documents of a corpus file as a stream that closes the file when it is closed: one pass each call, for code
   * that takes a {@code Supplier<Stream<Document>>} (e.g. fitting whitening on a sample of the corpus).
   */
  public static Stream<Document> stream(Path file, InvalidPolicy policy) {
    CorpusReader reader = new CorpusReader(file, policy);
    return reader.stream().onClose(reader::close);
  }

  /** The rest of this reader's documents as a stream (closing the stream does not close the reader). */
  public Stream<Document> stream() {
    CorpusReader reader = this;
    Iterator<Document> it = new Iterator<>() {
      private Document next = reader.next();

      @Override
      public boolean hasNext() {
        return next != null;
      }

      @Override
      public Document next() {
        if (next == null) {
          throw new NoSuchElementException();
        }
        Document d = next;
        next = reader.next();
        return d;
      }
    };
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL),
        false);
  }

  /** The next valid document, or null at the end of the file. */
  public Document next() {
    LineReader.Line line;
    while ((line = lines.nextLine()) != null) {
      if (line.error() != null) {
        invalid(lines.lineNumber(), line.error()); // the reader is past the line, so skipping it is safe
        continue;
      }
      if (line.text().isBlank()) {
        continue;
      }
      Document d = parse(line.text());
      if (d != null) {
        return d;
      }
    }
    return null;
  }

  private Document parse(String line) {
    long n = lines.lineNumber();
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      return invalid(n, "malformed JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      return invalid(n, "expected a JSON object per line");
    }
    JsonNode id = node.get("_id");
    if (id == null || id.isNull()) {
      return invalid(n, "missing required field '_id'");
    }
    if (!id.isTextual() && !id.isNumber()) {
      return invalid(n, "field '_id' must be a string or number, got " + id.getNodeType());
    }
    String docId = id.asText();
    String badId = TrecIds.problem("field '_id'", docId);
    if (badId != null) {
      return invalid(n, badId);
    }
    JsonNode text = node.get("text");
    if (text != null && !text.isNull() && !text.isTextual()) {
      return invalid(n, "document '" + docId + "': field 'text' must be a string, got " + text.getNodeType());
    }
    JsonNode title = node.get("title");
    if (title != null && !title.isNull() && !title.isTextual()) {
      return invalid(n, "document '" + docId + "': field 'title' must be a string, got " + title.getNodeType());
    }
    // a missing or null text is an empty one: both are valid with a title (indexed as the title), neither without
    String bodyText = text == null || text.isNull() ? "" : text.asText();
    String titleText = title == null || title.isNull() ? "" : title.asText();
    if (bodyText.isBlank() && titleText.isBlank()) {
      return invalid(n, "document '" + docId + "' has " + (text == null || text.isNull() ? "no field 'text'"
          : "empty 'text'") + " and no title: nothing to index");
    }
    Long first = seen.putIfAbsent(docId, n);
    if (first != null) {
      throw new InputException(lines.file(), n, "duplicate _id '" + docId + "' (first seen at line " + first + ")");
    }
    if (bodyText.isBlank()) {
      // counted and shown because a corpus whose body is under another name ("body", "contents") would otherwise be
      // indexed as titles alone without a word said
      if (titleOnly++ == 0) {
        firstTitleOnly = lines.file().getFileName() + ":" + n + ": document '" + docId + "'";
      }
    }
    return new Document(docId, titleText, bodyText);
  }

  private Document invalid(long line, String reason) {
    if (policy == InvalidPolicy.FAIL) {
      throw new InputException(lines.file(), line, reason);
    }
    skipped++;
    if (skippedReasons.size() < MAX_REPORTED) {
      skippedReasons.add(lines.file().getFileName() + ":" + line + ": " + reason);
    }
    return null;
  }

  /** Invalid documents skipped so far (SKIP policy). */
  public long skipped() {
    return skipped;
  }

  /** Valid documents read so far that have a title and no text (indexed as their title). */
  public long titleOnly() {
    return titleOnly;
  }

  /** File, line and id of the first document with a title and no text, or null if there is none. */
  public String firstTitleOnly() {
    return firstTitleOnly;
  }

  /** Reasons for the first skipped documents, with file and line. */
  public List<String> skippedReasons() {
    return List.copyOf(skippedReasons);
  }

  @Override
  public void close() {
    lines.close();
  }
}
