package io.pgtrickle.worker.ingest;

import io.pgtrickle.worker.db.RoundTrip;
import io.pgtrickle.worker.db.Sql;
import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import org.postgresql.PGConnection;

/**
 * The change buffers {@code pgtrickle_changes.changes_<oid>} (CONTRACTS.md §3): their DDL, the
 * idempotent copy of a round's events into them, and dropping the buffers of sources no stream
 * table reads any more.
 *
 * <p>Events are copied with one {@code COPY} into a temporary staging table (all sources of the
 * round at once) and then inserted into each buffer with {@code ON CONFLICT DO NOTHING}: events the
 * change log delivers again (the worker crashed between its commit and its acknowledgment) hit the
 * primary key {@code (lsn, seq)} and are skipped.
 */
public final class ChangeBuffers {

  /** The columns of a buffer, in order; {@code commit_ts} is our addition to the contract. */
  public static final String COLUMNS = "lsn, seq, xid, action, new_row, old_row, commit_ts";

  private final Set<Long> created = new HashSet<>();

  /**
   * The DDL of a source's buffer.
   *
   * @param sourceOid the source table's OID
   * @return {@code CREATE TABLE IF NOT EXISTS ...}
   */
  public static String createTable(long sourceOid) {
    return "CREATE TABLE IF NOT EXISTS "
        + Sql.changeBuffer(sourceOid)
        + " (lsn pg_lsn NOT NULL, seq int NOT NULL, xid bigint NOT NULL, action \"char\" NOT NULL,"
        + " new_row jsonb, old_row jsonb, commit_ts timestamptz NOT NULL,"
        + " PRIMARY KEY (lsn, seq))";
  }

  /**
   * Creates the buffers that do not exist yet (remembered per instance, so each costs one statement
   * per process).
   *
   * @param c an autocommit connection
   * @param sources the sources' OIDs
   * @throws SQLException if the database fails
   */
  public void ensure(Connection c, Collection<Long> sources) throws SQLException {
    for (long oid : sources) {
      if (created.contains(oid)) {
        continue;
      }
      try (Statement s = c.createStatement()) {
        s.execute("CREATE SCHEMA IF NOT EXISTS pgtrickle_changes");
        s.execute(createTable(oid));
      } catch (SQLException e) {
        // Two statements racing on IF NOT EXISTS can still collide on the catalog's unique index.
        if (!"23505".equals(e.getSQLState()) && !"42P07".equals(e.getSQLState())) {
          throw e;
        }
      }
      created.add(oid);
    }
  }

  /** Forgets what was created (after a lost connection, or a buffer dropped elsewhere). */
  public void forget() {
    created.clear();
  }

  /**
   * The ingest's staging table: a temporary table of the session, emptied at each commit. Creating
   * it when it exists already does nothing (with a notice).
   */
  static final String STAGE_TABLE =
      "CREATE TEMP TABLE IF NOT EXISTS pgt_ingest_stage (source oid, lsn pg_lsn, seq int,"
          + " xid bigint, action \"char\", new_row jsonb, old_row jsonb,"
          + " commit_ts timestamptz) ON COMMIT DELETE ROWS";

  /**
   * Copies a round's rows into the staging table ({@link #STAGE_TABLE}, created earlier in the
   * caller's transaction); {@link #insertFromStage} then moves them into the buffers.
   *
   * @param c a connection inside a transaction
   * @param csv the rows as {@link BufferRows#appendCsv} wrote them
   * @throws SQLException if the database fails
   */
  static void copyIntoStage(Connection c, CharSequence csv) throws SQLException {
    try {
      c.unwrap(PGConnection.class)
          .getCopyAPI()
          .copyIn(
              "COPY pgt_ingest_stage FROM STDIN (FORMAT csv)", new StringReader(csv.toString()));
    } catch (IOException e) {
      throw new SQLException("copy into the staging table failed: " + e.getMessage(), e);
    }
  }

  /**
   * Adds to a round trip the statements that insert the staged rows into each source's buffer,
   * skipping rows already there (delivered again after a crash before the acknowledgment).
   *
   * @param trip the round trip, run inside the transaction of the copy
   * @param sources the sources that have rows in the staging table
   */
  static void insertFromStage(RoundTrip trip, Collection<Long> sources) {
    for (long oid : sources) {
      trip.add(
          "INSERT INTO "
              + Sql.changeBuffer(oid)
              + " ("
              + COLUMNS
              + ") SELECT "
              + COLUMNS
              + " FROM pgt_ingest_stage WHERE source = ? ON CONFLICT DO NOTHING",
          oid);
    }
  }

  /**
   * Drops the buffers of sources that left {@code pgt_change_tracking}.
   *
   * @param c an autocommit connection
   * @return how many were dropped
   * @throws SQLException if the database fails
   */
  public int dropUntracked(Connection c) throws SQLException {
    Set<Long> orphans = new HashSet<>();
    try (Statement s = c.createStatement();
        var rs =
            s.executeQuery(
                "SELECT substr(c.relname, 9)::bigint FROM pg_class c"
                    + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    + " WHERE n.nspname = 'pgtrickle_changes' AND c.relkind = 'r'"
                    + " AND c.relname ~ '^changes_[0-9]+$'"
                    + " AND NOT EXISTS (SELECT 1 FROM pgtrickle.pgt_change_tracking t"
                    + " WHERE t.source_relid::oid::bigint = substr(c.relname, 9)::bigint)")) {
      while (rs.next()) {
        orphans.add(rs.getLong(1));
      }
    }
    for (long oid : orphans) {
      try (Statement s = c.createStatement()) {
        // CASCADE: refresh sessions read a buffer through a temporary view of their own
        // (refresh.WindowRelations), which depends on it; it goes with the buffer.
        s.execute("DROP TABLE IF EXISTS " + Sql.changeBuffer(oid) + " CASCADE");
      }
      created.remove(oid);
    }
    return orphans.size();
  }
}
