package io.pgtrickle.worker.refresh;

import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.worker.db.Sql;
import io.pgtrickle.worker.ingest.ChangeBuffers;
import io.pgtrickle.worker.ingest.IngestDemand;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOut;

/**
 * Reads the change buffers for a refresh through a second connection (autocommit, READ COMMITTED):
 * the rows of a window were committed by the ingest after the refresh's snapshot was taken, so the
 * refresh transaction itself cannot see them.
 */
final class WindowReader {

  /** The 32-bit xid of a buffer row widened to the xid8 nearest the snapshot's xmax. */
  private static final String WIDENED_XID =
      "greatest(3, CASE WHEN ((x.base | b.xid) > x.xmax8 + 2147483648)"
          + " THEN (x.base | b.xid) - 4294967296 ELSE (x.base | b.xid) END)::text::xid8";

  private final Connection probe;

  WindowReader(Connection probe) {
    this.probe = probe;
  }

  /**
   * Waits until every given source's slot confirmed L and the ingest copied the log up to L, asking
   * the ingest for it at once and every second while waiting.
   *
   * @param sources captured base sources
   * @param l the refresh snapshot's LSN
   * @param timeout the longest wait
   * @return true if reached, false on timeout
   * @throws SQLException if the database fails
   * @throws InterruptedException if interrupted
   */
  boolean awaitIngested(Collection<Long> sources, Lsn l, Duration timeout)
      throws SQLException, InterruptedException {
    if (sources.isEmpty()) {
      return true;
    }
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    long nextAsk = start;
    long pause = 1;
    while (true) {
      if (notReady(sources, l) == 0) {
        return true;
      }
      long now = System.nanoTime();
      if (now > deadline) {
        return false;
      }
      if (now >= nextAsk) {
        IngestDemand.request(probe, l);
        nextAsk = now + 1_000_000_000L;
      }
      Thread.sleep(pause);
      pause = Math.min(20, pause * 2);
    }
  }

  private int notReady(Collection<Long> sources, Lsn l) throws SQLException {
    try (PreparedStatement ps =
        probe.prepareStatement(
            "SELECT count(*) FROM pgtrickle.pgt_change_tracking t"
                + " LEFT JOIN pg_replication_slots s ON s.slot_name = t.slot_name"
                + " WHERE t.source_relid::oid::bigint = ANY(?)"
                + " AND NOT coalesce(t.ingested_lsn >= ?::pg_lsn"
                + " AND s.confirmed_flush_lsn >= ?::pg_lsn, false)")) {
      ps.setArray(1, probe.createArrayOf("bigint", sources.toArray()));
      ps.setString(2, l.walText());
      ps.setString(3, l.walText());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /**
   * What a source's window holds.
   *
   * @param oid the source
   * @param from the frontier
   * @param to L
   * @param snapshot the refresh's snapshot
   * @return {changes, truncates, gaps, changes of transactions not visible in the snapshot}
   * @throws SQLException if the database fails
   */
  long[] stats(long oid, Lsn from, Lsn to, String snapshot) throws SQLException {
    try (PreparedStatement ps =
        probe.prepareStatement(
            "WITH x AS (SELECT pg_snapshot_xmax(?::pg_snapshot)::text::bigint AS xmax8,"
                + " pg_snapshot_xmax(?::pg_snapshot)::text::bigint & -4294967296 AS base)"
                + " SELECT count(*), count(*) FILTER (WHERE b.action = 'T'),"
                + " count(*) FILTER (WHERE b.action = 'G'),"
                + " count(*) FILTER (WHERE b.action <> 'G' AND NOT pg_visible_in_snapshot("
                + WIDENED_XID
                + ", ?::pg_snapshot))"
                + " FROM "
                + Sql.changeBuffer(oid)
                + " b, x WHERE b.lsn >= ?::pg_lsn AND b.lsn < ?::pg_lsn")) {
      ps.setString(1, snapshot);
      ps.setString(2, snapshot);
      ps.setString(3, snapshot);
      ps.setString(4, from.walText());
      ps.setString(5, to.walText());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4)};
      }
    }
  }

  /**
   * Commit times of the window's transactions (a sample of about 2,000 when there are more), in
   * epoch milliseconds, for the freshness metric.
   *
   * @param oid the source
   * @param from the frontier
   * @param to L
   * @param changes the window's change count (to size the sample)
   * @return the commit times
   * @throws SQLException if the database fails
   */
  List<Long> commitTimes(long oid, Lsn from, Lsn to, long changes) throws SQLException {
    List<Long> out = new ArrayList<>();
    double fraction = changes <= 2_000 ? 1.0 : 2_000.0 / changes;
    try (PreparedStatement ps =
        probe.prepareStatement(
            "SELECT (extract(epoch FROM commit_ts) * 1000)::bigint FROM (SELECT DISTINCT ON (lsn)"
                + " lsn, commit_ts FROM "
                + Sql.changeBuffer(oid)
                + " WHERE lsn >= ?::pg_lsn AND lsn < ?::pg_lsn AND action <> 'G' ORDER BY lsn) t"
                + " WHERE ? >= 1.0 OR random() < ?")) {
      ps.setString(1, from.walText());
      ps.setString(2, to.walText());
      ps.setDouble(3, fraction);
      ps.setDouble(4, fraction);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getLong(1));
        }
      }
    }
    return out;
  }

  /**
   * Copies a window's rows into a temporary table of the refresh connection, streaming from the
   * probe connection's {@code COPY TO} into the refresh connection's {@code COPY FROM}. The table
   * lives as long as the connection ({@code ON COMMIT DELETE ROWS}): it is created, and granted to
   * the stream table's owner, only when missing, in one statement, so a refresh neither writes
   * catalog rows for it nor invalidates the plans that read it.
   *
   * @param refresh the refresh transaction's connection
   * @param oid the source
   * @param from the frontier
   * @param to L
   * @param streamTable the stream table, whose owner reads the copy
   * @return the temporary table's name
   * @throws SQLException if the database fails
   */
  String materialize(Connection refresh, long oid, Lsn from, Lsn to, long streamTable)
      throws SQLException {
    String table = "pgt_window_" + oid;
    try (Statement s = refresh.createStatement()) {
      s.execute(
          "DO $pgt$ DECLARE owner text := (SELECT r.rolname FROM pg_roles r JOIN pg_class t"
              + " ON t.relowner = r.oid WHERE t.oid = "
              + streamTable
              + "); BEGIN IF to_regclass('pg_temp."
              + table
              + "') IS NULL THEN CREATE TEMP TABLE "
              + table
              + " (LIKE "
              + Sql.changeBuffer(oid)
              + " INCLUDING DEFAULTS) ON COMMIT DELETE ROWS; END IF;"
              + " IF owner IS NULL THEN RAISE EXCEPTION 'relation % does not exist', "
              + streamTable
              + " USING ERRCODE = '42P01'; END IF;"
              + " IF NOT has_table_privilege(owner, 'pg_temp."
              + table
              + "', 'SELECT') THEN EXECUTE format('GRANT SELECT ON pg_temp."
              + table
              + " TO %I', owner); END IF; END $pgt$");
    }
    String select =
        "COPY (SELECT "
            + ChangeBuffers.COLUMNS
            + " FROM "
            + Sql.changeBuffer(oid)
            + " WHERE lsn >= '"
            + from.walText()
            + "'::pg_lsn AND lsn < '"
            + to.walText()
            + "'::pg_lsn ORDER BY lsn, seq) TO STDOUT (FORMAT binary)";
    CopyOut out = probe.unwrap(PGConnection.class).getCopyAPI().copyOut(select);
    CopyIn in =
        refresh
            .unwrap(PGConnection.class)
            .getCopyAPI()
            .copyIn(
                "COPY " + table + " (" + ChangeBuffers.COLUMNS + ") FROM STDIN (FORMAT binary)");
    try {
      byte[] chunk;
      while ((chunk = out.readFromCopy()) != null) {
        in.writeToCopy(chunk, 0, chunk.length);
      }
      in.endCopy();
    } catch (SQLException e) {
      if (in.isActive()) {
        in.cancelCopy();
      }
      if (out.isActive()) {
        out.cancelCopy();
      }
      throw e;
    }
    return table;
  }
}
