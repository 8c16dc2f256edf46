package dev.attnir.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Result files written to a staging directory inside the output directory and moved into place only by
 * {@link #publish()}, so a run that fails (or is refused) halfway leaves the previous run's results as they were.
 */
final class StagedResults implements AutoCloseable {

  private final Path outDir;
  private final Path staging;
  private final List<String> names = new ArrayList<>();

  StagedResults(Path outDir) {
    this.outDir = outDir;
    try {
      this.staging = Files.createTempDirectory(outDir, ".staging-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a staging directory in " + outDir + ": " + e.getMessage(), e);
    }
  }

  /** Where to write result file {@code name} now. */
  Path stage(String name) {
    names.add(name);
    return staging.resolve(name);
  }

  /** Where result file {@code name} will be once published (the path to record in other results). */
  Path destination(String name) {
    return outDir.resolve(name);
  }

  /** Moves every staged file into the output directory, replacing earlier results, in the order they were staged. */
  void publish() {
    for (String name : names) {
      Path from = staging.resolve(name);
      Path to = outDir.resolve(name);
      try {
        try {
          Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot move " + from + " to " + to + ": " + e.getMessage(), e);
      }
    }
  }

  /** Deletes the staging directory and whatever was not published. */
  @Override
  public void close() {
    try (Stream<Path> files = Files.walk(staging)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // leftovers in a hidden directory do not affect results; the run's own outcome is what to report
    }
  }
}
