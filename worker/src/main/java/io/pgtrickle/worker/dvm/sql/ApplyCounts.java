package io.pgtrickle.worker.dvm.sql;

/**
 * How an apply statement reports the storage rows it inserted, updated and deleted, so that a
 * differential refresh's history is exact without a second pass over the delta:
 *
 * <ul>
 *   <li>data-modifying CTEs (PostgreSQL 14, and COUNTED layouts everywhere): each CTE returns
 *       {@code 1} per row, and the statement is a {@code SELECT} of their three counts;
 *   <li>MERGE on PostgreSQL 17 and later: the MERGE sits in a data-modifying CTE with {@code
 *       RETURNING merge_action()}, and the statement counts the actions;
 *   <li>MERGE on PostgreSQL 15 and 16 (no {@code RETURNING}): the statement is the MERGE alone, run
 *       between two reads of the table's transaction statistics ({@link #statistics}); the
 *       differences are its counts.
 * </ul>
 *
 * <p>Every returning statement yields one row of three {@code bigint}: inserted, updated, deleted.
 */
public final class ApplyCounts {

  private ApplyCounts() {}

  /**
   * The final {@code SELECT} of the three counts of data-modifying CTEs each returning one row per
   * modified row.
   *
   * @param inserted the CTE of the INSERT, or null (none)
   * @param updated the CTE of the UPDATE, or null (none)
   * @param deleted the CTE of the DELETE, or null (none)
   */
  public static String select(String inserted, String updated, String deleted) {
    return " SELECT "
        + count(inserted)
        + " AS inserted, "
        + count(updated)
        + " AS updated, "
        + count(deleted)
        + " AS deleted";
  }

  private static String count(String cte) {
    return cte == null ? "0::bigint" : "(SELECT count(*) FROM " + cte + ")";
  }

  /**
   * The tail of a statement whose CTEs ({@code with}, starting with {@code WITH}) feed {@code
   * merge}: the MERGE as CTE {@code __pgt_m} returning {@code merge_action()}, and the count of
   * each action (PostgreSQL 17 and later).
   */
  public static String mergeReturning(String with, String merge) {
    return with
        + ", __pgt_m AS ("
        + merge
        + " RETURNING merge_action() AS __pgt_action)"
        + " SELECT count(*) FILTER (WHERE __pgt_action = 'INSERT') AS inserted,"
        + " count(*) FILTER (WHERE __pgt_action = 'UPDATE') AS updated,"
        + " count(*) FILTER (WHERE __pgt_action = 'DELETE') AS deleted FROM __pgt_m";
  }

  /**
   * Reads {@code target}'s rows inserted, updated and deleted so far in this transaction, not yet
   * flushed to the cumulative statistics ({@code pg_stat_get_xact_tuples_*}), and whether {@code
   * track_counts} is on (else they stay 0). Run before and after a MERGE in the same transaction,
   * the differences are the MERGE's counts: the backend flushes its pending counts only between
   * transactions. One row: inserted, updated, deleted ({@code bigint}), track_counts ({@code
   * boolean}). The table is looked up when the statement runs ({@code to_regclass}), so a cached
   * plan never keeps the OID of a dropped table of the same name.
   *
   * @param target the storage table, quoted ({@link Sql#qualified})
   */
  public static String statistics(String target) {
    return "SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid),"
        + " pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean"
        + " FROM (SELECT to_regclass("
        + Sql.literal(target)
        + ")::oid AS oid) AS r";
  }
}
