package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeAction;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.support.PartitionProxy;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A source whose machine vanishes: its connections go silent without being closed (no FIN, no RST:
 * a lost node, a network that drops everything), while the next connection reaches a live server,
 * as after a failover. Killed processes, which the other failover tests use, close their sockets,
 * and the consumer notices at once; here only the silence limit ({@code
 * PGTRICKLE_SILENCE_LIMIT_MS}, 10 s here) can tell. The consumer must take the replication
 * connection for dead within it, leave it without waiting for an answer that never comes, and
 * stream again through a new connection: a change written after the cut is published, once.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class VanishedSourceIT {

  private static final String SLOT = "vanished";
  private static final long SILENCE_LIMIT_MS = 10_000;

  @Test
  void aSilentlyCutConnectionIsLeftWithinTheSilenceLimit() throws Exception {
    // The server's own walsender timeout frees the slot 5 s after the cut (the new primary's copy
    // of a slot is free at once).
    try (SourceDb db = SourceDb.start(PostgresServer.defaultBin(), "-c wal_sender_timeout=5s");
        PartitionProxy proxy = new PartitionProxy(db.server().port())) {
      db.sql("CREATE TABLE t (id int8 PRIMARY KEY)");
      Path dir = ServerProcess.targetDir("vanished");
      String uri = dir.resolve("log").toUri().toString();
      Map<String, String> env = Consumers.env(db, "t", SLOT, uri);
      env.put("PGTRICKLE_SOURCE_URL", "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/postgres");
      env.put("PGTRICKLE_SILENCE_LIMIT_MS", Long.toString(SILENCE_LIMIT_MS));
      try (ChangeLogBackend log = ChangeLogBackends.open(uri);
          Consumers.InProcess consumer = new Consumers.InProcess(env, log, null)) {
        Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
        long source = db.relationOid("t");
        LogReader reader = new LogReader(log);
        db.sql("INSERT INTO t VALUES (1)");
        Consumers.await(
            "the first insert published",
            Duration.ofSeconds(30),
            () -> reader.inserts(source) == 1);
        int before = db.activePid(SLOT);

        proxy.blackholeExisting();
        long cut = System.nanoTime();
        db.sql("INSERT INTO t VALUES (2)");

        Consumers.await(
            "the insert written after the cut published through a new connection",
            Duration.ofSeconds(90),
            () -> reader.inserts(source) == 2);
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - cut);
        System.out.printf("VanishedSourceIT: streaming again %d s after the cut%n", seconds);
        assertThat(seconds)
            .as("back within the silence limit, the slot's poll and a reconnect")
            .isLessThan(TimeUnit.MILLISECONDS.toSeconds(SILENCE_LIMIT_MS) + 20);
        assertThat(consumer.counter("pg_trickle_cdc_reconnects"))
            .as("the cut session left, a new one opened")
            .isGreaterThanOrEqualTo(1);
        assertThat(db.activePid(SLOT)).as("a new walsender").isPositive().isNotEqualTo(before);
        assertThat(reader.events(source).stream().filter(e -> e.action() == ChangeAction.INSERT))
            .as("each insert once")
            .hasSize(2);
      }
    }
  }
}
