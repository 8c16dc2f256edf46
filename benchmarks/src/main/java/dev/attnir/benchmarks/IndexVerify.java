package dev.attnir.benchmarks;

import dev.attnir.indexer.search.IndexChecksums;
import dev.attnir.indexer.search.LuceneSearchBackend;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexCommit;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * What verifying checksums costs when an index is opened for search: {@code LuceneSearchBackend.open} without and with
 * verification (the default, {@link IndexChecksums}: every file of the commit read once), and, for comparison, the
 * alternative of {@code LeafReader.checkIntegrity()} on every segment of an open reader. Each round runs every method
 * once per index, in rotated order; the first round is warm-up, so all numbers are with the index in the page cache
 * (a cold open additionally pays reading the index from disk once, which searching it would pay anyway).
 * Usage: {@code IndexVerify <rounds> <index-dir>... [--out prefix]}.
 */
public final class IndexVerify {

  private interface Method {
    void run(Path index) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    int rounds = Integer.parseInt(args[0]);
    List<Path> indexes = new ArrayList<>();
    String out = "benchmarks/results/index-verify";
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--out")) {
        out = args[++i];
      } else {
        indexes.add(Path.of(args[i]));
      }
    }
    Map<String, Method> methods = new LinkedHashMap<>();
    methods.put("open, no verification", index -> LuceneSearchBackend.open(index, false).close());
    methods.put("open, checksum every file (default)", index -> LuceneSearchBackend.open(index).close());
    methods.put("open reader + checkIntegrity() per segment", IndexVerify::checkIntegrity);
    methods.put("checksum every file only", IndexVerify::checksumsOnly);

    Map<Path, Map<String, double[]>> times = new LinkedHashMap<>();
    Map<Path, Map<String, double[]>> cpuTimes = new LinkedHashMap<>();
    for (Path index : indexes) {
      Map<String, double[]> m = new LinkedHashMap<>();
      Map<String, double[]> c = new LinkedHashMap<>();
      methods.keySet().forEach(k -> {
        m.put(k, new double[rounds]);
        c.put(k, new double[rounds]);
      });
      times.put(index, m);
      cpuTimes.put(index, c);
    }
    // CPU time of the opening thread as well: on a shared machine it is what a method costs, wall time what it took
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    List<String> names = new ArrayList<>(methods.keySet());
    String loadAverage = loadAverage();
    for (int r = 0; r <= rounds; r++) {
      for (Path index : indexes) {
        for (int j = 0; j < names.size(); j++) {
          String name = names.get((j + r) % names.size()); // rotated, so no method always runs first or last
          long c0 = threads.getCurrentThreadCpuTime();
          long t0 = System.nanoTime();
          methods.get(name).run(index);
          double ms = (System.nanoTime() - t0) / 1e6;
          double cpuMs = (threads.getCurrentThreadCpuTime() - c0) / 1e6;
          if (r > 0) {
            times.get(index).get(name)[r - 1] = ms;
            cpuTimes.get(index).get(name)[r - 1] = cpuMs;
          }
        }
      }
    }

    Map<String, Object> machine = BenchSupport.machine();
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "# Checksum verification on open%n%n"
        + "`LuceneSearchBackend.open` (what `search`, `evaluate` and `Searcher.open` use) without and with checksum "
        + "verification; medians of %d rounds after a warm-up round, methods interleaved in rotated order, index in "
        + "the page cache. Wall time, and CPU time of the opening thread (the machine is shared: CPU time is what a "
        + "method costs, wall time what it took). MB/s is the index size over the time verification adds to an open "
        + "(10^6 bytes). Load average before the run (1, 5, 15 min): %s.%n"
        + "Machine: %s%n", rounds, loadAverage, machine));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("rounds", rounds);
    json.put("machine", machine);
    Map<String, Object> perIndex = new LinkedHashMap<>();
    for (Path index : indexes) {
      long bytes = indexBytes(index);
      int passages;
      String model;
      try (LuceneSearchBackend b = LuceneSearchBackend.open(index, false)) {
        passages = b.passageCount();
        model = b.manifest().hasVectors() ? b.manifest().embedding().model() + ", "
            + b.manifest().embedding().dimension() + "-dim vectors" : "BM25 only";
      }
      md.append(String.format(Locale.ROOT, "%n## %s%n%n%,d passages, %s, %,d segments, %.1f MB%n%n"
          + "| method | median ms | min ms | max ms | added to open, ms | verified MB/s | median CPU ms | added CPU ms "
          + "| MB per CPU s |%n|---|---|---|---|---|---|---|---|---|%n",
          index, passages, model, segments(index), bytes / 1e6));
      Map<String, double[]> t = times.get(index);
      Map<String, double[]> c = cpuTimes.get(index);
      double plain = BenchSupport.median(t.get(names.get(0)));
      double plainCpu = BenchSupport.median(c.get(names.get(0)));
      Map<String, Object> rows = new LinkedHashMap<>();
      for (String name : names) {
        double[] v = t.get(name);
        double med = BenchSupport.median(v);
        double added = name.equals(names.get(0)) ? 0 : name.equals(names.get(3)) ? med : med - plain;
        String rate = added <= 0 ? "" : String.format(Locale.ROOT, "%.0f", bytes / 1e6 / (added / 1e3));
        double cpu = BenchSupport.median(c.get(name));
        double addedCpu = name.equals(names.get(0)) ? 0 : name.equals(names.get(3)) ? cpu : cpu - plainCpu;
        String cpuRate = addedCpu <= 0 ? "" : String.format(Locale.ROOT, "%.0f", bytes / 1e6 / (addedCpu / 1e3));
        boolean base = name.equals(names.get(0));
        md.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %s | %s | %.1f | %s | %s |%n", name, med,
            min(v), max(v), base ? "" : String.format(Locale.ROOT, "%.1f", added), rate, cpu,
            base ? "" : String.format(Locale.ROOT, "%.1f", addedCpu), cpuRate));
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("medianMs", med);
        row.put("ms", v);
        row.put("medianCpuMs", cpu);
        row.put("cpuMs", c.get(name));
        rows.put(name, row);
      }
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("passages", passages);
      j.put("bytes", bytes);
      j.put("methods", rows);
      perIndex.put(index.toString(), j);
    }
    json.put("indexes", perIndex);
    BenchSupport.writeText(Path.of(out + ".md"), md.toString());
    BenchSupport.write(Path.of(out + ".json"), json);
    System.out.print(md);
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + ", " + f[1] + ", " + f[2];
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  private static void checkIntegrity(Path index) throws Exception {
    try (Directory dir = FSDirectory.open(index); DirectoryReader reader = DirectoryReader.open(dir)) {
      for (LeafReaderContext leaf : reader.leaves()) {
        leaf.reader().checkIntegrity();
      }
    }
  }

  private static void checksumsOnly(Path index) throws Exception {
    try (Directory dir = FSDirectory.open(index)) {
      IndexChecksums.verify(dir, latest(dir));
    }
  }

  private static IndexCommit latest(Directory dir) throws Exception {
    List<IndexCommit> commits = DirectoryReader.listCommits(dir);
    return commits.get(commits.size() - 1);
  }

  private static long indexBytes(Path index) throws Exception {
    long total = 0;
    try (Directory dir = FSDirectory.open(index)) {
      for (String f : latest(dir).getFileNames()) {
        total += Files.size(index.resolve(f));
      }
    }
    return total;
  }

  private static int segments(Path index) throws Exception {
    try (Directory dir = FSDirectory.open(index); DirectoryReader reader = DirectoryReader.open(dir)) {
      return reader.leaves().size();
    }
  }

  private static double min(double[] v) {
    double m = Double.MAX_VALUE;
    for (double x : v) {
      m = Math.min(m, x);
    }
    return m;
  }

  private static double max(double[] v) {
    double m = 0;
    for (double x : v) {
      m = Math.max(m, x);
    }
    return m;
  }
}
