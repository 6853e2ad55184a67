package io.pgtrickle.worker.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.worker.db.Lease;
import io.pgtrickle.worker.it.Children;
import io.pgtrickle.worker.it.PipelineDb;
import io.pgtrickle.worker.runtime.WorkerState;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An ingest commit that a failover took back, after the change log was told it was done: a primary
 * and a standby made from a copy of its data directory, the change log in files outside both. The
 * ingest copies a first event (replicated), then, with the primary's walsender for the standby
 * frozen, a second one, and acknowledges it; the primary crashes and the standby is promoted
 * without that commit. The change log does not deliver the second event again; the new session's
 * check finds the lease's commit count below the last copying commit's and writes a gap row into
 * the buffer, so every stream table reading the source is recomputed. Before 2026-12-04 the event
 * was simply gone: no gap, and the stream tables never had the change.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class LostCommitsIT {

  @Test
  void anIngestCommitAFailoverTookBackBecomesAGapInTheBuffer() throws Exception {
    String uri =
        ServerProcess.targetDir("lost-commits").resolve("log").toUri()
            + "?consumer=pgtrickle-worker&pollMs=0";
    try (PipelineDb db = PipelineDb.start()) {
      db.sql("CREATE TABLE public.t (id bigint PRIMARY KEY, v int)");
      db.createStreamTable("st_t", "SELECT id, v FROM public.t", "1h");
      long oid = Long.parseLong(db.one("SELECT 'public.t'::regclass::oid"));
      String buffer = "pgtrickle_changes.changes_" + oid;
      PostgresServer primary = db.server();
      try (PostgresServer standby =
          primary.startStandbyCopy("lost_standby", "-c hot_standby_feedback=on")) {
        Lease lease = new Lease("ingest", "test", Duration.ofMinutes(5));
        LostCommits lost = new LostCommits();
        ChangeBuffers buffers = new ChangeBuffers();
        try (Connection c = db.connect();
            ChangeLogBackend log = ChangeLogBackends.open(uri)) {
          assertThat(lease.acquireOrRenew(c)).isTrue();
          IngestRound round =
              new IngestRound(c, log, lease, buffers, false, new WorkerState(), lost);
          publish(log, oid, 1, db.one("SELECT pg_current_wal_insert_lsn()::text"));
          round.run(null);
          assertThat(db.one("SELECT count(*) FROM " + buffer)).isEqualTo("1");
          String flushed = db.one("SELECT pg_current_wal_flush_lsn()::text");
          Children.await(
              "the standby replayed the first copy",
              Duration.ofSeconds(60),
              () -> holds(standby, "SELECT pg_last_wal_replay_lsn() >= '" + flushed + "'"));
          assertThat(lost.check(c, lease, buffers)).as("nothing lost yet").isZero();

          // The standby stops receiving (the primary's walsender for it frozen); the second copy
          // commits on the primary alone and is acknowledged in the change log.
          String walsender =
              db.one("SELECT pid FROM pg_stat_replication WHERE application_name = 'standby'");
          ServerProcess.run(List.of("kill", "-STOP", walsender), 10);
          publish(log, oid, 2, db.one("SELECT pg_current_wal_insert_lsn()::text"));
          round.run(null);
          round.run(null); // waits for the first round's acknowledgment
          assertThat(db.one("SELECT count(*) FROM " + buffer)).isEqualTo("2");
          Children.await(
              "the change log holds nothing unacknowledged",
              Duration.ofSeconds(30),
              () -> log.lag(oid).toCompletableFuture().join() == 0);
        }
        primary.crash();
        try (Connection s = DriverManager.getConnection(standby.jdbcUrl());
            Statement st = s.createStatement()) {
          st.execute("SELECT pg_promote(true, 60)");
        }

        try (Connection c = DriverManager.getConnection(standby.jdbcUrl());
            ChangeLogBackend log = ChangeLogBackends.open(uri)) {
          assertThat(ids(c, buffer))
              .as("the new primary lacks the second copy")
              .containsExactly(1L);
          assertThat(lost.check(c, lease, buffers))
              .as("the lost commit noticed, a gap marked in the one buffer")
              .isEqualTo(1);
          new IngestRound(c, log, lease, buffers, false, new WorkerState(), lost).run(null);
          assertThat(ids(c, buffer))
              .as("the change log does not deliver the second event again")
              .containsExactly(1L);
          assertThat(actions(c, buffer)).as("the buffer's rows").containsExactly("I", "G");
          assertThat(lost.check(c, lease, buffers)).as("checked once").isZero();
        }
      }
    }
  }

  private static void publish(ChangeLogBackend log, long oid, long id, String lsn) {
    log.publish(
            oid,
            List.of(
                ChangeEvent.insert(
                    oid, Lsn.parse(lsn), 1000 + id, Map.of("id", id, "v", 1), Instant.now())))
        .toCompletableFuture()
        .join();
  }

  private static List<Long> ids(Connection c, String buffer) throws SQLException {
    List<Long> out = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT (new_row ->> 'id')::bigint FROM " + buffer + " WHERE action = 'I'")) {
      while (rs.next()) {
        out.add(rs.getLong(1));
      }
    }
    return out;
  }

  private static List<String> actions(Connection c, String buffer) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT action::text FROM " + buffer + " ORDER BY lsn, seq")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  private static boolean holds(PostgresServer server, String sql) {
    try (Connection c = DriverManager.getConnection(server.jdbcUrl());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() && rs.getBoolean(1);
    } catch (SQLException e) {
      return false;
    }
  }
}
