package io.pgtrickle.worker.dvm.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/**
 * {@code -Dbench.stats=true}: where the server spends a refresh, measured on the server (the
 * machine is shared, so wall clock swings 2-5x): the bench's PostgreSQL is started with {@code
 * pg_stat_statements} (planning tracked), {@code track_io_timing} and {@code track_wal_io_timing};
 * the statistics are reset after the warm-up cycles and printed after the measured ones, per
 * statement: calls, plans (times planned: a cached plan is planned again only after an
 * invalidation), mean planning and execution ms, WAL records and bytes, buffers hit and read, and
 * the WAL writer's totals ({@code pg_stat_wal}: syncs and their time, the COMMITs' fsyncs).
 */
final class BenchServerStats {

  static final boolean ON = Boolean.getBoolean("bench.stats");

  private BenchServerStats() {}

  /** The server options the statistics need (empty when off). */
  static String serverOptions() {
    return ON
        ? " -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on"
            + " -c track_io_timing=on -c track_wal_io_timing=on"
        : "";
  }

  /** Creates the extension (once per server). */
  static void install(Connection c) throws SQLException {
    if (ON) {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
      }
    }
  }

  /** Forgets everything measured so far (call when the measured cycles start). */
  static void reset(Connection c) throws SQLException {
    if (ON) {
      try (Statement s = c.createStatement()) {
        s.execute("SELECT pg_stat_statements_reset(), pg_stat_reset_shared('wal')");
      }
    }
  }

  /** Prints the statements and the WAL totals since {@link #reset}. */
  static void print(Connection c, String cell) throws SQLException {
    if (!ON) {
      return;
    }
    StringBuilder out = new StringBuilder("server-side, measured cycles of " + cell + ":\n");
    out.append(
        String.format(
            Locale.ROOT,
            "  %5s %5s %8s %8s %8s %7s %10s %8s %7s  %s%n",
            "calls",
            "plans",
            "plan_ms",
            "exec_ms",
            "io_ms",
            "wal_rec",
            "wal_bytes",
            "hit",
            "read",
            "statement (per call)"));
    // PostgreSQL 17 split blk_read_time/blk_write_time into shared_ and local_ columns.
    String ioTime =
        c.getMetaData().getDatabaseMajorVersion() >= 17
            ? "(shared_blk_read_time + shared_blk_write_time + local_blk_read_time"
                + " + local_blk_write_time)"
            : "(blk_read_time + blk_write_time)";
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT calls, plans, mean_plan_time, mean_exec_time, "
                    + ioTime
                    + " / calls, wal_records / calls, wal_bytes / calls, shared_blks_hit / calls,"
                    + " shared_blks_read / calls, regexp_replace(query, '\\s+', ' ', 'g')"
                    + " FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'"
                    + " ORDER BY total_exec_time + total_plan_time DESC LIMIT 40")) {
      while (rs.next()) {
        String q = rs.getString(10);
        // An apply is long: name its stream table first (the text is cut at 150 characters).
        int merge = q.indexOf("MERGE INTO ");
        if (merge >= 0) {
          int end = q.indexOf(' ', merge + 11);
          q = "[" + q.substring(merge + 11, end < 0 ? q.length() : end) + "] " + q;
        }
        out.append(
            String.format(
                Locale.ROOT,
                "  %5d %5d %8.2f %8.2f %8.2f %7d %10d %8d %7d  %s%n",
                rs.getLong(1),
                rs.getLong(2),
                rs.getDouble(3),
                rs.getDouble(4),
                rs.getDouble(5),
                rs.getLong(6),
                rs.getLong(7),
                rs.getLong(8),
                rs.getLong(9),
                q.length() > 150 ? q.substring(0, 150) + "..." : q));
      }
    }
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT wal_records, wal_fpi, wal_bytes, wal_write, wal_sync, wal_write_time,"
                    + " wal_sync_time FROM pg_stat_wal")) {
      rs.next();
      out.append(
          String.format(
              Locale.ROOT,
              "  pg_stat_wal: %d records, %d full-page images, %d bytes; %d writes (%.1f ms),"
                  + " %d syncs (%.1f ms, %.2f ms each)%n",
              rs.getLong(1),
              rs.getLong(2),
              rs.getLong(3),
              rs.getLong(4),
              rs.getDouble(6),
              rs.getLong(5),
              rs.getDouble(7),
              rs.getLong(5) == 0 ? 0 : rs.getDouble(7) / rs.getLong(5)));
    }
    System.out.print(out);
  }
}
