package dev.attnir.eval.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Reads a text file line by line as strict UTF-8 (gzip when the name ends in {@code .gz}). Lines are split on bytes
 * and each is decoded on its own, so an invalid byte sequence is an {@link InputException} naming its line and byte
 * offset, not a silent replacement character, and a reader that skips bad records can skip such a line ({@link
 * #nextLine}).
 */
final class LineReader implements AutoCloseable {

  private final Path file;
  private final InputStream in;
  private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT)
      .onUnmappableCharacter(CodingErrorAction.REPORT);
  private final boolean gzip;
  private byte[] buffer = new byte[8192];
  private long lineNumber;
  private long offset; // bytes read so far, including line terminators

  LineReader(Path file) {
    this.file = file;
    this.gzip = file.getFileName().toString().endsWith(".gz");
    try {
      InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
      this.in = gzip ? new BufferedInputStream(new GZIPInputStream(raw), 1 << 16) : raw;
    } catch (java.nio.file.NoSuchFileException e) {
      throw new InputException(file, 0, "file not found");
    } catch (IOException e) {
      throw new InputException(file, 0, "cannot open: " + e.getMessage(), e);
    }
  }

  /**
   * A line's text, or why its bytes are not UTF-8.
   *
   * @param text the decoded line, or null when it is not valid UTF-8
   * @param error what is wrong with the bytes (with their offsets), or null when {@code text} is set
   */
  record Line(String text, String error) {}

  /**
   * The next line without its terminator ({@code \n} or {@code \r\n}), or null at the end.
   *
   * @throws InputException naming the file, line and byte offset when the line is not valid UTF-8
   */
  String next() {
    Line line = nextLine();
    if (line == null) {
      return null;
    }
    if (line.error() != null) {
      throw new InputException(file, lineNumber, line.error());
    }
    return line.text();
  }

  /**
   * The next line, or null at the end. A line that is not valid UTF-8 comes back with an error instead of text, and
   * the reader has moved past it, so a caller that skips bad records can go on with the next line.
   */
  Line nextLine() {
    int length = 0;
    long start = offset;
    try {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      while (b >= 0 && b != '\n') {
        if (length == buffer.length) {
          buffer = Arrays.copyOf(buffer, buffer.length * 2);
        }
        buffer[length++] = (byte) b;
        offset++;
        b = in.read();
      }
      if (b == '\n') {
        offset++;
      }
    } catch (IOException e) {
      throw new InputException(file, lineNumber + 1, "read failed: " + e.getMessage(), e);
    }
    lineNumber++;
    if (length > 0 && buffer[length - 1] == '\r') {
      length--;
    }
    int from = 0;
    if (lineNumber == 1 && length >= 3 && (buffer[0] & 0xFF) == 0xEF && (buffer[1] & 0xFF) == 0xBB
        && (buffer[2] & 0xFF) == 0xBF) {
      from = 3; // byte order mark
    }
    ByteBuffer bytes = ByteBuffer.wrap(buffer, from, length - from);
    CharBuffer chars = CharBuffer.allocate(length - from); // UTF-8 never gives more UTF-16 units than bytes
    decoder.reset();
    CoderResult result = decoder.decode(bytes, chars, true);
    if (!result.isError()) {
      result = decoder.flush(chars);
    }
    if (result.isError()) {
      // the decoder stops at the first bad sequence: its position is the offset in the line
      int at = bytes.position();
      StringBuilder hex = new StringBuilder();
      for (int i = at; i < Math.min(at + Math.max(result.length(), 1), length); i++) {
        hex.append(hex.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "0x%02X", buffer[i] & 0xFF));
      }
      return new Line(null, String.format(Locale.ROOT, "invalid UTF-8 at byte offset %d of the %sfile (offset %d "
          + "in the line, both counted from 0): %s does not form a valid UTF-8 sequence", start + at,
          gzip ? "decompressed " : "", at, hex));
    }
    return new Line(chars.flip().toString(), null);
  }

  /** Line number of the line last returned. */
  long lineNumber() {
    return lineNumber;
  }

  Path file() {
    return file;
  }

  @Override
  public void close() {
    try {
      in.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
