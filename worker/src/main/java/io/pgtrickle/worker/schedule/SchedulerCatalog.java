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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The scheduler's reads: stream tables, their stream-table sources, manual requests, the clock. */
final class SchedulerCatalog {

  /**
   * The {@code application_name} of a session waiting in {@code pgtrickle.refresh_stream_table},
   * {@code pgtrickle refresh <pgt_id> <target lsn>} (the front door's signal to the workers: see
   * the module README). A refresh that starts after the request takes its snapshot LSN above the
   * target, so any refresh that starts now answers it.
   */
  static final Pattern MANUAL_REQUEST = Pattern.compile("pgtrickle refresh (\\d+)( \\S+)?");

  /**
   * One round's view.
   *
   * @param nodes the stream tables
   * @param manual ids with a manual refresh request waiting
   * @param now the database's clock
   * @param ingestLagBytes WAL between the server's position and the furthest-behind source's {@code
   *     ingested_lsn} (-1 if no source is captured)
   */
  record View(
      Map<Long, DuePlanner.Node> nodes, Set<Long> manual, Instant now, long ingestLagBytes) {}

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
      try (ResultSet rs =
          s.executeQuery(
              "SELECT pgt_id, schedule, status, is_populated, initialize, data_timestamp,"
                  + " created_at FROM pgtrickle.pgt_stream_tables")) {
        while (rs.next()) {
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
      try (ResultSet rs =
          s.executeQuery(
              "SELECT application_name FROM pg_stat_activity"
                  + " WHERE application_name LIKE 'pgtrickle refresh %'"
                  + " AND datname = current_database()")) {
        while (rs.next()) {
          Matcher m = MANUAL_REQUEST.matcher(rs.getString(1));
          if (m.matches()) {
            manual.add(Long.parseLong(m.group(1)));
          }
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
    return new View(nodes, manual, now, lag);
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    java.sql.Timestamp t = rs.getTimestamp(column);
    return t == null ? null : t.toInstant();
  }
}
