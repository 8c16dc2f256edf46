package dev.attnir.indexer;

import dev.attnir.core.Document;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * An order-independent digest of a set of documents, so an index can be checked against the corpus it is said to
 * hold. Each document's digest is SHA-256 over its id, title and body text exactly as read (each UTF-8 encoded and
 * preceded by its byte length, so field boundaries cannot shift); the fingerprint is the lane-wise sum, modulo 2^64,
 * of the four big-endian 64-bit words of every document's digest, printed as hex after {@link #SCHEME}.
 *
 * <p>Why a sum: it does not depend on the order documents were added in, and it can be recomputed from per-document
 * digests stored in the index, so an index built in several {@code index} runs, or one where documents were replaced
 * (a re-added id replaces the old passages and so the old digest), has the same fingerprint as the corpus it now
 * holds. Passage settings, analyzer and model are not part of it: the manifest records those separately.
 */
public final class CorpusFingerprint {

  /** Names the digest and combination, so a future change of either is not mistaken for a different corpus. */
  public static final String SCHEME = "sha256-sum-v1:";

  /** Bytes of a per-document digest. */
  public static final int DIGEST_BYTES = 32;

  private final long[] lanes = new long[DIGEST_BYTES / Long.BYTES];
  private long documents;

  /** The digest of one document (id, title and text as read). */
  public static byte[] digest(Document d) {
    MessageDigest sha = sha256();
    for (String part : new String[] {d.id(), d.title(), d.text()}) {
      byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
      sha.update(ByteBuffer.allocate(Integer.BYTES).putInt(bytes.length).array());
      sha.update(bytes);
    }
    return sha.digest();
  }

  /** Adds a document. */
  public void add(Document d) {
    add(digest(d));
  }

  /** Adds a document by its {@link #digest(Document)}. */
  public void add(byte[] digest) {
    if (digest.length != DIGEST_BYTES) {
      throw new IllegalArgumentException("a document digest has " + DIGEST_BYTES + " bytes, got " + digest.length);
    }
    ByteBuffer b = ByteBuffer.wrap(digest);
    for (int i = 0; i < lanes.length; i++) {
      lanes[i] += b.getLong();
    }
    documents++;
  }

  /** Documents added. */
  public long documents() {
    return documents;
  }

  /** The fingerprint: {@link #SCHEME} followed by 64 hex digits. */
  public String value() {
    ByteBuffer b = ByteBuffer.allocate(DIGEST_BYTES);
    for (long lane : lanes) {
      b.putLong(lane);
    }
    return SCHEME + HexFormat.of().formatHex(b.array());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
