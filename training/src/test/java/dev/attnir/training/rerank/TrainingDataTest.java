package dev.attnir.training.rerank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.eval.data.BeirDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingDataTest {

  /** A training split that holds a test query is refused before anything is mined. */
  @Test
  void aTestQueryInTheTrainingSplitIsRefused(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("corpus.jsonl"), "{\"_id\":\"d1\",\"title\":\"t\",\"text\":\"x\"}\n");
    Files.writeString(dir.resolve("queries.jsonl"), "{\"_id\":\"q1\",\"text\":\"a\"}\n{\"_id\":\"q2\",\"text\":\"b\"}\n");
    Files.createDirectories(dir.resolve("qrels"));
    Files.writeString(dir.resolve("qrels/train.tsv"), "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td1\t1\n");
    BeirDataset train = BeirDataset.open(dir, "train");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrainingData.mined("toy", train, null, 10, Set.of("q2"), true));
    assertTrue(e.getMessage().contains("query q2") && e.getMessage().contains("training must never see it"),
        e.getMessage());
  }

  /** DL-style lists: grade >= min is positive, 0 or unjudged negative, in between left out. */
  @Test
  void candidateListGradesFollowTheThreshold(@TempDir Path dir) throws Exception {
    Path lists = Files.writeString(dir.resolve("l.jsonl"), "{\"qid\":\"1\",\"query\":\"q\",\"candidates\":["
        + "{\"docid\":\"a\",\"rank\":1,\"text\":\"ta\"},{\"docid\":\"b\",\"rank\":2,\"text\":\"tb\"},"
        + "{\"docid\":\"c\",\"rank\":3,\"text\":\"tc\"},{\"docid\":\"d\",\"rank\":4,\"text\":\"td\"}]}\n"
        + "{\"qid\":\"2\",\"query\":\"r\",\"candidates\":[{\"docid\":\"a\",\"rank\":1,\"text\":\"ta\"}]}\n");
    Path qrels = Files.writeString(dir.resolve("qrels.txt"), "1 0 a 3\n1 0 b 1\n1 0 c 0\n2 0 a 1\n");
    List<TrainingList> l = TrainingData.fromCandidateLists("dl", lists, qrels, 2);
    assertEquals(1, l.size(), "query 2 has no positive at grade 2");
    assertEquals(List.of("a"), l.get(0).positives().stream().map(TrainingList.Item::docId).toList());
    assertEquals(List.of("c", "d"), l.get(0).negatives().stream().map(TrainingList.Item::docId).toList());
  }
}
