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
 * Ingest commits that a failover took back: a primary and a standby made from a copy of its data
 * directory, the change log in files outside both. The ingest copies a first event (replicated),
 * then, with the primary's walsender for the standby frozen, a second one; the primary crashes and
 * the standby is promoted without that commit.
 *
 * <p>By default the second event's acknowledgment waits for the standby's flush ({@link
 * AckHoldback}), so the change log still holds it, and a worker started after the failover (nothing
 * remembered) copies it again: no gap, nothing recomputed. Acknowledged without that proof (here: a
 * hold bound of zero; in production no standby streaming, positions hidden from the role, or a
 * standby stuck past the bound), the change log does not deliver it again and the new session's
 * check ({@link LostCommits}) finds the lease's commit count below the last unprotected commit's
 * and writes a gap row into the buffer, so every stream table reading the source is recomputed.
 * Before 2026-12-04 the event was simply gone; before 2026-12-05 it was a gap in the first case
 * too, and gone when the worker restarted at the failover.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class LostCommitsIT {

  @Test
  void aHeldBackAcknowledgmentComesAgainAfterTheFailoverEvenToANewWorker() throws Exception {
    try (Failover f = Failover.start("held-acks")) {
      Lease lease = new Lease("ingest", "test", Duration.ofMinutes(5));
      LostCommits lost = new LostCommits();
      try (Connection c = f.db.connect();
          ChangeLogBackend log = ChangeLogBackends.open(f.uri)) {
        assertThat(lease.acquireOrRenew(c)).isTrue();
        IngestRound round =
            IngestRounds.of(c, log, lease, new ChangeBuffers(), lost, AckHoldback.DEFAULT_MAX_HOLD);
        f.copyFirstEventAndFreezeTheStandby(log, round);
        Children.await(
            "the first event acknowledged once the standby flushed it",
            Duration.ofSeconds(30),
            () -> {
              try {
                round.run(null);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
              return log.lag(f.oid).toCompletableFuture().join() == 0;
            });
        f.publish(log, 2);
        round.run(null);
        assertThat(ids(c, f.buffer)).containsExactly(1L, 2L);
        for (int i = 0; i < 5; i++) {
          Thread.sleep(200);
          round.run(null);
        }
        assertThat(log.lag(f.oid).toCompletableFuture().join())
            .as("the second event is not acknowledged while the standby lacks its commit")
            .isEqualTo(1);
      }
      f.crashAndPromote();

      // A worker started after the failover: no LostCommits or buffers state of the old one.
      LostCommits fresh = new LostCommits();
      try (Connection c = DriverManager.getConnection(f.standby.jdbcUrl());
          ChangeLogBackend log = ChangeLogBackends.open(f.uri)) {
        assertThat(ids(c, f.buffer))
            .as("the new primary lacks the second copy")
            .containsExactly(1L);
        ChangeBuffers buffers = new ChangeBuffers();
        assertThat(fresh.check(c, lease, buffers)).isZero();
        assertThat(lost.check(c, lease, buffers))
            .as("the old process acknowledged nothing unprotected either")
            .isZero();
        IngestRounds.of(c, log, lease, buffers, fresh, AckHoldback.DEFAULT_MAX_HOLD).run(null);
        assertThat(ids(c, f.buffer))
            .as("the change log delivers the second event again")
            .containsExactly(1L, 2L);
        assertThat(actions(c, f.buffer)).as("the buffer's rows: no gap").containsExactly("I", "I");
      }
    }
  }

  @Test
  void anUnprotectedAcknowledgmentAFailoverTookBackBecomesAGapInTheBuffer() throws Exception {
    try (Failover f = Failover.start("lost-commits")) {
      Lease lease = new Lease("ingest", "test", Duration.ofMinutes(5));
      LostCommits lost = new LostCommits();
      ChangeBuffers buffers = new ChangeBuffers();
      try (Connection c = f.db.connect();
          ChangeLogBackend log = ChangeLogBackends.open(f.uri)) {
        assertThat(lease.acquireOrRenew(c)).isTrue();
        IngestRound round = IngestRounds.of(c, log, lease, buffers, lost, Duration.ZERO);
        f.copyFirstEventAndFreezeTheStandby(log, round);
        assertThat(lost.check(c, lease, buffers)).as("nothing lost yet").isZero();
        f.publish(log, 2);
        round.run(null);
        round.run(null); // waits for the first round's acknowledgment
        assertThat(ids(c, f.buffer)).containsExactly(1L, 2L);
        Children.await(
            "the change log holds nothing unacknowledged",
            Duration.ofSeconds(30),
            () -> log.lag(f.oid).toCompletableFuture().join() == 0);
      }
      f.crashAndPromote();

      try (Connection c = DriverManager.getConnection(f.standby.jdbcUrl());
          ChangeLogBackend log = ChangeLogBackends.open(f.uri)) {
        assertThat(ids(c, f.buffer))
            .as("the new primary lacks the second copy")
            .containsExactly(1L);
        assertThat(lost.check(c, lease, buffers))
            .as("the lost commit noticed, a gap marked in the one buffer")
            .isEqualTo(1);
        IngestRounds.of(c, log, lease, buffers, lost, Duration.ZERO).run(null);
        assertThat(ids(c, f.buffer))
            .as("the change log does not deliver the second event again")
            .containsExactly(1L);
        assertThat(actions(c, f.buffer)).as("the buffer's rows").containsExactly("I", "G");
        assertThat(lost.check(c, lease, buffers)).as("checked once").isZero();
      }
    }
  }

  @Test
  void aStandbyHiddenFromTheRoleCountsAsHidden() throws Exception {
    try (Failover f = Failover.start("hidden-standby")) {
      f.db.sql("CREATE ROLE plain LOGIN");
      Children.await(
          "the standby streaming",
          Duration.ofSeconds(60),
          () ->
              "1"
                  .equals(
                      f.db.one(
                          "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")));
      try (Connection plain =
          DriverManager.getConnection(
              "jdbc:postgresql://127.0.0.1:" + f.db.server().port() + "/postgres?user=plain")) {
        StandbyFlush seen = StandbyFlush.read(plain);
        assertThat(seen.streaming())
            .as("a standby whose state the role cannot see still counts")
            .isEqualTo(1);
        assertThat(seen.hidden()).as("and counts as hidden").isEqualTo(1);
        assertThat(seen.minFlush()).as("no position to trust").isNull();
      }
    }
  }

  /** A primary with a stream table over public.t, its standby, and a change log in files. */
  private static final class Failover implements AutoCloseable {
    final PipelineDb db;
    final PostgresServer standby;
    final String uri;
    final long oid;
    final String buffer;

    private Failover(PipelineDb db, PostgresServer standby, String uri, long oid) {
      this.db = db;
      this.standby = standby;
      this.uri = uri;
      this.oid = oid;
      this.buffer = "pgtrickle_changes.changes_" + oid;
    }

    static Failover start(String name) throws Exception {
      String uri =
          ServerProcess.targetDir(name).resolve("log").toUri()
              + "?consumer=pgtrickle-worker&pollMs=0";
      PipelineDb db = PipelineDb.start();
      try {
        db.sql("CREATE TABLE public.t (id bigint PRIMARY KEY, v int)");
        db.createStreamTable("st_t", "SELECT id, v FROM public.t", "1h");
        long oid = Long.parseLong(db.one("SELECT 'public.t'::regclass::oid"));
        PostgresServer standby =
            db.server()
                .startStandbyCopy(
                    name.replace('-', '_') + "_standby", "-c hot_standby_feedback=on");
        return new Failover(db, standby, uri, oid);
      } catch (Exception e) {
        db.close();
        throw e;
      }
    }

    void publish(ChangeLogBackend log, long id) throws Exception {
      LostCommitsIT.publish(log, oid, id, db.one("SELECT pg_current_wal_insert_lsn()::text"));
    }

    /** Copies event 1, waits until the standby replayed it, then freezes its walsender. */
    void copyFirstEventAndFreezeTheStandby(ChangeLogBackend log, IngestRound round)
        throws Exception {
      publish(log, 1);
      round.run(null);
      assertThat(db.one("SELECT count(*) FROM " + buffer)).isEqualTo("1");
      String flushed = db.one("SELECT pg_current_wal_flush_lsn()::text");
      Children.await(
          "the standby replayed the first copy, and the primary knows it flushed it",
          Duration.ofSeconds(60),
          () ->
              holds(standby, "SELECT pg_last_wal_replay_lsn() >= '" + flushed + "'")
                  && "t"
                      .equals(
                          db.one(
                              "SELECT coalesce(bool_and(flush_lsn >= '"
                                  + flushed
                                  + "'), false) FROM pg_stat_replication"
                                  + " WHERE application_name = 'standby'")));
      String walsender =
          db.one("SELECT pid FROM pg_stat_replication WHERE application_name = 'standby'");
      ServerProcess.run(List.of("kill", "-STOP", walsender), 10);
    }

    void crashAndPromote() throws SQLException {
      db.server().crash();
      try (Connection s = DriverManager.getConnection(standby.jdbcUrl());
          Statement st = s.createStatement()) {
        st.execute("SELECT pg_promote(true, 60)");
      }
    }

    @Override
    public void close() throws Exception {
      try {
        standby.close();
      } finally {
        db.close();
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
