package dev.attnir.eval;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A reproduction target in the manner of Anserini's regressions: a dataset, the {@code evaluate} arguments that produce
 * a run, and the published numbers it must reproduce within a tolerance.
 *
 * @param name spec name
 * @param description what is reproduced and where the numbers come from
 * @param dataset dataset directory, relative to the shared data root
 * @param args arguments appended to {@code evaluate --beir <dataset>}
 * @param expected retriever to metric to expectation
 * @param ci whether the test suite runs it (fast enough for CI)
 */
public record RegressionSpec(String name, String description, String dataset, List<String> args,
    Map<String, Map<String, Expectation>> expected, boolean ci) {

  /**
   * One expected number.
   *
   * @param value published value
   * @param tolerance allowed absolute difference
   * @param source where the value is published
   */
  public record Expectation(double value, double tolerance, String source) {}

  /** Reads a spec; unknown fields are errors naming the file. */
  public static RegressionSpec read(Path file) {
    try {
      return new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .readValue(file.toFile(), RegressionSpec.class);
    } catch (UnrecognizedPropertyException e) {
      throw new IllegalArgumentException(file + ": unknown field '" + e.getPropertyName() + "'", e);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": not a valid regression spec: " + e.getMessage(), e);
    }
  }

  /** Checks measured means (retriever to metric to value); returns one line per failed expectation. */
  public List<String> check(Map<String, Map<String, Double>> measured) {
    List<String> failures = new ArrayList<>();
    expected.forEach((retriever, metrics) -> metrics.forEach((metric, e) -> {
      Double v = measured.getOrDefault(retriever, Map.of()).get(metric);
      if (v == null) {
        failures.add(retriever + " " + metric + ": not measured");
      } else if (Math.abs(v - e.value()) > e.tolerance()) {
        failures.add(String.format(Locale.ROOT, "%s %s: %.4f is outside %.4f +- %.4f (%s)", retriever, metric, v,
            e.value(), e.tolerance(), e.source()));
      }
    }));
    return failures;
  }
}
