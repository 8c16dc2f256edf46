package dev.attnir.eval.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Reads a text file line by line as strict UTF-8 (gzip when the name ends in {@code .gz}). Lines are split on bytes
 * and each is decoded on its own, so an invalid byte sequence is an {@link InputException} naming its line, not a
 * silent replacement character.
 */
final class LineReader implements AutoCloseable {

  private final Path file;
  private final InputStream in;
  private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT)
      .onUnmappableCharacter(CodingErrorAction.REPORT);
  private byte[] buffer = new byte[8192];
  private long lineNumber;

  LineReader(Path file) {
    this.file = file;
    try {
      InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
      this.in = file.getFileName().toString().endsWith(".gz") ? new BufferedInputStream(new GZIPInputStream(raw),
          1 << 16) : raw;
    } catch (java.nio.file.NoSuchFileException e) {
      throw new InputException(file, 0, "file not found");
    } catch (IOException e) {
      throw new InputException(file, 0, "cannot open: " + e.getMessage(), e);
    }
  }

  /** The next line without its terminator ({@code \n} or {@code \r\n}), or null at the end. */
  String next() {
    int length = 0;
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
        b = in.read();
      }
    } catch (IOException e) {
      throw new InputException(file, lineNumber + 1, "read failed: " + e.getMessage(), e);
    }
    lineNumber++;
    if (length > 0 && buffer[length - 1] == '\r') {
      length--;
    }
    int start = 0;
    if (lineNumber == 1 && length >= 3 && (buffer[0] & 0xFF) == 0xEF && (buffer[1] & 0xFF) == 0xBB
        && (buffer[2] & 0xFF) == 0xBF) {
      start = 3; // byte order mark
    }
    try {
      return decoder.decode(ByteBuffer.wrap(buffer, start, length - start)).toString();
    } catch (CharacterCodingException e) {
      throw new InputException(file, lineNumber, "invalid UTF-8 (" + e.getMessage() + ")", e);
    }
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
