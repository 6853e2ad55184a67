package io.pgtrickle.operator.streams.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link ReplicationCapacity#read} on a real PostgreSQL: a base backup in progress (a member
 * joining a PostgresCluster is cloned with pg_basebackup: a WAL sender in state {@code backup} and
 * one streaming its WAL through a temporary slot) is not counted as taken, since it goes by itself;
 * a logical replication client that stays is. No API server.
 */
class ReplicationCapacityIT {

  private static final String PREFIX = "pgtrickle_o_";
  private static PostgresServer postgres;

  @BeforeAll
  static void start() {
    postgres =
        PostgresServer.start(
            PostgresServer.defaultBin(),
            "-c wal_level=logical -c max_wal_senders=3 -c max_replication_slots=3");
  }

  @AfterAll
  static void stop() {
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void aBaseBackupInProgressIsNotCountedAndAStreamingClientIs() throws Exception {
    Path target = ServerProcess.targetDir("basebackup").resolve("copy");
    // 32 kB/s, pg_basebackup's lowest rate: the copy of ~20 MB lasts long enough to look at.
    Process backup =
        ServerProcess.start(
            List.of(
                postgres.bin().resolve("pg_basebackup").toString(),
                "-h",
                "127.0.0.1",
                "-p",
                String.valueOf(postgres.port()),
                "-U",
                "postgres",
                "-D",
                target.toString(),
                "-X",
                "stream",
                "--max-rate=32k"),
            target.resolveSibling("pg_basebackup.log"));
    Process client = null;
    try (Connection c = DriverManager.getConnection(postgres.jdbcUrl())) {
      await("the backup's two WAL senders and its temporary slot")
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> count(c, "pg_stat_replication") == 2 && count(c, "pg_replication_slots") == 1);
      ReplicationCapacity during = ReplicationCapacity.read(c, PREFIX);
      assertThat(during.othersWalSenders()).as("WAL senders of the base backup").isZero();
      assertThat(during.slotsInUse()).as("the base backup's temporary slot").isZero();
      assertThat(during.shortfall(wanted(3), "here")).isEmpty();

      // A client that stays: its slot and its WAL sender are taken.
      client =
          ServerProcess.start(
              List.of(
                  postgres.bin().resolve("pg_recvlogical").toString(),
                  "-h",
                  "127.0.0.1",
                  "-p",
                  String.valueOf(postgres.port()),
                  "-U",
                  "postgres",
                  "-d",
                  "postgres",
                  "--slot",
                  "other",
                  "--create-slot",
                  "--start",
                  "-f",
                  "/dev/null"),
              target.resolveSibling("pg_recvlogical.log"));
      await("the client's WAL sender")
          .atMost(Duration.ofSeconds(30))
          .until(() -> count(c, "pg_stat_replication") == 3);
      ReplicationCapacity withClient = ReplicationCapacity.read(c, PREFIX);
      assertThat(withClient.othersWalSenders()).isEqualTo(1);
      assertThat(withClient.slotsInUse()).isEqualTo(1);
      assertThat(withClient.shortfall(wanted(3), "here"))
          .hasValueSatisfying(
              s -> {
                assertThat(s.reason()).isEqualTo(ReplicationCapacity.SLOTS_EXHAUSTED);
                assertThat(s.runnable()).isEqualTo(2);
              });
    } finally {
      backup.destroyForcibly().waitFor();
      if (client != null) {
        client.destroyForcibly().waitFor();
      }
    }
  }

  private static List<String> wanted(int n) {
    return IntStream.range(0, n).mapToObj(i -> PREFIX + i).toList();
  }

  private static int count(Connection c, String view) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + view)) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
