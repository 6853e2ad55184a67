package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.cdc.http.Health;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.support.PostgresServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.PGReplicationStream;

/**
 * Issue #18, case 14: liveness and readiness fail when the consumer is stuck, i.e. the source has
 * WAL for its slot and nothing moved for {@code PGTRICKLE_STUCK_TIMEOUT_MS} (here 2 s; the lag poll
 * runs every 2 s), and pass again once it moves. Two ways to be stuck: a change log that hangs
 * without an error (its server frozen), and a consumer that cannot stream at all (another client
 * holds the slot), as the reconnect loop of issue case 11 did.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StuckConsumerIT {

  private static final Duration DETECTED = Duration.ofSeconds(30);

  @Test
  void aHungChangeLogFailsBothProbesUntilItAnswersAgain() throws Exception {
    try (SourceDb db = SourceDb.start();
        PostgresServer logServer = PostgresServer.start()) {
      db.sql("CREATE TABLE t (id int8 PRIMARY KEY)");
      Map<String, String> env = Consumers.env(db, "t", "stuck_log", logServer.uri(""));
      env.put("PGTRICKLE_STUCK_TIMEOUT_MS", "2000");
      try (ChangeLogBackend publishLog = ChangeLogBackends.open(logServer.uri(""));
          Consumers.InProcess consumer = new Consumers.InProcess(env, publishLog, null)) {
        Consumers.await("ready", DETECTED, () -> Health.readiness(consumer.state).ok());
        logServer.pause();
        try {
          for (int i = 1; i <= 10; i++) {
            db.sql("INSERT INTO t VALUES (" + i + ")");
          }
          Consumers.await(
              "liveness to fail",
              DETECTED,
              () -> !Health.liveness(consumer.state, Long.MAX_VALUE).ok());
          assertThat(Health.liveness(consumer.state, Long.MAX_VALUE).message())
              .startsWith("stuck: the slot's confirmed position");
          assertThat(Health.readiness(consumer.state).ok()).isFalse();
        } finally {
          logServer.resume();
        }
        Consumers.await(
            "liveness to pass again",
            DETECTED,
            () -> Health.liveness(consumer.state, Long.MAX_VALUE).ok());
        Consumers.await("ready again", DETECTED, () -> Health.readiness(consumer.state).ok());
      }
    }
  }

  @Test
  void aConsumerThatCannotStreamWhileTheSourceWritesFailsLiveness() throws Exception {
    try (SourceDb db = SourceDb.start();
        PostgresServer logServer = PostgresServer.start()) {
      db.sql("CREATE TABLE t (id int8 PRIMARY KEY)");
      Map<String, String> env = Consumers.env(db, "t", "stuck_slot", logServer.uri(""));
      env.put("PGTRICKLE_STUCK_TIMEOUT_MS", "2000");
      try (ChangeLogBackend publishLog = ChangeLogBackends.open(logServer.uri(""))) {
        try (Consumers.InProcess consumer = new Consumers.InProcess(env, publishLog, null)) {
          Consumers.await("streaming", DETECTED, consumer.state::streaming);
        }
        try (Connection holder = holdTheSlot(db, "stuck_slot");
            Consumers.InProcess consumer = new Consumers.InProcess(env, publishLog, null)) {
          for (int i = 1; i <= 10; i++) {
            db.sql("INSERT INTO t VALUES (" + i + ")");
          }
          Consumers.await(
              "liveness to fail",
              DETECTED,
              () -> !Health.liveness(consumer.state, Long.MAX_VALUE).ok());
          assertThat(Health.liveness(consumer.state, Long.MAX_VALUE).message())
              .startsWith("stuck:");
          holder.close();
          Consumers.await(
              "liveness to pass once the consumer streams",
              DETECTED,
              () -> Health.liveness(consumer.state, Long.MAX_VALUE).ok());
          Consumers.await("ready", DETECTED, () -> Health.readiness(consumer.state).ok());
        }
      }
    }
  }

  /** Another client streaming from the slot, confirming nothing. */
  private static Connection holdTheSlot(SourceDb db, String slot) throws Exception {
    Consumers.await(
        "the previous walsender to release the slot",
        DETECTED,
        () ->
            "f"
                .equals(
                    db.queryOne(
                        "SELECT active FROM pg_replication_slots WHERE slot_name = '"
                            + slot
                            + "'")));
    Properties p = new Properties();
    PGProperty.USER.set(p, "postgres");
    PGProperty.REPLICATION.set(p, "database");
    PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "10");
    PGProperty.PREFER_QUERY_MODE.set(p, "simple");
    Connection c = DriverManager.getConnection(db.jdbcUrl(), p);
    PGReplicationStream stream =
        c.unwrap(PGConnection.class)
            .getReplicationAPI()
            .replicationStream()
            .logical()
            .withSlotName(slot)
            .withSlotOption("proto_version", "1")
            .withSlotOption("publication_names", slot)
            .withAutomaticFlush(false)
            .start();
    stream.readPending();
    return c;
  }
}
