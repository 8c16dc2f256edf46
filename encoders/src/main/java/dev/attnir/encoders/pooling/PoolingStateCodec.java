package dev.attnir.encoders.pooling;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.lucene.codecs.CodecUtil;
import org.apache.lucene.index.CorruptIndexException;
import org.apache.lucene.index.IndexFormatTooNewException;
import org.apache.lucene.index.IndexFormatTooOldException;
import org.apache.lucene.store.BufferedChecksumIndexInput;
import org.apache.lucene.store.ByteBuffersDataInput;
import org.apache.lucene.store.ByteBuffersDataOutput;
import org.apache.lucene.store.ByteBuffersIndexInput;
import org.apache.lucene.store.ByteBuffersIndexOutput;
import org.apache.lucene.store.ChecksumIndexInput;
import org.apache.lucene.store.DataOutput;
import org.apache.lucene.store.IndexInput;
import org.apache.lucene.store.IndexOutput;

/**
 * Fitted and trained pooling state in Lucene codec containers: {@link CodecUtil#writeHeader} (magic, codec name,
 * format version), the body, {@link CodecUtil#writeFooter} (CRC32 of everything before it). Format version 1 was a
 * hand-rolled container, still read by {@link LegacyStateV1}; version 2 is the first codec container.
 */
final class PoolingStateCodec {

  /** The hand-rolled container (read only). */
  static final int VERSION_LEGACY = 1;
  /** The first Lucene codec container. */
  static final int VERSION_CODEC = 2;
  static final int VERSION_CURRENT = VERSION_CODEC;

  private PoolingStateCodec() {}

  /** Writes a container body. */
  interface Body {
    void write(DataOutput out) throws IOException;
  }

  /** Reads a container body of the given format version; throws {@link CorruptIndexException} for bad values. */
  interface Reader<T> {
    T read(IndexInput in, int version, long bodyEnd) throws IOException;
  }

  /** A container with the current format version. */
  static byte[] write(String codec, String what, Body body) {
    ByteBuffersDataOutput buffer = new ByteBuffersDataOutput();
    try (IndexOutput out = new ByteBuffersIndexOutput(buffer, what, codec)) {
      CodecUtil.writeHeader(out, codec, VERSION_CURRENT);
      body.write(out);
      CodecUtil.writeFooter(out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serialize the " + what + ": " + e.getMessage(), e); // in memory: not expected
    }
    return buffer.toArrayCopy();
  }

  /** Whether the bytes begin with the codec magic number. */
  static boolean isContainer(byte[] bytes) {
    return bytes.length >= 4 && ByteBuffer.wrap(bytes).getInt() == CodecUtil.CODEC_MAGIC;
  }

  /**
   * Reads a container: the checksum of the whole is verified first (so truncation and damage are reported as such,
   * before any field is trusted), then the codec name and version, the body, and that the body ends at the footer.
   *
   * @throws IllegalArgumentException naming what is wrong: not a container, truncated or damaged (checksum), another
   *     codec, a format version this build does not read, or an inconsistent body
   */
  static <T> T read(byte[] bytes, String codec, String what, Reader<T> reader) {
    if (!isContainer(bytes)) {
      throw new IllegalArgumentException("not a " + what + " (" + bytes.length + " bytes, starting with neither the "
          + "codec magic number of a " + codec + " container nor the magic number of format version " + VERSION_LEGACY
          + ")");
    }
    IndexInput input = new ByteBuffersIndexInput(new ByteBuffersDataInput(List.of(ByteBuffer.wrap(bytes))), what);
    try {
      CodecUtil.checksumEntireFile(input);
    } catch (CorruptIndexException e) {
      throw new IllegalArgumentException(what + " is truncated or damaged: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException(what + " is truncated or damaged: " + e.getMessage(), e);
    }
    try (ChecksumIndexInput in = new BufferedChecksumIndexInput(input)) {
      int version;
      try {
        version = CodecUtil.checkHeader(in, codec, VERSION_CODEC, VERSION_CURRENT);
      } catch (CorruptIndexException e) {
        // the checksum is right, so the header is as written: another kind of state
        throw new IllegalArgumentException("not a " + what + ": " + e.getOriginalMessage(), e);
      }
      T value = reader.read(in, version, bytes.length - CodecUtil.footerLength());
      CodecUtil.checkFooter(in);
      return value;
    } catch (IndexFormatTooNewException e) {
      throw unsupported(what, codec, e.getVersion(), e);
    } catch (IndexFormatTooOldException e) {
      throw unsupported(what, codec, e.getVersion(), e);
    } catch (CorruptIndexException e) {
      throw new IllegalArgumentException(what + " is damaged: " + e.getOriginalMessage(), e);
    } catch (EOFException e) {
      throw new IllegalArgumentException(what + " is damaged: it ends inside its data", e);
    } catch (IOException e) {
      throw new IllegalArgumentException(what + " cannot be read: " + e.getMessage(), e);
    }
  }

  private static IllegalArgumentException unsupported(String what, String codec, Integer version, IOException e) {
    return new IllegalArgumentException(what + " has format version " + version + " of codec " + codec
        + "; this build reads versions " + VERSION_LEGACY + " to " + VERSION_CURRENT, e);
  }

  /** Throws unless {@code bytes} more bytes fit before the footer. */
  static void checkRemaining(IndexInput in, long bodyEnd, long bytes, String field) throws IOException {
    long at = in.getFilePointer();
    if (bytes < 0 || bytes > bodyEnd - at) {
      throw new CorruptIndexException(field + " needs " + bytes + " bytes, " + (bodyEnd - at) + " remain", in);
    }
  }
}
