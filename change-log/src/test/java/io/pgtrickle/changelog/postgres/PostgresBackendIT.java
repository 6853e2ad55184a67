package io.pgtrickle.changelog.postgres;

import static io.pgtrickle.changelog.support.TestEvents.await;
import static io.pgtrickle.changelog.support.TestEvents.drain;
import static io.pgtrickle.changelog.support.TestEvents.range;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackendConformance;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.changelog.support.ServerProcess;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The conformance suite against a throwaway PostgreSQL 15, plus pruning. */
class PostgresBackendIT extends ChangeLogBackendConformance {

  private static PostgresServer server;

  @BeforeAll
  static void startServer() {
    server = PostgresServer.start();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Override
  protected String uri(String namespace, String consumer) {
    return server.uri("&schema=" + namespace + "&consumer=" + consumer);
  }

  @Override
  protected void restartServer() {
    server.restart();
  }

  @Override
  protected Map<String, String> badConfigurations() {
    int closed = ServerProcess.freePort();
    return Map.of(
        "postgresql://127.0.0.1:" + closed + "/postgres?user=postgres",
        "uri",
        server.uri("&schema=Bad-Name"),
        "schema",
        server.uri("&pool=0"),
        "pool",
        server.uri("&batch=many"),
        "batch",
        "postgresql://127.0.0.1:" + server.port() + "/nosuchdb?user=postgres",
        "uri",
        "mysql://127.0.0.1/x",
        "uri");
  }

  @Test
  void eventsAcknowledgedByEveryConsumerArePruned() throws Exception {
    ChangeLogBackend a = open("a");
    ChangeLogBackend b = open("b");
    await(a.publish(5, range(5, 1, 10)));
    drain(a, 5, Lsn.ZERO, 10);
    await(a.acknowledge(5, Lsn.of(10)));
    assertThat(rows()).as("consumer b has not acknowledged").isEqualTo(10);
    drain(b, 5, Lsn.ZERO, 10);
    await(b.acknowledge(5, Lsn.of(6)));
    assertThat(rows()).isEqualTo(4);
    await(b.acknowledge(5, Lsn.of(10)));
    assertThat(rows()).isZero();
  }

  @Test
  void twoInstancesPublishingOneSourceStoreEachEventOnce() {
    ChangeLogBackend a = open("a");
    ChangeLogBackend b = open("b");
    await(a.publish(8, range(8, 1, 5)));
    await(b.publish(8, range(8, 1, 8)));
    await(a.publish(8, range(8, 1, 10))); // a remembers 5 as stored: the key refuses, a retries
    assertThat(io.pgtrickle.changelog.support.TestEvents.lsns(drain(b, 8, Lsn.ZERO, 10)))
        .isEqualTo(io.pgtrickle.changelog.support.TestEvents.longs(1, 10));
    assertThat(io.pgtrickle.changelog.support.TestEvents.drainQuiet(b, 8)).isEmpty();
  }

  @Test
  void theJdbcFormOfTheUriWorksToo() {
    String jdbc = "jdbc:" + uri(namespace, "jdbc");
    try (ChangeLogBackend b = io.pgtrickle.changelog.ChangeLogBackends.open(jdbc)) {
      await(b.publish(6, range(6, 1, 2)));
      assertThat(drain(b, 6, Lsn.ZERO, 2)).hasSize(2);
    }
  }

  private long rows() throws Exception {
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + server.port() + "/postgres?user=postgres");
        ResultSet rs =
            c.createStatement().executeQuery("SELECT count(*) FROM " + namespace + ".events")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
