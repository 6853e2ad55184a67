package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.cdc.http.Health;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A source that refuses the consumer in a way retrying cannot change (wrong password, no pg_hba
 * entry, no such database, a user without {@code REPLICATION}, without {@code CREATE} on the
 * database, not the owner of a captured table). At start: exit code 2 with one message naming the
 * setting or privilege and the fix, never the password. Once streaming: {@code /readyz} fails
 * naming the fix, {@code /healthz} passes, and the consumer recovers by itself once the privilege
 * is granted. Before, each case was retried forever with a warning and no fix.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SourceRefusalIT {

  private static final String WRONG_PASSWORD = "Wr0ng-pass-4711";

  @Test
  void aSourceThatRefusesTheConsumerRefusesTheStartNamingTheFix() throws Exception {
    try (SourceDb db = SourceDb.start()) {
      db.sql(
          "CREATE ROLE app NOLOGIN",
          "CREATE TABLE t (id int PRIMARY KEY)",
          "ALTER TABLE t OWNER TO app",
          login("pw", "REPLICATION"),
          login("norepl", ""),
          login("nocreate", "REPLICATION"),
          login("noowner", "REPLICATION"),
          "GRANT app TO pw, norepl, nocreate",
          "GRANT CREATE ON DATABASE postgres TO pw, norepl, noowner");
      requirePasswords(db, "pw,norepl,nocreate,noowner");
      Path dir = ServerProcess.targetDir("source-refusal-start");

      assertRefused(
          dir,
          env(db, dir, "pw", WRONG_PASSWORD, "t", "s_pw"),
          "PGTRICKLE_SOURCE_PASSWORD (--source-password): the source refused the password of user"
              + " pw",
          "ALTER ROLE pw PASSWORD");
      assertRefused(
          dir,
          env(db, dir, "nohba", "secret-nohba", "t", "s_nohba"),
          "PGTRICKLE_SOURCE_USER (--source-user): the source refused a connection of user nohba",
          "pg_hba.conf");
      Map<String, String> noDb = env(db, dir, "pw", "secret-pw", "t", "s_nodb");
      noDb.put("PGTRICKLE_SOURCE_URL", db.jdbcUrl().replace("/postgres", "/nodb"));
      assertRefused(
          dir,
          noDb,
          "PGTRICKLE_SOURCE_URL (--source-url): database nodb does not exist",
          "CREATE DATABASE nodb");
      assertRefused(
          dir,
          env(db, dir, "norepl", "secret-norepl", "t", "s_norepl"),
          "user norepl may not use replication",
          "ALTER ROLE norepl REPLICATION");
      assertRefused(
          dir,
          env(db, dir, "nocreate", "secret-nocreate", "t", "s_nocreate"),
          "user nocreate may not create its publication s_nocreate",
          "GRANT CREATE ON DATABASE postgres TO nocreate");
      assertRefused(
          dir,
          env(db, dir, "noowner", "secret-noowner", "t", "s_noowner"),
          "user noowner may not publish table public.t, owned by app",
          "GRANT app TO noowner");
      db.sql("CREATE PUBLICATION shared");
      Map<String, String> foreign = env(db, dir, "pw", "secret-pw", "t", "s_foreign");
      foreign.put("PGTRICKLE_PUBLICATION", "shared");
      assertRefused(
          dir,
          foreign,
          "PGTRICKLE_PUBLICATION (--publication): user pw may not change publication shared, owned"
              + " by postgres",
          "ALTER PUBLICATION shared OWNER TO pw");
      assertRefused(
          dir,
          env(db, dir, "pw", "secret-pw", "missing_t", "s_missing"),
          "PGTRICKLE_TABLES (--tables): table public.missing_t does not exist");
      assertThat(db.queryOne("SELECT count(*) FROM pg_replication_slots"))
          .as("no slot left behind by a refused start")
          .isEqualTo("0");
    }
  }

  @Test
  void aRefusalWhileRunningFailsReadinessNamingTheFixAndRecoversOnceFixed() throws Exception {
    try (SourceDb db = SourceDb.start()) {
      db.sql(
          "CREATE ROLE app NOLOGIN",
          "CREATE ROLE other_owner NOLOGIN",
          "CREATE TABLE t (id int PRIMARY KEY)",
          "ALTER TABLE t OWNER TO app",
          "CREATE TABLE other (id int PRIMARY KEY)",
          "ALTER TABLE other OWNER TO other_owner",
          login("runner", "REPLICATION"),
          "GRANT app TO runner",
          "GRANT CREATE ON DATABASE postgres TO runner");
      ChangeTracking.install(db);
      db.sql(
          "GRANT USAGE ON SCHEMA pgtrickle TO runner",
          "GRANT SELECT, UPDATE ON pgtrickle.pgt_change_tracking TO runner");
      requirePasswords(db, "runner");
      Path dir = ServerProcess.targetDir("source-refusal-running");
      Map<String, String> env = env(db, dir, "runner", "secret-runner", "t", "s_runner");
      env.put("PGTRICKLE_CATALOG_POLL_MS", "100");
      // A refusal outlasting the stuck timeout while the source writes is still not "stuck".
      env.put("PGTRICKLE_STUCK_TIMEOUT_MS", "2000");
      long t = db.relationOid("t");
      try (ChangeLogBackend log = ChangeLogBackends.open(env.get("PGTRICKLE_CHANGELOG_URI"));
          Consumers.InProcess consumer = new Consumers.InProcess(env, log, null)) {
        LogReader read = new LogReader(log);
        awaitReady(consumer);

        // A tracked table the user does not own: not captured, /readyz names the fix.
        ChangeTracking.track(db, "other");
        awaitNotReadyWith(consumer, "GRANT other_owner TO runner");
        assertThat(ChangeTracking.published(db, "s_runner", "other")).isFalse();
        db.sql("GRANT other_owner TO runner");
        Consumers.await(
            "other captured once runner may publish it",
            Duration.ofSeconds(30),
            () -> ChangeTracking.capturedSince(db, "other") != null);
        awaitReady(consumer);

        // REPLICATION taken away, the stream ends: not ready, naming the fix; nothing is lost.
        db.sql("INSERT INTO t VALUES (1)");
        read.awaitChanges(t, List.of("INSERT 1"));
        db.sql("ALTER ROLE runner NOREPLICATION");
        terminateWalsender(db, "s_runner");
        awaitNotReadyWith(consumer, "ALTER ROLE runner REPLICATION");
        db.sql("INSERT INTO t VALUES (2)");
        ServerProcess.sleep(5_000); // past the stuck timeout and two lag polls
        assertThat(Health.liveness(consumer.state, Long.MAX_VALUE).ok())
            .as(
                "liveness after 5 s of refusal: %s",
                Health.liveness(consumer.state, Long.MAX_VALUE))
            .isTrue();
        assertThat(Health.readiness(consumer.state).message())
            .contains("ALTER ROLE runner REPLICATION");
        db.sql("ALTER ROLE runner REPLICATION");
        awaitReady(consumer);
        read.awaitChanges(t, List.of("INSERT 1", "INSERT 2"));

        // The password changed on the source: the same, naming the setting.
        db.sql("ALTER ROLE runner PASSWORD 'changed'");
        terminateWalsender(db, "s_runner");
        awaitNotReadyWith(consumer, "PGTRICKLE_SOURCE_PASSWORD (--source-password)");
        assertThat(Health.readiness(consumer.state).message()).doesNotContain("secret-runner");
        db.sql("ALTER ROLE runner PASSWORD 'secret-runner'");
        awaitReady(consumer);
        db.sql("INSERT INTO t VALUES (3)");
        read.awaitChanges(t, List.of("INSERT 1", "INSERT 2", "INSERT 3"));
      }
    }
  }

  private static String login(String role, String attributes) {
    return "CREATE ROLE " + role + " LOGIN " + attributes + " PASSWORD 'secret-" + role + "'";
  }

  /**
   * Replaces the server's trust-everyone pg_hba.conf: {@code postgres} keeps trust (the test's own
   * connections), {@code users} need their password, anyone else has no entry.
   */
  private static void requirePasswords(SourceDb db, String users) throws Exception {
    Path hba = Path.of(db.queryOne("SHOW hba_file"));
    Files.writeString(
        hba,
        String.join(
            "\n",
            "local all all trust",
            "host all postgres 127.0.0.1/32 trust",
            "host replication postgres 127.0.0.1/32 trust",
            "host all " + users + " 127.0.0.1/32 scram-sha-256",
            ""));
    db.sql("SELECT pg_reload_conf()");
    ServerProcess.sleep(200); // the postmaster reloads on SIGHUP
  }

  private static Map<String, String> env(
      SourceDb db, Path dir, String user, String password, String tables, String slot) {
    Map<String, String> env =
        Consumers.env(db, tables, slot, dir.resolve("log-" + slot).toUri().toString());
    env.put("PGTRICKLE_SOURCE_USER", user);
    env.put("PGTRICKLE_SOURCE_PASSWORD", password);
    return env;
  }

  private static void assertRefused(Path dir, Map<String, String> env, String... expected)
      throws Exception {
    Path runLog = dir.resolve(env.get("PGTRICKLE_SLOT") + ".log");
    ReplicaIdentityIT.assertExitsWith(Consumers.child(env, runLog, "run"), 2, runLog);
    String tail = ServerProcess.tail(runLog);
    assertThat(tail).contains("bad configuration").contains(expected);
    assertThat(Files.readString(runLog))
        .as("the password is never logged")
        .doesNotContain(env.get("PGTRICKLE_SOURCE_PASSWORD"));
  }

  private static void terminateWalsender(SourceDb db, String slot) {
    db.sql(
        "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
            + " WHERE slot_name = '"
            + slot
            + "' AND active_pid IS NOT NULL");
  }

  private static void awaitReady(Consumers.InProcess consumer) {
    Consumers.await(
        "ready (readiness: " + Health.readiness(consumer.state).message() + ")",
        Duration.ofSeconds(30),
        () -> Health.readiness(consumer.state).ok());
  }

  private static void awaitNotReadyWith(Consumers.InProcess consumer, String fix) {
    Consumers.await(
        "/readyz to name '" + fix + "'",
        Duration.ofSeconds(30),
        () -> Health.readiness(consumer.state).message().contains(fix));
    assertThat(Health.readiness(consumer.state).ok()).isFalse();
    assertThat(Health.liveness(consumer.state, Long.MAX_VALUE).ok())
        .as("a restart would not fix it: liveness passes")
        .isTrue();
  }
}
