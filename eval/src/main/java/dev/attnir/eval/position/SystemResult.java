package dev.attnir.eval.position;

import java.util.List;
import java.util.Map;

/**
 * One retrieval system's position-bias outcome on a group of position-controlled sets.
 *
 * @param group group name (e.g. n20)
 * @param system system label
 * @param items per-query outcomes with their spans
 * @param summaries position-bias statistics per length bucket and overall ({@code all})
 * @param goldOnlyNdcg10 nDCG@10 of the same system on the gold passages alone (NaN when not measured, e.g. BM25)
 * @param goldOnlyQueries queries that reference averages over (0 when not measured)
 * @param seconds wall time
 */
public record SystemResult(String group, String system, List<PositionBias.Item> items,
    Map<String, PositionBias.Summary> summaries, double goldOnlyNdcg10, int goldOnlyQueries, double seconds) {}
