package dev.attnir.elasticsearch;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every entitlement the plugin asks for comes with its reason: a comment on the lines just above it. */
class EntitlementPolicyTest {

  @Test
  void everyEntitlementHasAReasonAbove() throws Exception {
    Path policy = AttnirEnglishNodeTest.repositoryRoot()
        .resolve("plugins/elasticsearch/src/main/plugin-metadata/entitlement-policy.yaml");
    List<String> lines = Files.readAllLines(policy);
    boolean commented = false;
    int entries = 0;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.startsWith("#")) {
        commented = true;
      } else if (line.startsWith("- ") || line.endsWith(": []") || line.endsWith(":")) {
        assertTrue(commented, policy + ":" + (i + 1) + " has no reason (a # comment) above: " + line);
        entries++;
        commented = false;
      }
    }
    assertTrue(entries > 0, policy + " names no scope");
  }
}
