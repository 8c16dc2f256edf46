package dev.attnir.cli;

import dev.attnir.core.Candidate;
import dev.attnir.core.Ranking;
import dev.attnir.core.Reranker;
import dev.attnir.core.RerankerFactory;
import dev.attnir.core.ScoredDoc;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A test reranker that reverses the first stage's order and keeps its scores, so only the order says which document
 * is better: a run writer that re-sorted by score would silently undo it. Registered for {@code --rerank reverse}.
 */
public final class ReverseReranker implements RerankerFactory {

  @Override
  public String name() {
    return "reverse";
  }

  @Override
  public String description() {
    return "test only: reverses the candidates, keeping their first-stage scores";
  }

  @Override
  public Reranker create(Map<String, String> options) {
    if (!options.isEmpty()) {
      throw new IllegalArgumentException("reranker reverse takes no options, got " + options.keySet());
    }
    return new Reranker() {
      @Override
      public String name() {
        return "reverse";
      }

      @Override
      public Ranking rerank(String query, List<Candidate> candidates) {
        List<ScoredDoc> out = new ArrayList<>(candidates.size());
        for (int i = candidates.size() - 1; i >= 0; i--) {
          out.add(candidates.get(i).scored(candidates.get(i).score()));
        }
        return new Ranking(out);
      }
    };
  }
}
