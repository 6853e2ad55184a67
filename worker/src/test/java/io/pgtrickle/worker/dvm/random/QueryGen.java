package io.pgtrickle.worker.dvm.random;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Random defining queries of every shape issue #13 lists, over the tables of {@link Schemas};
 * {@code {S}} stands for the schema. Every generated query is one the engine must maintain.
 */
public final class QueryGen {

  private QueryGen() {}

  /** The shapes. */
  public enum Shape {
    PROJECT_FILTER,
    KEYLESS,
    AGGREGATE,
    JOIN,
    LEFT_JOIN,
    JOIN_AGGREGATE,
    DISTINCT,
    UNION_ALL,
    SUBQUERY
  }

  public static Arbitrary<String> query(Shape shape) {
    return switch (shape) {
      case PROJECT_FILTER -> projectFilter();
      case KEYLESS -> keyless();
      case AGGREGATE -> aggregate();
      case JOIN -> join();
      case LEFT_JOIN -> leftJoin();
      case JOIN_AGGREGATE -> joinAggregate();
      case DISTINCT -> distinct();
      case UNION_ALL -> unionAll();
      case SUBQUERY -> subquery();
    };
  }

  private static final List<String> A_COLUMNS =
      List.of(
          "a.id",
          "a.k",
          "a.g",
          "a.n",
          "a.v",
          "a.f",
          "CASE WHEN a.v > 2 THEN 'hi' WHEN a.v IS NULL THEN 'none' ELSE a.g END AS kind",
          "a.k + a.v AS kv",
          "coalesce(a.g, '-') AS g2",
          "a.n * 2 AS n2");

  private static final List<String> A_PREDICATES =
      List.of(
          "a.v > 2",
          "a.k IS NULL",
          "(a.g = 'x' OR a.v < 1)",
          "a.n > 1",
          "CASE WHEN a.k > 2 THEN a.v ELSE a.k END >= 1",
          "a.g IN ('x', 'y')",
          "NOT (a.v IS DISTINCT FROM a.k)",
          "a.f < 1");

  private static Arbitrary<String> where(List<String> predicates) {
    return Arbitraries.of(predicates)
        .list()
        .ofMinSize(0)
        .ofMaxSize(2)
        .uniqueElements()
        .map(p -> p.isEmpty() ? "" : " WHERE " + String.join(" AND ", p));
  }

  private static Arbitrary<String> columns(List<String> pool, int max) {
    return Arbitraries.of(pool)
        .list()
        .ofMinSize(1)
        .ofMaxSize(max)
        .uniqueElements()
        .map(c -> String.join(", ", c));
  }

  static Arbitrary<String> projectFilter() {
    return Combinators.combine(columns(A_COLUMNS, 5), where(A_PREDICATES))
        .as((cols, w) -> "SELECT " + cols + " FROM {S}.a" + w);
  }

  static Arbitrary<String> keyless() {
    Arbitrary<String> proj =
        Combinators.combine(
                columns(
                    List.of("c.k", "c.x", "c.y", "c.x * 2 AS x2", "coalesce(c.y, 'n') AS y2"), 3),
                where(List.of("c.x > 1", "c.k IS NOT NULL", "c.y = 'x'")))
            .as((cols, w) -> "SELECT " + cols + " FROM {S}.c" + w);
    Arbitrary<String> agg =
        Combinators.combine(
                Arbitraries.of("c.k", "c.y", "c.k, c.y"),
                columns(
                    List.of(
                        "count(*) AS cnt",
                        "sum(c.x) AS sx",
                        "min(c.y) AS mn",
                        "avg(c.x) AS ax",
                        "count(c.x) AS cx"),
                    3))
            .as((k, a) -> "SELECT " + k + ", " + a + " FROM {S}.c GROUP BY " + k);
    Arbitrary<String> join =
        Arbitraries.of(
            "SELECT c.k, c.x, a.g FROM {S}.c JOIN {S}.a ON a.k = c.k",
            "SELECT c.x, a.id FROM {S}.a LEFT JOIN {S}.c ON c.k = a.k WHERE a.v > 0");
    return Arbitraries.oneOf(proj, agg, join);
  }

  private static final List<String> AGGREGATES =
      List.of(
          "count(*) AS cnt",
          "count(a.v) AS cv",
          "sum(a.v) AS sv",
          "sum(a.n) AS sn",
          "avg(a.v) AS av",
          "avg(a.n) AS an",
          "min(a.v) AS mnv",
          "max(a.g) AS mxg",
          "sum(a.f) AS sf",
          "avg(a.f) AS af",
          "count(*) FILTER (WHERE a.v > 2) AS cf",
          "sum(a.n) FILTER (WHERE a.k = 1) AS snf",
          "min(a.n) AS mnn",
          "max(a.f) AS mxf",
          "sum(a.v) * 2 + count(*) AS expr");

  static Arbitrary<String> aggregate() {
    Arbitrary<List<String>> keys =
        Arbitraries.of("a.k", "a.g", "a.k % 2").list().ofMinSize(0).ofMaxSize(2).uniqueElements();
    Arbitrary<String> having =
        Arbitraries.of("", " HAVING count(*) > 1", " HAVING sum(a.v) > 3", " HAVING min(a.v) < 2");
    return Combinators.combine(
            keys,
            columns(AGGREGATES, 4),
            where(List.of("a.v > 0", "a.g IS NOT NULL", "a.n < 5")),
            having)
        .as(
            (k, aggs, w, h) -> {
              List<String> named = new ArrayList<>();
              for (int i = 0; i < k.size(); i++) {
                named.add(k.get(i) + " AS key" + i);
              }
              String select = named.isEmpty() ? aggs : String.join(", ", named) + ", " + aggs;
              String group = k.isEmpty() ? "" : " GROUP BY " + String.join(", ", k);
              return "SELECT " + select + " FROM {S}.a" + w + group + h;
            });
  }

  static Arbitrary<String> join() {
    Arbitrary<String> from =
        Arbitraries.of(
            "{S}.a JOIN {S}.b ON a.k = b.k",
            "{S}.a JOIN {S}.b ON a.k = b.k JOIN {S}.d ON d.bid = b.id",
            "{S}.a JOIN {S}.b ON a.k = b.k JOIN {S}.d ON d.bid = b.id JOIN {S}.c ON c.k = a.k",
            "{S}.a, {S}.b WHERE a.k = b.k AND a.v < b.w",
            "{S}.b JOIN {S}.a ON a.k = b.k AND a.v <= b.w",
            "{S}.a JOIN {S}.a AS a2 ON a2.k = a.v");
    return Combinators.combine(
            from, Arbitraries.of("", " a.v > 0", " b.t IS NOT NULL", " a.g = 'x'"))
        .as(
            (f, w) -> {
              String cols =
                  f.contains("a2")
                      ? "a.id, a.k, a2.id AS id2, a2.g AS g2"
                      : "a.id, a.g, b.w, b.t"
                          + (f.contains(" d ") || f.contains(".d ") ? ", d.z" : "");
              String where = w.isEmpty() ? "" : (f.contains("WHERE") ? " AND" : " WHERE") + w;
              if (f.contains("a2") && w.contains("b.")) {
                where = "";
              }
              return "SELECT " + cols + " FROM " + f + where;
            });
  }

  static Arbitrary<String> leftJoin() {
    return Arbitraries.of(
        "SELECT a.id, a.k, b.id AS bid, b.w FROM {S}.a LEFT JOIN {S}.b ON a.k = b.k",
        "SELECT a.id, b.w, b.t FROM {S}.a LEFT JOIN {S}.b ON a.k = b.k AND b.w > 1",
        "SELECT b.id, b.k, d.id AS did, d.z FROM {S}.b LEFT JOIN {S}.d ON d.bid = b.id",
        "SELECT a.id, b.t, d.z FROM {S}.a LEFT JOIN {S}.b ON a.k = b.k LEFT JOIN {S}.d ON d.bid = b.id",
        "SELECT a.id, b.t, d.z FROM {S}.a LEFT JOIN ({S}.b JOIN {S}.d ON d.bid = b.id) ON b.k = a.k",
        "SELECT a.id, b.w FROM {S}.a LEFT JOIN {S}.b ON a.k = b.k WHERE b.w IS NULL",
        "SELECT a.id, b.w FROM {S}.a LEFT JOIN {S}.b ON b.k = a.k AND b.t IS NOT NULL WHERE a.g IS NOT NULL",
        "SELECT a.g, b.t FROM {S}.a JOIN {S}.d ON d.bid = a.k LEFT JOIN {S}.b ON b.id = d.bid",
        "SELECT a.id, c.x FROM {S}.a LEFT JOIN {S}.c ON c.k = a.k AND c.x > a.v");
  }

  static Arbitrary<String> joinAggregate() {
    Arbitrary<String> onD =
        Arbitraries.of(
            "SELECT d.bid, count(*) AS cnt, sum(d.z) AS sz, min(d.z) AS mz, avg(d.z) AS az FROM {S}.d"
                + " GROUP BY d.bid",
            "SELECT d.bid, b.t, count(*) AS cnt, sum(b.w) AS sw FROM {S}.d JOIN {S}.b ON b.id = d.bid"
                + " GROUP BY d.bid, b.t",
            "SELECT d.bid, max(b.w) AS mw FROM {S}.d LEFT JOIN {S}.b ON b.id = d.bid GROUP BY d.bid"
                + " HAVING count(*) > 1");
    Arbitrary<String> generic =
        Combinators.combine(
                Arbitraries.of("b.t", "a.g", "b.k", "b.t, a.g"),
                columns(
                    List.of(
                        "count(*) AS cnt",
                        "sum(a.v) AS sv",
                        "sum(a.n * b.w) AS snw",
                        "min(b.w) AS mw",
                        "avg(a.v) AS av",
                        "count(b.w) AS cw"),
                    3),
                Arbitraries.of(
                    "{S}.a JOIN {S}.b ON a.k = b.k",
                    "{S}.a LEFT JOIN {S}.b ON a.k = b.k",
                    "{S}.a JOIN {S}.b ON a.k = b.k JOIN {S}.d ON d.bid = b.id"))
            .as((k, aggs, f) -> "SELECT " + k + ", " + aggs + " FROM " + f + " GROUP BY " + k);
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, generic), net.jqwik.api.Tuple.of(1, onD));
  }

  static Arbitrary<String> distinct() {
    return Arbitraries.of(
        "SELECT DISTINCT a.k, a.g FROM {S}.a",
        "SELECT DISTINCT a.g FROM {S}.a WHERE a.v > 1",
        "SELECT DISTINCT c.k, c.y FROM {S}.c",
        "SELECT DISTINCT b.t, a.k FROM {S}.a JOIN {S}.b ON a.k = b.k",
        "SELECT DISTINCT a.n FROM {S}.a",
        "SELECT DISTINCT CASE WHEN a.v > 2 THEN 'hi' ELSE 'lo' END AS band FROM {S}.a");
  }

  static Arbitrary<String> unionAll() {
    return Arbitraries.of(
        "SELECT a.k, a.g FROM {S}.a WHERE a.v > 1 UNION ALL SELECT b.k, b.t FROM {S}.b",
        "SELECT a.id, a.v FROM {S}.a UNION ALL SELECT d.id, d.bid FROM {S}.d UNION ALL SELECT b.id, b.w FROM {S}.b WHERE b.w < 3",
        "SELECT c.k, c.y FROM {S}.c UNION ALL SELECT a.k, a.g FROM {S}.a",
        "SELECT a.k, count(*) AS n FROM {S}.a GROUP BY a.k UNION ALL SELECT b.k, b.w FROM {S}.b",
        "SELECT u.k, sum(u.v) AS sv FROM (SELECT a.k, a.v FROM {S}.a UNION ALL SELECT c.k, c.x FROM {S}.c) u GROUP BY u.k",
        // Entries without a name: PostgreSQL's "?column?", the later branches' names unprinted.
        "SELECT a.k, 1 FROM {S}.a UNION ALL SELECT b.k, 2 FROM {S}.b",
        "SELECT a.g, a.v + 1 FROM {S}.a UNION ALL SELECT c.y, c.x FROM {S}.c WHERE c.x > 0",
        "SELECT u.k, sum(u.cnt) FROM (SELECT a.k, count(*) AS cnt FROM {S}.a GROUP BY a.k UNION ALL SELECT DISTINCT b.k, 1 FROM {S}.b) u GROUP BY u.k");
  }

  static Arbitrary<String> subquery() {
    return Arbitraries.of(
        "SELECT q.id, q.kind FROM (SELECT a.id, CASE WHEN a.v > 2 THEN 'hi' ELSE 'lo' END AS kind, a.k FROM {S}.a WHERE a.g IS NOT NULL) q WHERE q.k > 0",
        "SELECT q.k, q.cnt, b.t FROM (SELECT a.k, count(*) AS cnt FROM {S}.a GROUP BY a.k) q JOIN {S}.b ON b.k = q.k",
        "SELECT q.k, q.total FROM (SELECT a.k, sum(a.v) AS total FROM {S}.a GROUP BY a.k HAVING count(*) > 1) q",
        "SELECT b.id, q.mx FROM {S}.b LEFT JOIN (SELECT a.k, max(a.v) AS mx FROM {S}.a GROUP BY a.k) q ON q.k = b.k",
        "SELECT q.g, count(*) AS cnt FROM (SELECT DISTINCT a.g, a.k FROM {S}.a) q GROUP BY q.g",
        "SELECT s.kk, s.total FROM (SELECT x.k AS kk, sum(x.w) AS total FROM (SELECT b.k, b.w FROM {S}.b WHERE b.w > 0) x GROUP BY x.k) s WHERE s.total > 1",
        "SELECT q.n FROM (SELECT sum(a.v) AS n FROM {S}.a) q",
        "SELECT q.bid, q.sz, b.t FROM (SELECT d.bid, sum(d.z) AS sz FROM {S}.d GROUP BY d.bid) q"
            + " LEFT JOIN {S}.b ON b.id = q.bid");
  }
}
