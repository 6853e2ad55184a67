package io.pgtrickle.worker.dvm.sql;

import io.pgtrickle.worker.dvm.catalog.RelationInfo;

/**
 * The change of one source table in a window, as a Z-set: a common table expression with the
 * table's columns (typed by {@code jsonb_populate_record}) and {@code __pgt_w}: +1 for each new
 * image (INSERT, UPDATE), -1 for each old image (UPDATE, DELETE). Changes are not netted here: the
 * weights add up wherever the engine consolidates, so a row inserted and deleted in one window
 * cancels out, and an UPDATE is the removal of the old row plus the insertion of the new one.
 *
 * <p>Four parameters, bound in this order: lower bound, upper bound, lower bound, upper bound
 * ({@code pg_lsn} text; the window is {@code lower <= lsn < upper}).
 */
public final class SourceDeltaSql {

  /** Parameters each source's CTE takes. */
  public static final int PARAMETERS = 4;

  private SourceDeltaSql() {}

  /** CTE name of source {@code index}'s delta. */
  public static String name(int index) {
    return "__pgt_d" + index;
  }

  /**
   * {@code __pgt_dN AS (...)}.
   *
   * @param relation the source table
   * @param window the relation holding its changes (the change buffer, or a copy of the window)
   */
  public static String cte(int index, RelationInfo relation, String window) {
    String bounds = "c.lsn >= ?::pg_lsn AND c.lsn < ?::pg_lsn";
    return name(index)
        + " AS (SELECT r.*, e.__pgt_w FROM (SELECT c.new_row AS __pgt_row, 1::bigint AS __pgt_w"
        + " FROM "
        + window
        + " AS c WHERE "
        + bounds
        + " AND c.action IN ('I', 'U') UNION ALL SELECT c.old_row, -1::bigint FROM "
        + window
        + " AS c WHERE "
        + bounds
        + " AND c.action IN ('U', 'D')) AS e CROSS JOIN LATERAL jsonb_populate_record(NULL::"
        + Sql.qualified(relation.schema(), relation.name())
        + ", e.__pgt_row) AS r)";
  }

  /** The change buffer table of a source: {@code pgtrickle_changes.changes_<oid>}. */
  public static String changeBuffer(RelationInfo relation) {
    return Sql.qualified("pgtrickle_changes", "changes_" + relation.oid());
  }
}
