package dev.attnir.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Facts about this process that reports record. */
public final class Machine {

  private Machine() {}

  /** Peak resident set size of this process in MiB (Linux VmHWM), or -1 where unavailable. */
  public static double peakRssMiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("\\D+", "")) / 1024.0;
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return -1;
  }
}
