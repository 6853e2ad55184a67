package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.PartitionProxy;
import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A database server whose machine vanishes while a refresh waits on it: the worker's connections go
 * silent without being closed (no FIN, no RST: a lost node, a network that drops everything), the
 * server's side of them is gone (its backends ended, their locks released, as on the new primary
 * after a failover), and new connections reach a live server. A refresh connection has no socket
 * timeout, so before the worker's {@code BackendWatch} the refresh waited for an answer until the
 * operating system's TCP keepalive gave up (about 2 h by default) and its stream table was never
 * refreshed meanwhile; now the connection is aborted once its backend has been missing for 30 s and
 * the refresh is done again through a new connection.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class VanishedDatabaseIT {

  private static final String WORKER = "cut";

  @Test
  void aRefreshWaitingOnAVanishedServerIsAbortedAndDoneAgain() throws Exception {
    Path dir = ServerProcess.targetDir("vanished-database");
    try (PipelineDb db = PipelineDb.start();
        PartitionProxy proxy = new PartitionProxy(db.server().port())) {
      db.sql(
          "CREATE TABLE public.t (id int PRIMARY KEY, v int)",
          "INSERT INTO public.t SELECT g, g * 2 FROM generate_series(1, 100) g");
      db.createStreamTable("st_t", "SELECT id, v FROM public.t", "1s");
      Map<String, String> env = Children.workerEnv(db, db.changeLogUri(), WORKER);
      env.put(
          "PGTRICKLE_DATABASE_URL",
          db.jdbcUrl().replace(":" + db.server().port() + "/", ":" + proxy.port() + "/"));
      Process worker = null;
      try (Connection locker = db.connect()) {
        locker.setAutoCommit(false);
        try (Statement s = locker.createStatement()) {
          s.execute("LOCK TABLE public.t IN ACCESS EXCLUSIVE MODE");
        }
        worker = Children.worker(env, dir.resolve("worker.log"));
        Children.await(
            "the first refresh waiting for the source's lock",
            Duration.ofSeconds(120),
            () ->
                !"0"
                    .equals(
                        db.one(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                + " AND application_name LIKE ?",
                            "pgtrickle-worker " + WORKER + " refresh-%")));

        proxy.blackholeExisting();
        db.sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE"
                + " 'pgtrickle-worker "
                + WORKER
                + " %'");
        locker.rollback();
        long cut = System.nanoTime();

        Children.await(
            "the stream table populated through a new connection",
            Duration.ofSeconds(150),
            () -> "t".equals(db.one("SELECT is_populated FROM pgtrickle.pgt_stream_tables")));
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - cut);
        System.out.printf("VanishedDatabaseIT: refreshed %d s after the cut%n", seconds);
        assertThat(seconds)
            .as("the 30 s limit, a check every 5 s, the retry's backoff")
            .isLessThan(75);
        RefreshAudit.assertAllEqualQuery(db);
      } finally {
        if (worker != null) {
          worker.destroyForcibly();
        }
      }
    }
  }
}
