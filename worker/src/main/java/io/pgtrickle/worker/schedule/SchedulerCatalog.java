package io.pgtrickle.worker.schedule;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The scheduler's reads: stream tables, their stream-table sources, manual requests, the clock.
 *
 * <p>Manual requests are sessions waiting in {@code pgtrickle.refresh_stream_table}, whose {@code
 * application_name} is {@code pgtrickle refresh <pgt_id> <target lsn>} (the front door's signal to
 * the workers: see the module README). Any refresh whose snapshot is taken after the request was
 * seen has an LSN above the target and answers it.
 */
final class SchedulerCatalog {

  /**
   * One round's view.
   *
   * @param nodes the stream tables
   * @param manual ids with a manual refresh request waiting
   * @param now the database's clock
   * @param ingestLagBytes WAL between the server's position and the furthest-behind source's {@code
   *     ingested_lsn} (-1 if no source is captured)
   * @param lagMs {@code schema.name} to milliseconds since the stream table's last refresh (or its
   *     creation), {@code pg_stat_pgtrickle.current_lag_ms} at the read
   * @param lagReadNanos {@link System#nanoTime} just before {@code lagMs} was read
   */
  record View(
      Map<Long, DuePlanner.Node> nodes,
      Set<Long> manual,
      Instant now,
      long ingestLagBytes,
      Map<String, Double> lagMs,
      long lagReadNanos) {}

  private SchedulerCatalog() {}

  /**
   * Reads a round's view.
   *
   * @param c the scheduler's connection
   * @param badSchedule called for a stream table whose schedule cannot be parsed (id, problem)
   * @return the view
   * @throws SQLException if the database fails
   */
  static View read(Connection c, BiConsumer<Long, String> badSchedule) throws SQLException {
    Map<Long, Set<Long>> upstream = new HashMap<>();
    Map<Long, DuePlanner.Node> nodes = new HashMap<>();
    Set<Long> manual = new HashSet<>();
    Map<String, Double> lagMs = new HashMap<>();
    long lagReadNanos;
    Instant now;
    long lag;
    try (Statement s = c.createStatement()) {
      try (ResultSet rs =
          s.executeQuery(
              "SELECT d.pgt_id, u.pgt_id FROM pgtrickle.pgt_dependencies d"
                  + " JOIN pgtrickle.pgt_stream_tables u ON u.pgt_relid = d.source_relid"
                  + " WHERE d.source_type = 'STREAM_TABLE'")) {
        while (rs.next()) {
          upstream.computeIfAbsent(rs.getLong(1), k -> new HashSet<>()).add(rs.getLong(2));
        }
      }
      // Names and lags as pg_stat_pgtrickle has them (schema_name, table_name, current_lag_ms).
      lagReadNanos = System.nanoTime();
      try (ResultSet rs =
          s.executeQuery(
              "SELECT st.pgt_id, st.schedule, st.status, st.is_populated, st.initialize,"
                  + " st.data_timestamp, st.created_at,"
                  + " coalesce(n.nspname::text, st.pgt_schema) || '.'"
                  + " || coalesce(c.relname::text, st.pgt_name),"
                  + " (extract(epoch FROM clock_timestamp()"
                  + " - coalesce(st.last_refresh_at, st.created_at)) * 1000)::float8"
                  + " FROM pgtrickle.pgt_stream_tables st"
                  + " LEFT JOIN pg_catalog.pg_class c ON c.oid = st.pgt_relid"
                  + " LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace")) {
        while (rs.next()) {
          lagMs.merge(rs.getString(8), rs.getDouble(9), Math::max);
          long id = rs.getLong(1);
          Schedule schedule;
          try {
            schedule = Schedule.parse(rs.getString(2));
          } catch (IllegalArgumentException e) {
            badSchedule.accept(id, e.getMessage());
            schedule = null;
          }
          nodes.put(
              id,
              new DuePlanner.Node(
                  id,
                  schedule,
                  rs.getString(3),
                  rs.getBoolean(4),
                  rs.getBoolean(5),
                  instant(rs, 6),
                  instant(rs, 7),
                  upstream.getOrDefault(id, Set.of())));
        }
      }
      // Requests not answered yet: a refresh that already moved every source's frontier to the
      // target answers it (the caller notices within its next poll).
      try (ResultSet rs =
          s.executeQuery(
              "SELECT r.id FROM (SELECT m[1]::bigint AS id, m[2]::pg_lsn AS target"
                  + " FROM (SELECT regexp_match(application_name,"
                  + " '^pgtrickle refresh ([0-9]+) ([0-9A-Fa-f]+/[0-9A-Fa-f]+)$') AS m"
                  + " FROM pg_stat_activity WHERE application_name LIKE 'pgtrickle refresh %'"
                  + " AND datname = current_database()) a WHERE m IS NOT NULL) r"
                  + " LEFT JOIN pgtrickle.pgt_stream_tables st ON st.pgt_id = r.id"
                  + " WHERE st.pgt_id IS NULL OR NOT st.is_populated OR EXISTS ("
                  + " SELECT 1 FROM pgtrickle.pgt_dependencies d WHERE d.pgt_id = r.id"
                  + " AND d.source_type IN ('TABLE', 'STREAM_TABLE')"
                  + " AND coalesce((st.frontier -> 'sources' ->> d.source_relid::oid::text)::pg_lsn"
                  + " < r.target, true))")) {
        while (rs.next()) {
          manual.add(rs.getLong(1));
        }
      }
      try (ResultSet rs =
          s.executeQuery(
              "SELECT clock_timestamp(), coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(),"
                  + " coalesce(ingested_lsn, '0/0'::pg_lsn)))::bigint, -1)"
                  + " FROM pgtrickle.pgt_change_tracking WHERE captured_since_lsn IS NOT NULL")) {
        rs.next();
        now = rs.getTimestamp(1).toInstant();
        lag = rs.getLong(2);
      }
    }
    return new View(nodes, manual, now, lag, lagMs, lagReadNanos);
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    java.sql.Timestamp t = rs.getTimestamp(column);
    return t == null ? null : t.toInstant();
  }
}
