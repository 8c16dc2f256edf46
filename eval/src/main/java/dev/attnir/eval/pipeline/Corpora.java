package dev.attnir.eval.pipeline;

import dev.attnir.eval.data.CorpusReader;
import dev.attnir.indexer.Document;
import dev.attnir.indexer.Passage;
import dev.attnir.indexer.PassageSplitter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Small helpers over corpora and index directories shared by the commands. */
public final class Corpora {

  private Corpora() {}

  /** All passages of a corpus file, in corpus order (invalid documents are an error). */
  public static List<Passage> passages(Path corpus, PassageSplitter splitter) {
    List<Passage> out = new ArrayList<>();
    try (CorpusReader r = new CorpusReader(corpus, CorpusReader.InvalidPolicy.FAIL)) {
      for (Document d = r.next(); d != null; d = r.next()) {
        out.addAll(splitter.split(d));
      }
    }
    return out;
  }

  /** Whether {@code dir} holds a Lucene commit. */
  public static boolean hasIndex(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (var s = Files.list(dir)) {
      return s.anyMatch(p -> p.getFileName().toString().startsWith("segments_"));
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /** Peak resident set size of this process in MiB (Linux VmHWM), or -1 where unavailable. */
  public static double peakRssMiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("\\D+", "")) / 1024.0;
        }
      }
    } catch (java.io.IOException e) {
      return -1;
    }
    return -1;
  }
}
