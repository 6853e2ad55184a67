package io.pgtrickle.worker.dvm.sql;

import io.pgtrickle.worker.dvm.catalog.ColumnInfo;
import io.pgtrickle.worker.dvm.catalog.RelationInfo;
import io.pgtrickle.worker.dvm.catalog.TypeRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The change of one source table in a window, as a Z-set: a common table expression with the
 * table's columns (typed by {@code ->>} and a cast, or {@code jsonb_to_record}), the change's
 * position ({@code __pgt_lsn}, {@code __pgt_seq}) and {@code __pgt_w}: +1 for each new image
 * (INSERT, UPDATE), -1 for each old image (UPDATE, DELETE). An UPDATE is the removal of the old row
 * plus the insertion of the new one. Changes are not netted by default: the weights add up wherever
 * the engine consolidates, so a row inserted and deleted in one window cancels out. A source read
 * under a LEFT JOIN or beside another changed join part is netted (equal images' weights added,
 * zero sums dropped, {@link DeltaBuilder#nettedSources}), since there the delta's terms are
 * rescanned or multiplied before any consolidation.
 *
 * <p>Two parameters, bound in this order: lower bound, upper bound ({@code pg_lsn} text; the window
 * is {@code lower <= lsn < upper}).
 */
public final class SourceDeltaSql {

  /**
   * Built-in scalar types read from an image as {@code (image ->> 'column')::type}: for them that
   * is what {@code jsonb_to_record} does (the JSON scalar's text through the type's input function,
   * with the type modifier; NULL for a JSON null or a missing key). Others (json, jsonb, arrays,
   * enums, domains, composites, ranges) are decoded by {@code jsonb_to_record}.
   */
  static final Set<Long> TEXT_INPUT =
      Set.of(
          16L, // boolean
          17L, // bytea
          20L, // bigint
          21L, // smallint
          23L, // integer
          25L, // text
          700L, // real
          701L, // double precision
          1042L, // character
          1043L, // character varying
          1082L, // date
          1083L, // time
          1114L, // timestamp
          1184L, // timestamptz
          1186L, // interval
          1266L, // timetz
          1700L, // numeric
          2950L); // uuid

  /** Parameters each source's CTE takes: lower and upper bound. */
  public static final int PARAMETERS = 2;

  private SourceDeltaSql() {}

  /** CTE name of source {@code index}'s delta. */
  public static String name(int index) {
    return "__pgt_d" + index;
  }

  /**
   * {@code __pgt_dN AS (...)}: one pass over the window; each change row gives its new image (+1)
   * and its old image (-1), whichever it has (INSERT: new, DELETE: old, UPDATE: both), decoded into
   * the table's row type, or into only {@code columns} when given.
   *
   * @param relation the source table
   * @param window the relation holding its changes (the change buffer, or a copy of the window)
   * @param columns the columns to decode (table order), or null for all
   */
  public static String cte(int index, RelationInfo relation, String window, List<String> columns) {
    return cte(index, relation, window, columns, false);
  }

  /**
   * {@link #cte(int, RelationInfo, String, List)}, netted when {@code net}: the images are grouped
   * by their decoded columns ({@link Consolidation#groupBy}: a column whose type's equality is not
   * identity, or that has no equality, is grouped by its text too, or only by it), their weights
   * added ({@code integer}), and groups whose sum is 0 dropped. A row updated k times in the window
   * then contributes at most its first old image (-1) and its last new image (+1), not 2k images,
   * and an UPDATE of columns the query does not read contributes nothing. The change positions are
   * NULL there: a netted delta is not one chain of changes per identity, so it must not be used
   * where {@link BagApplySql} reads positions (a single changed table's chain).
   */
  public static String cte(
      int index, RelationInfo relation, String window, List<String> columns, boolean net) {
    String images = images(index, relation, window, columns);
    if (!net) {
      return name(index) + " AS (" + images + ")";
    }
    List<String> select = new ArrayList<>();
    List<String> groupBy = new ArrayList<>();
    List<ColumnInfo> decoded =
        columns == null
            ? relation.columns()
            : columns.stream().map(c -> relation.column(c).orElseThrow()).toList();
    for (ColumnInfo c : decoded) {
      String ref = "n." + Sql.ident(c.name());
      select.add(Consolidation.select(ref, c.type()) + " AS " + Sql.ident(c.name()));
      groupBy.addAll(Consolidation.groupBy(ref, c.type()));
    }
    return name(index)
        + " AS (SELECT "
        + String.join(", ", select)
        + (select.isEmpty() ? "" : ", ")
        + "sum(n.__pgt_w)::integer AS __pgt_w, NULL::pg_lsn AS __pgt_lsn,"
        + " NULL::integer AS __pgt_seq FROM ("
        + images
        + ") AS n"
        + (groupBy.isEmpty() ? "" : " GROUP BY " + String.join(", ", groupBy))
        + " HAVING sum(n.__pgt_w) <> 0)";
  }

  /** The body of the un-netted CTE: one row per image. */
  private static String images(
      int index, RelationInfo relation, String window, List<String> columns) {
    if (columns == null && relation.columns().stream().anyMatch(c -> c.type().jsonValued())) {
      columns = relation.columns().stream().map(ColumnInfo::name).toList();
    }
    String decode;
    String select;
    if (columns == null) {
      decode =
          " CROSS JOIN LATERAL jsonb_populate_record(NULL::"
              + Sql.qualified(relation.schema(), relation.name())
              + ", v.__pgt_row) AS r";
      select = "r.*";
    } else {
      List<String> defs = new ArrayList<>();
      List<String> refs = new ArrayList<>();
      for (String c : columns) {
        TypeRef type = relation.column(c).orElseThrow().type();
        if (TEXT_INPUT.contains(type.oid())) {
          // The key's text through the type's input, as jsonb_to_record converts a scalar, at a
          // fraction of its cost (it resolves the record type and looks every column up per row).
          refs.add(textInput(c, type) + " AS " + Sql.ident(c));
        } else if (type.jsonValued()) {
          refs.add(JsonImages.decode(c, type) + " AS " + Sql.ident(c));
        } else {
          defs.add(Sql.ident(c) + " " + type.sqlName());
          refs.add("r." + Sql.ident(c));
        }
      }
      decode =
          defs.isEmpty()
              ? ""
              : " CROSS JOIN LATERAL jsonb_to_record(v.__pgt_row) AS r("
                  + String.join(", ", defs)
                  + ")";
      select = String.join(", ", refs);
    }
    return "SELECT "
        + select
        + ", v.__pgt_w, v.lsn AS __pgt_lsn, v.seq AS __pgt_seq FROM (SELECT CASE WHEN"
        + " s.__pgt_w > 0 THEN c.new_row ELSE c.old_row END AS __pgt_row, s.__pgt_w, c.lsn, c.seq"
        + " FROM "
        + window
        // Each change row twice, against a constant two-row relation: a LATERAL (VALUES (new_row,
        // 1), (old_row, -1)) evaluates its expressions anew for every change row (its rescan
        // initializes them again), which made the unpivot 40% of an aggregate's delta query:
        // 17,000 images grouped to 5 rows took 7.2 ms with it, 4.9 ms this way (2026-12-02,
        // worker/MEASUREMENTS.md). The window is still read once, so its parameters stay two.
        + " AS c CROSS JOIN (VALUES (1), (-1)) AS s(__pgt_w)"
        + " WHERE c.lsn >= ?::pg_lsn AND c.lsn < ?::pg_lsn) AS v"
        + decode
        + " WHERE v.__pgt_row IS NOT NULL"
        // OFFSET 0 keeps the CTE a subquery of its own (not pulled up into the query reading it):
        // each column is then decoded once per image and referenced as a value, where a pulled-up
        // decode is evaluated again at every reference (a join key in the join condition and in
        // the output, an identity column twice, an aggregate argument in its call and its FILTERs),
        // and columns nothing reads are not decoded at all.
        + " OFFSET 0";
  }

  /** {@code (v.__pgt_row ->> 'c')::type}: the key's text through the type's input function. */
  static String textInput(String column, TypeRef type) {
    return "(v.__pgt_row ->> " + Sql.literal(column) + ")::" + type.sqlName();
  }

  /** The change buffer table of a source: {@code pgtrickle_changes.changes_<oid>}. */
  public static String changeBuffer(RelationInfo relation) {
    return Sql.qualified("pgtrickle_changes", "changes_" + relation.oid());
  }
}
