package dev.attnir.indexer;

import dev.attnir.encoders.Digests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Fitted and trained pooling state kept beside an index, one file per state named by its SHA-256. The file is
 * written and synced before the commit that records its digest, so a commit never references a missing file; the name
 * lets a reader verify the content. Lucene leaves these files alone (they do not match its file-name patterns).
 */
public final class PoolingStateFiles {

  private static final String PREFIX = "attnir-pooling-";
  private static final String SUFFIX = ".bin";

  private PoolingStateFiles() {}

  /** Path of the state with this digest. */
  public static Path path(Path indexDir, String sha256) {
    if (!sha256.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("not a SHA-256 digest: " + sha256);
    }
    return indexDir.resolve(PREFIX + sha256 + SUFFIX);
  }

  /** Writes the state (atomically: temp file, sync, rename) unless an identical file exists; returns its digest. */
  public static String write(Path indexDir, byte[] state) {
    String sha = Digests.sha256(state);
    Path target = path(indexDir, sha);
    try {
      if (Files.exists(target) && Digests.sha256(Files.readAllBytes(target)).equals(sha)) {
        return sha;
      }
      Path tmp = indexDir.resolve(PREFIX + sha + ".tmp");
      Files.write(tmp, state);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return sha;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write pooling state to " + target + ": " + e.getMessage(), e);
    }
  }

  /** Reads the state with this digest, or returns null when the file is missing (the caller verifies the content). */
  public static byte[] read(Path indexDir, String sha256) {
    try {
      return Files.readAllBytes(path(indexDir, sha256));
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read pooling state " + sha256 + " in " + indexDir, e);
    }
  }
}
