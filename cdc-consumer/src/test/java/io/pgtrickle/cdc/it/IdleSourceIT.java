package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An idle source is not a dead connection: with nothing written for longer than the consumer's
 * silence limit ({@code PGTRICKLE_SILENCE_LIMIT_MS}, here 10 s; 30 s by default) the replication
 * session stays up, the same walsender streaming from the slot, and a change written afterwards
 * arrives through it. The server sends nothing on such a connection (no change, and no keepalive
 * while the consumer confirms everything sent), so until 2026-12-04 the consumer took 75 s of
 * silence for a vanished primary and reconnected, with a warning, every 75 s while its tables were
 * quiet; now silence means a dead connection only when the consumer's poll of the slot no longer
 * finds its walsender on the server either.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class IdleSourceIT {

  private static final String SLOT = "idle";

  /** The consumer's silence limit here, ms (with the 75 s of before 2026-12-05 this took 85 s). */
  private static final long SILENCE_LIMIT_MS = 10_000;

  @Test
  void aQuietSourceKeepsItsReplicationSession() throws Exception {
    try (SourceDb db = SourceDb.start()) {
      db.sql("CREATE TABLE t (id int8 PRIMARY KEY)");
      Path dir = ServerProcess.targetDir("idle");
      String uri = dir.resolve("log").toUri().toString();
      Map<String, String> env = Consumers.env(db, "t", SLOT, uri);
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
        int walsender = db.activePid(SLOT);
        assertThat(walsender).as("a walsender streams from the slot").isPositive();

        Thread.sleep(2 * SILENCE_LIMIT_MS); // past the silence limit, idle

        assertThat(db.activePid(SLOT))
            .as("the same walsender after twice the silence limit of an idle source: no reconnect")
            .isEqualTo(walsender);
        assertThat(consumer.state.lastError()).as("no session ended").isEmpty();
        db.sql("INSERT INTO t VALUES (2)");
        Consumers.await(
            "the next insert published", Duration.ofSeconds(30), () -> reader.inserts(source) == 2);
      }
    }
  }
}
