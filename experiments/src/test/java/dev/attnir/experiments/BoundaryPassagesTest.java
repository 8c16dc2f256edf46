package dev.attnir.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.attnir.core.Document;
import dev.attnir.eval.position.PositionSetBuilder;
import dev.attnir.indexer.Passage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The boundaries reference of the position-bias runs cuts exactly the passages a position set was built from. */
class BoundaryPassagesTest {

  @Test
  void theBoundaryReferenceCutsExactlyTheBuiltPassages() {
    List<PositionSetBuilder.Query> queries = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      queries.add(new PositionSetBuilder.Query("q" + i, "question " + i,
          new PositionSetBuilder.Passage("g" + i, "Gold " + i, "The answer is Answer" + i + " indeed."),
          List.of("answer" + i)));
    }
    List<PositionSetBuilder.Passage> pool = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      pool.add(new PositionSetBuilder.Passage("d" + i, "Distractor " + i, "Unrelated text number " + i + "."));
    }
    List<PositionSetBuilder.Doc> docs = PositionSetBuilder.build(queries, pool, 7,
        new PositionSetBuilder.Stratified(), 3, t -> t.split("\\s+").length);
    for (PositionSetBuilder.Doc d : docs) {
      List<Passage> ps = PositionSystems.atBlankLines(new Document(d.docId(), "", d.text()));
      assertEquals(7, ps.size());
      Passage gold = ps.get(d.slot());
      assertEquals(d.spanStart(), gold.start());
      assertEquals(d.spanEnd(), gold.end());
      for (Passage p : ps) {
        assertEquals(d.text().substring(p.start(), p.end()), p.contents());
      }
    }
  }
}
