package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.cdc.http.Health;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.changelog.support.ServerProcess;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A source that replicates synchronously: a committed transaction the synchronous standby has not
 * flushed is streamed to the consumer at once (the walsender does not wait), but reaches the change
 * log only once the standby has it. Had the primary died in between, the standby promoted in its
 * place would never have had it.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SynchronousCommitGateIT {

  private static final String SLOT = "gate_slot";
  private static final String STANDBY = "gate_standby";

  @Test
  void aTransactionReachesTheChangeLogOnlyOnceTheSynchronousStandbyHasIt() throws Exception {
    try (SourceDb db = SourceDb.start();
        PostgresServer logServer = PostgresServer.start();
        ScriptedStandby standby = synchronousStandby(db)) {
      String readUri = logServer.uri("&consumer=verify");
      try (ChangeLogBackend publishLog = ChangeLogBackends.open(logServer.uri(""));
          Consumers.InProcess consumer = streaming(db, logServer, publishLog)) {
        long oid = db.relationOid("t");
        db.sql("INSERT INTO t VALUES (1)"); // the standby confirms at once
        awaitInChangeLog(readUri, oid, List.of("INSERT 1"));

        CompletableFuture<Void> commit = commitTheStandbyLacks(db, standby);
        assertHeldBackUntilTheStandbyHasIt(readUri, oid, commit, standby);
      }
    }
  }

  /**
   * While a publish is in flight the gate already asks about the batch the session is building, so
   * that a steady stream waits for one round trip per batch (the change log's), not two. That early
   * question must not let a transaction the standby lacks through: here it arrives while the change
   * log holds the previous publish, and still waits for the standby once that publish is done.
   */
  @Test
  void aTransactionArrivingDuringAPublishStillWaitsForTheStandby() throws Exception {
    try (SourceDb db = SourceDb.start();
        PostgresServer logServer = PostgresServer.start();
        ScriptedStandby standby = synchronousStandby(db)) {
      String readUri = logServer.uri("&consumer=verify");
      try (HeldAcknowledgments publishLog =
              new HeldAcknowledgments(ChangeLogBackends.open(logServer.uri("")));
          Consumers.InProcess consumer = streaming(db, logServer, publishLog)) {
        long oid = db.relationOid("t");
        publishLog.hold();
        db.sql("INSERT INTO t VALUES (1)"); // the standby confirms at once
        Consumers.await("a publish in flight", Duration.ofSeconds(30), publishLog::holding);
        CompletableFuture<Void> commit = commitTheStandbyLacks(db, standby);
        ServerProcess.sleep(500); // the gate asks about the batch being built meanwhile
        publishLog.release();
        awaitInChangeLog(readUri, oid, List.of("INSERT 1"));
        assertHeldBackUntilTheStandbyHasIt(readUri, oid, commit, standby);
      }
    }
  }

  /**
   * A clean shutdown (a switchover, a deleted pod) refuses the connection the gate asks through,
   * while the consumer's walsender waits for the consumer to confirm what it sent. The gate must
   * end the session, so the shutdown is not held up, without publishing the transaction the standby
   * never confirmed: a standby that disconnected before the shutdown would never get it. The
   * transaction is read again from the server that comes back (here the same one, which has it),
   * once.
   */
  @Test
  void aCleanShutdownEndsTheSessionAndWhatTheStandbyLacksIsReadAgainAfterwards() throws Exception {
    try (SourceDb db = SourceDb.start();
        PostgresServer logServer = PostgresServer.start();
        ScriptedStandby standby = synchronousStandby(db)) {
      String readUri = logServer.uri("&consumer=verify");
      try (ChangeLogBackend publishLog = ChangeLogBackends.open(logServer.uri(""));
          Consumers.InProcess consumer = streaming(db, logServer, publishLog)) {
        long oid = db.relationOid("t");
        db.sql("INSERT INTO t VALUES (1)");
        awaitInChangeLog(readUri, oid, List.of("INSERT 1"));
        CompletableFuture<Void> commit = commitTheStandbyLacks(db, standby);
        CompletableFuture<Void> stop = CompletableFuture.runAsync(() -> db.server().stop());
        // The standby holds its flush position, so the server's shutdown waits for it; the
        // consumer's session must not wait too, and must not publish what the standby lacks.
        Consumers.await(
            "the consumer's session to end while the source shuts down",
            Duration.ofSeconds(10),
            () -> !consumer.state.streaming());
        assertThat(changeLog(readUri, oid))
            .as("a transaction the standby never confirmed is not published at shutdown")
            .containsExactly("INSERT 1");
        standby.release(); // a real standby flushes what it received; the shutdown waits for it
        stop.get(60, TimeUnit.SECONDS);
        assertThat(commit).isCompletedExceptionally(); // its backend was terminated
        db.server().startAgain();
        try (ScriptedStandby reconnected = ScriptedStandby.start(db, STANDBY)) {
          awaitInChangeLog(readUri, oid, List.of("INSERT 1", "INSERT 2"));
        }
      }
    }
  }

  /**
   * A user without {@code pg_read_all_stats} cannot see the standbys' positions, so the gate holds
   * every change back: {@code /readyz} names the grant, and the wait is not "stuck" (liveness
   * passes past the stuck timeout while the source has WAL for the slot: a restart would not grant
   * it). Once granted, the change is published.
   */
  @Test
  void aUserWhoCannotSeeTheStandbysIsNotReadyNamingTheGrantUntilGranted() throws Exception {
    try (SourceDb db = SourceDb.start();
        PostgresServer logServer = PostgresServer.start();
        ScriptedStandby standby = synchronousStandby(db)) {
      db.sql(
          "CREATE ROLE gate_user LOGIN REPLICATION",
          "GRANT CREATE ON DATABASE postgres TO gate_user",
          "ALTER TABLE t OWNER TO gate_user");
      String readUri = logServer.uri("&consumer=verify");
      Map<String, String> env = Consumers.env(db, "t", SLOT, logServer.uri(""));
      env.put("PGTRICKLE_SOURCE_USER", "gate_user");
      env.put("PGTRICKLE_STUCK_TIMEOUT_MS", "2000");
      try (ChangeLogBackend publishLog = ChangeLogBackends.open(logServer.uri(""));
          Consumers.InProcess consumer = new Consumers.InProcess(env, publishLog, null)) {
        Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
        long oid = db.relationOid("t");
        db.sql("INSERT INTO t VALUES (1)"); // the standby confirms at once
        Consumers.await(
            "/readyz to name the grant",
            Duration.ofSeconds(30),
            () ->
                Health.readiness(consumer.state)
                    .message()
                    .contains("GRANT pg_read_all_stats TO gate_user"));
        ServerProcess.sleep(5_000); // past the stuck timeout and two lag polls
        assertThat(Health.liveness(consumer.state, Long.MAX_VALUE).ok())
            .as("liveness: %s", Health.liveness(consumer.state, Long.MAX_VALUE))
            .isTrue();
        assertThat(Health.readiness(consumer.state).ok()).isFalse();
        assertThat(changeLog(readUri, oid)).as("held back").isEmpty();

        db.sql("GRANT pg_read_all_stats TO gate_user");
        awaitInChangeLog(readUri, oid, List.of("INSERT 1"));
        Consumers.await(
            "ready once granted",
            Duration.ofSeconds(30),
            () -> Health.readiness(consumer.state).ok());
      }
    }
  }

  /**
   * INSERT 2 ({@code commit}, waiting for the standby) is not in the change log 1.5 s later (ample
   * time for a publish, milliseconds without the gate); once the standby confirms, it arrives.
   */
  private static void assertHeldBackUntilTheStandbyHasIt(
      String readUri, long oid, CompletableFuture<Void> commit, ScriptedStandby standby)
      throws Exception {
    ServerProcess.sleep(1500);
    assertThat(changeLog(readUri, oid))
        .as("a transaction the synchronous standby lacks is held back")
        .containsExactly("INSERT 1");
    assertThat(commit).isNotDone();
    standby.release();
    commit.get();
    awaitInChangeLog(readUri, oid, List.of("INSERT 1", "INSERT 2"));
  }

  /** The source replicating synchronously to a scripted standby, with table t. */
  private static ScriptedStandby synchronousStandby(SourceDb db) throws Exception {
    db.sql("CREATE TABLE t (id int8 PRIMARY KEY)");
    ScriptedStandby standby = ScriptedStandby.start(db, STANDBY);
    db.sql(
        "ALTER SYSTEM SET synchronous_standby_names = '" + STANDBY + "'",
        "SELECT pg_reload_conf()");
    Consumers.await(
        "the standby to be synchronous",
        Duration.ofSeconds(30),
        () ->
            "sync"
                .equals(
                    db.queryOne(
                        "SELECT sync_state FROM pg_stat_replication WHERE application_name = '"
                            + STANDBY
                            + "'")));
    return standby;
  }

  private static Consumers.InProcess streaming(
      SourceDb db, PostgresServer logServer, ChangeLogBackend publishLog) {
    Map<String, String> env = Consumers.env(db, "t", SLOT, logServer.uri(""));
    Consumers.InProcess consumer = new Consumers.InProcess(env, publishLog, null);
    Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
    return consumer;
  }

  /**
   * Inserts 2 while the standby holds its flush position: committed on the primary, waiting for the
   * standby, and sent to the consumer by its walsender.
   */
  private static CompletableFuture<Void> commitTheStandbyLacks(
      SourceDb db, ScriptedStandby standby) {
    standby.hold();
    CompletableFuture<Void> commit =
        CompletableFuture.runAsync(() -> db.sql("INSERT INTO t VALUES (2)"));
    String flushed = awaitCommitWaitingForTheStandby(db, commit);
    Consumers.await(
        "the consumer's walsender to send the transaction",
        Duration.ofSeconds(30),
        () -> !Lsn.parse(flushed).isAfter(Lsn.parse(sentToConsumer(db))));
    return commit;
  }

  /** Waits until the commit of {@code commit} waits for the standby; the primary's flush LSN. */
  private static String awaitCommitWaitingForTheStandby(
      SourceDb db, CompletableFuture<Void> commit) {
    Consumers.await(
        "the commit to wait for the synchronous standby",
        Duration.ofSeconds(30),
        () ->
            "1"
                .equals(
                    db.queryOne(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")));
    assertThat(commit).isNotDone();
    return db.queryOne("SELECT pg_current_wal_flush_lsn()::text");
  }

  private static String sentToConsumer(SourceDb db) {
    String sent =
        db.queryOne(
            "SELECT sent_lsn::text FROM pg_stat_replication WHERE application_name = '"
                + SLOT
                + "'");
    return sent == null ? "0/0" : sent;
  }

  private static List<String> changeLog(String readUri, long oid) {
    try (ChangeLogBackend read = ChangeLogBackends.open(readUri)) {
      return ExactlyOnceIT.history(Consumers.afterStartGap(Consumers.readAll(read, oid)));
    }
  }

  private static void awaitInChangeLog(String readUri, long oid, List<String> expected) {
    Consumers.await(
        expected + " in the change log",
        Duration.ofSeconds(30),
        () -> changeLog(readUri, oid).equals(expected));
  }

  /**
   * A change log whose acknowledgments can be held: publishes are written at once, but their
   * completion waits while held, as a slow change log's would.
   */
  private static final class HeldAcknowledgments implements ChangeLogBackend {
    private final ChangeLogBackend log;
    private volatile CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);
    private volatile boolean holding;

    HeldAcknowledgments(ChangeLogBackend log) {
      this.log = log;
    }

    void hold() {
      gate = new CompletableFuture<>();
    }

    void release() {
      gate.complete(null);
    }

    /** Whether a publish is waiting for {@link #release}. */
    boolean holding() {
      return holding && !gate.isDone();
    }

    @Override
    public CompletionStage<Void> publish(long sourceOid, List<ChangeEvent> events) {
      CompletableFuture<Void> held = gate;
      if (!held.isDone()) {
        holding = true;
      }
      return log.publish(sourceOid, events).thenCombine(held, (a, b) -> null);
    }

    @Override
    public CompletionStage<List<ChangeEvent>> consume(long sourceOid, Lsn fromLsn) {
      return log.consume(sourceOid, fromLsn);
    }

    @Override
    public CompletionStage<Void> acknowledge(long sourceOid, Lsn upToLsn) {
      return log.acknowledge(sourceOid, upToLsn);
    }

    @Override
    public CompletionStage<Long> lag(long sourceOid) {
      return log.lag(sourceOid);
    }

    @Override
    public String consumerName() {
      return log.consumerName();
    }

    @Override
    public void close() {
      log.close();
    }
  }
}
