package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A database that refuses the worker in a way retrying cannot change (wrong password, no pg_hba
 * entry, no such database, no privilege to install the catalog). At start: exit code 2 with one
 * message naming the setting or privilege and the fix, never the password (before: the worker
 * retried forever, "cannot install the catalog yet"). Once running: {@code /readyz} fails naming
 * the setting, {@code /healthz} passes, and the worker recovers by itself once fixed.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DatabaseRefusalIT {

  private static final String WRONG_PASSWORD = "Wr0ng-pass-4711";

  @Test
  void aDatabaseThatRefusesTheWorkerRefusesTheStartNamingTheFix() throws Exception {
    Path dir = ServerProcess.targetDir("database-refusal-start");
    try (PipelineDb db = PipelineDb.start()) {
      db.sql(
          "CREATE ROLE w LOGIN PASSWORD 'secret-w'",
          "CREATE ROLE ws LOGIN SUPERUSER PASSWORD 'secret-ws'",
          "CREATE DATABASE fresh");
      requirePasswords(db, "w,ws");

      assertRefused(
          dir,
          env(db, "ws", WRONG_PASSWORD, "postgres"),
          "PGTRICKLE_DATABASE_PASSWORD (--database-password): the database refused the password of"
              + " user ws",
          "ALTER ROLE ws PASSWORD");
      assertRefused(
          dir,
          env(db, "nobody", "secret-nobody", "postgres"),
          "PGTRICKLE_DATABASE_USER (--database-user): the database refused user nobody",
          "pg_hba.conf");
      assertRefused(
          dir,
          env(db, "ws", "secret-ws", "nodb"),
          "PGTRICKLE_DATABASE_URL (--database-url): database nodb does not exist",
          "CREATE DATABASE nodb");
      // No CREATE on a database without the catalog: schema pgtrickle cannot be created.
      assertRefused(
          dir,
          env(db, "w", "secret-w", "fresh"),
          "user w lacks a privilege on the pgtrickle catalog",
          "GRANT CONNECT, CREATE ON DATABASE fresh TO w");
      // The catalog exists, owned by another role.
      assertRefused(
          dir,
          env(db, "w", "secret-w", "postgres"),
          "user w lacks a privilege on the pgtrickle catalog",
          "the role that owns schema pgtrickle");
    }
  }

  @Test
  void aRefusalWhileRunningFailsReadinessNamingTheSettingAndRecovers() throws Exception {
    Path dir = ServerProcess.targetDir("database-refusal-running");
    try (PipelineDb db = PipelineDb.start()) {
      db.sql("CREATE ROLE ws LOGIN SUPERUSER PASSWORD 'secret-ws'");
      requirePasswords(db, "ws");
      Map<String, String> env = env(db, "ws", "secret-ws", "postgres");
      int port = Integer.parseInt(env.get("PGTRICKLE_HTTP_PORT"));
      Path log = dir.resolve("running.log");
      Process worker = Children.worker(env, log);
      try {
        Children.await(
            "ready (log " + log + ")",
            Duration.ofSeconds(60),
            () -> Children.http(port, "/readyz").status() == 200);

        db.sql("ALTER ROLE ws PASSWORD 'changed'");
        db.sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                + " WHERE application_name LIKE 'pgtrickle-worker %'");
        Children.await(
            "/readyz to name the password setting",
            Duration.ofSeconds(30),
            () -> {
              Children.HttpAnswer a = Children.http(port, "/readyz");
              return a.status() == 503 && a.body().contains("PGTRICKLE_DATABASE_PASSWORD");
            });
        assertThat(Children.http(port, "/healthz").status())
            .as("a restart would not fix it: liveness passes")
            .isEqualTo(200);
        long before = schedulerFailuresLogged(log);
        ServerProcess.sleep(3_000); // 30 scheduler rounds, each refused
        assertThat(schedulerFailuresLogged(log) - before)
            .as("the same failure is logged when it changes, not at every round")
            .isLessThanOrEqualTo(1);

        db.sql("ALTER ROLE ws PASSWORD 'secret-ws'");
        Children.await(
            "ready again",
            Duration.ofSeconds(30),
            () -> Children.http(port, "/readyz").status() == 200);
        worker.destroy(); // SIGTERM
        assertThat(worker.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(worker.exitValue()).isZero();
        assertThat(Files.readString(log)).doesNotContain("secret-ws");
      } finally {
        worker.destroyForcibly();
      }
    }
  }

  private static long schedulerFailuresLogged(Path log) throws Exception {
    return Files.readAllLines(log).stream()
        .filter(l -> l.contains("scheduler round failed"))
        .count();
  }

  /**
   * Replaces the server's trust-everyone pg_hba.conf: {@code postgres} keeps trust (the test's and
   * the change log's connections), {@code users} need their password, anyone else has no entry.
   */
  private static void requirePasswords(PipelineDb db, String users) throws Exception {
    Path hba = Path.of(db.one("SHOW hba_file"));
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
      PipelineDb db, String user, String password, String database) {
    Map<String, String> env = Children.workerEnv(db, db.changeLogUri(), "refused");
    env.put("PGTRICKLE_DATABASE_URL", db.jdbcUrl().replace("/postgres", "/" + database));
    env.put("PGTRICKLE_DATABASE_USER", user);
    env.put("PGTRICKLE_DATABASE_PASSWORD", password);
    return env;
  }

  private static void assertRefused(Path dir, Map<String, String> env, String... expected)
      throws Exception {
    Path log = dir.resolve(env.get("PGTRICKLE_DATABASE_USER") + "-" + System.nanoTime() + ".log");
    Process p = Children.worker(env, log);
    try {
      boolean exited = p.waitFor(30, TimeUnit.SECONDS);
      assertThat(exited).as("exited within 30 s; log:%n%s", ServerProcess.tail(log)).isTrue();
      assertThat(p.exitValue()).as("exit code; log:%n%s", ServerProcess.tail(log)).isEqualTo(2);
    } finally {
      p.destroyForcibly();
    }
    assertThat(ServerProcess.tail(log)).contains("bad configuration").contains(expected);
    assertThat(Files.readString(log))
        .as("the password is never logged")
        .doesNotContain(env.get("PGTRICKLE_DATABASE_PASSWORD"));
  }
}
