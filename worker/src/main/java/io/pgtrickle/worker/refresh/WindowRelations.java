package io.pgtrickle.worker.refresh;

import io.pgtrickle.worker.db.Sql;

/**
 * Where a differential apply reads a source's window from: a relation with the change buffer's
 * columns {@code lsn, seq, new_row, old_row} (what the delta SQL reads), made of up to two parts.
 *
 * <ul>
 *   <li>The part of the window the refresh's own snapshot shows: the ingest committed it before the
 *       snapshot was taken. It is read straight from the change buffer, through the session's
 *       window view {@link #view} (the apply runs as the stream table's owner, who may not read
 *       {@code pgtrickle_changes}; the view, owned by the worker and granted to the owner, reads it
 *       as the worker, and only in the worker's own session: its rows are filtered on the creating
 *       backend's pid).
 *   <li>The rest, committed by the ingest after the snapshot (the snapshot cannot see it; the
 *       refresh read it on its second connection): inline, as one {@code jsonb} parameter, when it
 *       is small, or copied into a temporary table {@link #table} ({@code ON COMMIT DROP}) when it
 *       is not.
 * </ul>
 *
 * A window whose visible part cannot be told apart exactly (see {@link RefreshWindows}) is read
 * from the inline rows or the copy alone.
 */
public final class WindowRelations {

  /**
   * What the placeholders of an apply reading windows as most refreshes do ({@link #relation}{@code
   * (oid, true, INLINE)}) stand for, per source: for {@code explain_stream_table}.
   */
  public static final String PLACEHOLDERS =
      "per source: its rows the refresh's snapshot does not show (jsonb), then the lower and"
          + " upper bound of its window";

  /** The most rows of a window that travel inline ({@code jsonb}); more are copied. */
  static final int INLINE_MAX = 500;

  private static final String COLUMNS = "lsn, seq, new_row, old_row";

  private WindowRelations() {}

  /** Where the rows the snapshot cannot see come from. */
  public enum Rest {
    /** One {@code jsonb} parameter: an array of objects with the four columns. */
    INLINE,
    /** The temporary table {@link #table}. */
    COPIED
  }

  /**
   * The session's view of a source's change buffer: {@code pg_temp.pgt_buffer_<oid>}.
   *
   * @param oid the source
   * @return the qualified name
   */
  static String view(long oid) {
    return "pg_temp.pgt_buffer_" + oid;
  }

  /**
   * The temporary table a window (or its part the snapshot cannot see) is copied into: {@code
   * pg_temp.pgt_window_<oid>}.
   *
   * @param oid the source
   * @return the qualified name
   */
  static String table(long oid) {
    return "pg_temp.pgt_window_" + oid;
  }

  /**
   * The relation of a source's window.
   *
   * @param oid the source
   * @param visible whether the part the snapshot shows is read from the change buffer (else the
   *     rest holds the whole window)
   * @param rest where the other rows come from ({@link Rest#INLINE}: the relation takes one
   *     parameter, the rows as a {@code jsonb} array)
   * @return a parenthesized subquery or a table name
   */
  public static String relation(long oid, boolean visible, Rest rest) {
    String others =
        rest == Rest.INLINE
            ? "SELECT "
                + COLUMNS
                + " FROM jsonb_to_recordset(?::jsonb) AS r(lsn pg_lsn, seq integer,"
                + " new_row jsonb, old_row jsonb)"
            : "SELECT " + COLUMNS + " FROM " + table(oid);
    if (!visible) {
      return rest == Rest.INLINE ? "(" + others + ")" : table(oid);
    }
    return "(SELECT " + COLUMNS + " FROM " + view(oid) + " UNION ALL " + others + ")";
  }

  /**
   * Creates the session's window view of a source when missing and lets the stream table's owner
   * read it (one statement, as the worker, inside the refresh transaction: created or granted only
   * when missing, so a refresh normally writes no catalog row for it).
   *
   * @param oid the source
   * @param streamTable the stream table's storage OID (its owner reads the view)
   * @return a {@code DO} statement
   */
  static String ensureView(long oid, long streamTable) {
    String view = "pgt_buffer_" + oid;
    return asOwner(streamTable)
        + " IF to_regclass('pg_temp."
        + view
        + "') IS NULL THEN EXECUTE format('CREATE TEMP VIEW "
        + view
        + " AS SELECT "
        + COLUMNS
        + " FROM "
        + Sql.changeBuffer(oid).replace("'", "''")
        + " WHERE pg_backend_pid() = %s', pg_backend_pid()); END IF;"
        + " IF NOT has_table_privilege(owner, 'pg_temp."
        + view
        + "', 'SELECT') THEN EXECUTE format('GRANT SELECT ON pg_temp."
        + view
        + " TO %I', owner); END IF; END $pgt$";
  }

  /**
   * Creates the temporary table a window's rows are copied into, for this transaction only ({@code
   * ON COMMIT DROP}), readable by the stream table's owner. A table kept for the session ({@code ON
   * COMMIT DELETE ROWS}) would be truncated at the commit of every later transaction that touches a
   * temporary relation (about 0.5 ms each).
   *
   * @param oid the source
   * @param streamTable the stream table's storage OID
   * @return a {@code DO} statement
   */
  static String createTable(long oid, long streamTable) {
    String table = "pgt_window_" + oid;
    return asOwner(streamTable)
        + " DROP TABLE IF EXISTS pg_temp."
        + table
        + "; CREATE TEMP TABLE "
        + table
        + " (LIKE "
        + Sql.changeBuffer(oid)
        + " INCLUDING DEFAULTS) ON COMMIT DROP;"
        + " EXECUTE format('GRANT SELECT ON pg_temp."
        + table
        + " TO %I', owner); END $pgt$";
  }

  /**
   * The start of a {@code DO} block with the stream table's owner in {@code owner} (42P01 if the
   * storage table is gone).
   */
  private static String asOwner(long streamTable) {
    return "DO $pgt$ DECLARE owner text := (SELECT r.rolname FROM pg_roles r JOIN pg_class t"
        + " ON t.relowner = r.oid WHERE t.oid = "
        + streamTable
        + "); BEGIN IF owner IS NULL THEN RAISE EXCEPTION 'relation % does not exist', "
        + streamTable
        + " USING ERRCODE = '42P01'; END IF;";
  }
}
