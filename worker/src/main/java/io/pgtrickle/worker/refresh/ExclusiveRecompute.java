package io.pgtrickle.worker.refresh;

import io.pgtrickle.worker.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Whether a recompute may replace a stream table's contents the way {@code REFRESH MATERIALIZED
 * VIEW} does: {@code TRUNCATE} and refill (and rebuild the plan's index after the fill) instead of
 * {@code DELETE} and {@code INSERT}. That writes no WAL record and leaves no dead tuple per old
 * row, and builds the index in one sort instead of row by row (on 100K rows about 4x cheaper), but
 * holds an {@code ACCESS EXCLUSIVE} lock on the stream table until the refresh commits: its readers
 * wait for the commit (then see the new contents), as they wait for a non-concurrent {@code REFRESH
 * MATERIALIZED VIEW}. Writers to the sources are not affected (they are only read).
 *
 * <p>Used only when nothing would see the difference between the two:
 *
 * <ul>
 *   <li>no stream table reads this one ({@code pgt_dependencies}): a downstream refresh reads it
 *       with a REPEATABLE READ snapshot taken before this commit, and {@code TRUNCATE} is not MVCC
 *       safe (such a snapshot would find the table empty);
 *   <li>it is in no publication (logical replication would publish a TRUNCATE, which a subscription
 *       with {@code publish = 'insert, update, delete'} does not apply), has no user trigger (row
 *       triggers would not fire), is referenced by no foreign key, has no inheritance parent or
 *       child, no row-level security and is a plain table;
 *   <li>the lock is granted within {@value #LOCK_WAIT} (a reader in a long transaction, {@code
 *       pg_dump}): otherwise the refresh does not wait and uses {@code DELETE} + {@code INSERT},
 *       readers never blocked.
 * </ul>
 *
 * <p>The runtime reads the conditions, takes the lock, and reads the conditions again with a fresh
 * snapshot, so a stream table created to read this one while the refresh runs is seen (its creation
 * plans the query, which takes a lock that conflicts with this one), and a table that does not
 * qualify is never locked. One caveat remains, as for {@code TRUNCATE} itself: a REPEATABLE READ or
 * SERIALIZABLE transaction of a user whose snapshot is older than the refresh's commit and that
 * first reads the stream table after it finds it empty.
 */
public final class ExclusiveRecompute {

  /** The longest wait for the stream table's lock before falling back to DELETE + INSERT. */
  static final String LOCK_WAIT = "100ms";

  private ExclusiveRecompute() {}

  /**
   * Tries to lock {@code target} {@code ACCESS EXCLUSIVE} for the rest of the transaction, waiting
   * at most {@value #LOCK_WAIT}; {@code lock_timeout} is restored afterwards.
   *
   * @param c a connection in a transaction
   * @param target the qualified, quoted table name
   * @return whether the lock is held (false: nothing changed, the transaction goes on)
   * @throws SQLException if the database fails otherwise
   */
  public static boolean lock(Connection c, String target) throws SQLException {
    // One round trip: the lock is tried in a PL/pgSQL block that catches the timeout (its own
    // subtransaction) and leaves the outcome in a transaction-local setting read right after.
    try (Statement s = c.createStatement()) {
      s.execute(
          "DO $pgt$ DECLARE old text := current_setting('lock_timeout'); BEGIN"
              + " PERFORM set_config('lock_timeout', '"
              + LOCK_WAIT
              + "', true); BEGIN LOCK TABLE "
              + target
              + " IN ACCESS EXCLUSIVE MODE;"
              + " PERFORM set_config('pgtrickle.exclusive_lock', 'on', true);"
              + " EXCEPTION WHEN lock_not_available THEN"
              + " PERFORM set_config('pgtrickle.exclusive_lock', 'off', true); END;"
              + " PERFORM set_config('lock_timeout', old, true); END $pgt$;"
              + " SELECT current_setting('pgtrickle.exclusive_lock')");
      return "on".equals(firstValue(s));
    }
  }

  /** The first column of the first result set of a multi-statement execution. */
  private static String firstValue(Statement s) throws SQLException {
    while (true) {
      ResultSet rs = s.getResultSet();
      if (rs != null) {
        try (rs) {
          return rs.next() ? rs.getString(1) : null;
        }
      }
      if (!s.getMoreResults() && s.getUpdateCount() == -1) {
        return null;
      }
    }
  }

  /**
   * Whether the stream table may be truncated (the conditions above), read with a fresh snapshot.
   *
   * @param c a connection outside the refresh transaction (autocommit, READ COMMITTED)
   * @param relid the stream table
   * @return true if nothing reads or observes the table row by row
   * @throws SQLException if the catalog cannot be read
   */
  static boolean allowed(Connection c, long relid) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT coalesce((SELECT t.relkind = 'r' AND NOT t.relrowsecurity"
                + " AND NOT t.relhassubclass FROM pg_class t WHERE t.oid = x.relid), false)"
                + " AND NOT EXISTS (SELECT FROM pgtrickle.pgt_dependencies d"
                + " WHERE d.source_relid::oid = x.relid)"
                + " AND NOT EXISTS (SELECT FROM pg_trigger g WHERE g.tgrelid = x.relid"
                + " AND NOT g.tgisinternal)"
                + " AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.confrelid = x.relid)"
                + " AND NOT EXISTS (SELECT FROM pg_inherits i WHERE i.inhrelid = x.relid)"
                + " AND NOT EXISTS (SELECT FROM pg_publication_tables p"
                + " WHERE format('%I.%I', p.schemaname, p.tablename)::regclass = x.relid)"
                + " FROM (SELECT ?::bigint::oid AS relid) x")) {
      ps.setLong(1, relid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /**
   * {@code TRUNCATE} of {@code target} after counting its rows (the history's {@code
   * rows_deleted}); the caller holds the lock ({@link #lock}). One round trip, with {@code then}'s
   * statements (e.g. the DROP INDEX of a refill).
   *
   * @param then statements run right after the TRUNCATE, in the same round trip
   * @return the rows the table held
   */
  public static long truncate(Connection c, String target, String... then) throws SQLException {
    StringBuilder sql =
        new StringBuilder("SELECT count(*) FROM " + target + "; TRUNCATE " + target);
    for (String t : then) {
      sql.append(";\n").append(t);
    }
    try (Statement s = c.createStatement()) {
      s.execute(sql.toString());
      long rows = Long.parseLong(firstValue(s));
      while (s.getMoreResults() || s.getUpdateCount() != -1) {
        // the statements after the count
      }
      return rows;
    }
  }

  /** {@code schema.name}, quoted. */
  static String target(StreamTable st) {
    return Sql.qualified(st.schema(), st.name());
  }
}
