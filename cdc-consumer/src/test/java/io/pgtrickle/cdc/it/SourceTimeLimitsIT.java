package io.pgtrickle.cdc.it;

import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A source whose administrator limits the consumer's role to 1 ms per statement and 1 ms idle in a
 * transaction ({@code ALTER ROLE ... SET}): the consumer's admin sessions turn the limits off for
 * themselves ({@code SessionLimits}), so it creates its publication and slot and streams. Before,
 * creating the slot (it waits for a consistent point) was cancelled at every attempt and the
 * consumer never streamed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SourceTimeLimitsIT {

  @Test
  void theSourcesTimeLimitsForApplicationsDoNotStopTheConsumer() throws Exception {
    try (SourceDb db = SourceDb.start()) {
      db.sql(
          "CREATE TABLE limited_t (id int PRIMARY KEY)",
          "CREATE ROLE limited LOGIN SUPERUSER REPLICATION",
          "ALTER ROLE limited SET statement_timeout = '1ms'",
          "ALTER ROLE limited SET idle_in_transaction_session_timeout = '1ms'");
      Path dir = ServerProcess.targetDir("source-time-limits");
      String uri = dir.resolve("log").toUri().toString();
      Map<String, String> env = Consumers.env(db, "limited_t", "limited", uri);
      env.put("PGTRICKLE_SOURCE_USER", "limited");
      long oid = db.relationOid("limited_t");
      try (ChangeLogBackend log = ChangeLogBackends.open(uri);
          Consumers.InProcess consumer = new Consumers.InProcess(env, log, null)) {
        Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
        db.sql("INSERT INTO limited_t SELECT generate_series(1, 3)");
        new LogReader(log).awaitChanges(oid, List.of("INSERT 1", "INSERT 2", "INSERT 3"));
      }
    }
  }
}
