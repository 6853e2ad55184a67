package io.pgtrickle.worker.dvm.parse;

import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * A construct that prevents differential maintenance, with the front door's name for it (the {@code
 * differential_blocker} the catalog records and {@code query-shapes.tsv} uses) and its rank: where
 * a query has several, the one of lowest rank is reported, as the front door does.
 *
 * @param construct the name, e.g. {@code "LIMIT"}, {@code "aggregate string_agg"}
 * @param rank lower is reported first
 */
public record Blocker(String construct, int rank) {

  /** The front door's order (R__11_differential_blockers.sql), then the engine's own blockers. */
  private static final Map<String, Integer> RANKS =
      Map.ofEntries(
          Map.entry("recursive CTE", 20),
          Map.entry("WITH query (CTE)", 21),
          Map.entry("window function", 30),
          Map.entry("LIMIT", 40),
          Map.entry("OFFSET", 41),
          Map.entry("DISTINCT ON", 50),
          Map.entry("GROUPING SETS", 51),
          Map.entry("set-returning function", 60),
          Map.entry("XMLTABLE or JSON_TABLE", 61),
          Map.entry("VALUES list", 62),
          Map.entry("correlated subquery", 70),
          Map.entry("LATERAL", 71),
          Map.entry("FULL JOIN", 80),
          Map.entry("RIGHT JOIN", 81),
          Map.entry("cross join", 82),
          Map.entry("non-equi join", 83),
          Map.entry("join of more than 4 tables", 84),
          Map.entry("ordered-set aggregate", 90),
          Map.entry("DISTINCT aggregate", 91),
          Map.entry("ORDER BY in aggregate", 92),
          Map.entry("view source", 100),
          Map.entry("stream table source", 101));

  /** A blocker ranked by its name (set operations 10, other subqueries 72, aggregates 93). */
  public static Blocker of(String construct) {
    Integer rank = RANKS.get(construct);
    if (rank == null) {
      if (construct.matches("(UNION|INTERSECT|EXCEPT)( ALL)?")) {
        rank = 10;
      } else if (construct.endsWith(" subquery")) {
        rank = 72;
      } else if (construct.startsWith("aggregate ")) {
        rank = 93;
      } else if (construct.startsWith("column ")) {
        rank = 110;
      } else if (construct.startsWith("volatile function")
          || construct.startsWith("stable function")) {
        // The front door refuses such queries altogether.
        rank = 0;
      } else {
        rank = 1000;
      }
    }
    return new Blocker(construct, rank);
  }

  /** The one to report: lowest rank, then alphabetical (the front door's tie-break). */
  public static Blocker first(List<Blocker> blockers) {
    return blockers.stream()
        .min(Comparator.comparingInt(Blocker::rank).thenComparing(Blocker::construct))
        .orElse(null);
  }
}
