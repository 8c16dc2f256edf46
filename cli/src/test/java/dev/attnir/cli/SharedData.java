package dev.attnir.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Locates ../shared (real evaluation data); tests that need it skip with a clear message when it is absent. */
public final class SharedData {

  private SharedData() {}

  /** The shared directory, or skips the calling test. */
  public static Path require(String relative) {
    String configured = System.getProperty("attnir.shared.dir", "../../shared");
    Path dir = Path.of(configured).toAbsolutePath().normalize();
    Path target = dir.resolve(relative);
    Assumptions.assumeTrue(Files.exists(target), "skipped: " + target + " not found (../shared beside the "
        + "project root holds the evaluation data; CI has it, a fresh clone does not)");
    return target;
  }
}
