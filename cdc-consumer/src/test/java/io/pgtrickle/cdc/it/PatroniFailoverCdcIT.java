package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.testbed.OperatorRunner;
import io.pgtrickle.operator.testbed.PatroniPods;
import io.pgtrickle.operator.testbed.TestNamespace;
import io.pgtrickle.operator.testbed.VolumeProvisioner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The CDC consumer across failovers of a real Patroni cluster on the test bed: a PostgresCluster of
 * 3 members in synchronous mode on PostgreSQL 17, a writer committing numbered transactions, and
 * the consumer (a child JVM, as in its pod) connected through {@link PrimaryForwarder}, which plays
 * kube-proxy for the {@code NAME-primary} Service. The primary pod is deleted, then the new
 * primary's container is crashed (SIGKILL of its processes). Afterwards the change log must hold
 * every committed change exactly once, in commit order.
 *
 * <p>What makes that hold: the consumer creates its slot with {@code failover = true}, the cluster
 * runs with {@code sync_replication_slots = on} and {@code hot_standby_feedback = on} ({@code
 * spec.postgresqlParams}), so each standby keeps a synchronized copy of the slot (Patroni 4.1
 * leaves failover slots alone) and the new primary has it at a position at or before what the
 * consumer confirmed; what comes again is dropped by the change log's idempotence. The slot on a
 * standby is synchronized only once the standby has replayed past the slot's position and the slot
 * sync worker ran (every few seconds), so the test waits for the copy before each fault.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class PatroniFailoverCdcIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();
  private static final String CLUSTER = "cdc";
  private static final String SLOT = "pgtrickle_cdc_failover";
  private static final Duration OBJECTIVE = Duration.ofSeconds(60);

  private static VolumeProvisioner volumes;
  private static PatroniPods patroni;
  private static OperatorRunner operator;
  private static PrimaryForwarder forwarder;

  @BeforeAll
  static void start() throws Exception {
    volumes = new VolumeProvisioner(NAMESPACE.client(), NAMESPACE.name());
    patroni = new PatroniPods(NAMESPACE.testBed(), NAMESPACE.name());
    operator = OperatorRunner.start(NAMESPACE.testBed(), NAMESPACE.name());
    String yaml =
        "apiVersion: postgres.example.com/v1\nkind: PostgresCluster\nmetadata:\n  name: "
            + CLUSTER
            + "\n  namespace: "
            + NAMESPACE.name()
            + "\nspec:\n  version: 17\n  replicas: 3\n  synchronous: true\n"
            + "  storage:\n    size: 1Gi\n"
            + "  postgresqlParams:\n"
            + "    sync_replication_slots: 'on'\n"
            + "    hot_standby_feedback: 'on'\n";
    NAMESPACE
        .client()
        .resource(
            NAMESPACE.client().getKubernetesSerialization().unmarshal(yaml, PostgresCluster.class))
        .create();
    awaitRunning();
    forwarder = new PrimaryForwarder(PatroniFailoverCdcIT::primaryIp);
  }

  @AfterAll
  static void stop() throws java.io.IOException {
    if (forwarder != null) {
      forwarder.close();
    }
    // The pods' directories are in memory and go away with them: keep Patroni's and PostgreSQL's
    // output for a failure's post-mortem.
    Path pods =
        NAMESPACE
            .testBed()
            .repositoryRootPath()
            .resolve("target/testbed/pods")
            .resolve(NAMESPACE.name());
    Path keep = ServerProcess.targetDir("patroni-failover-cdc");
    try (var dirs = Files.list(pods)) {
      for (Path pod : dirs.toList()) {
        Path log = pod.resolve("patroni.log");
        if (Files.isRegularFile(log)) {
          Files.copy(
              log,
              keep.resolve(pod.getFileName() + ".patroni.log"),
              java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    operator.close();
    patroni.close();
    volumes.close();
  }

  @Test
  void everyCommittedChangeOnceInCommitOrderAcrossADeletedAndACrashedPrimary() throws Exception {
    Path dir = ServerProcess.targetDir("patroni-failover-cdc");
    Path consumerLog = dir.resolve("consumer.log");
    String changeLog = dir.resolve("log").toUri().toString();
    String url = "jdbc:postgresql://127.0.0.1:" + forwarder.port() + "/postgres";
    // In strict synchronous mode a commit waits for the synchronous standby: create the table
    // once there is one.
    await("the table created")
        .atMost(OBJECTIVE)
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              try (Connection c = connectThroughService()) {
                c.createStatement().execute(LedgerWriter.CREATE_TABLE);
                return true;
              } catch (SQLException e) {
                return "42P07".equals(e.getSQLState()); // created by an attempt that timed out
              }
            });
    int httpPort = ServerProcess.freePort();
    Map<String, String> env = new HashMap<>();
    env.put("PGTRICKLE_SOURCE_URL", url);
    env.put("PGTRICKLE_SOURCE_USER", "postgres");
    env.put("PGTRICKLE_SOURCE_PASSWORD", password());
    env.put("PGTRICKLE_TABLES", "ledger");
    env.put("PGTRICKLE_SLOT", SLOT);
    env.put("PGTRICKLE_CHANGELOG_URI", changeLog);
    env.put("PGTRICKLE_HTTP_PORT", String.valueOf(httpPort));
    env.put("PGTRICKLE_RECONNECT_MIN_MS", "100");
    env.put("PGTRICKLE_RECONNECT_MAX_MS", "1000");
    env.put("PGTRICKLE_STATUS_INTERVAL_MS", "200");
    Process consumer = Consumers.child(env, consumerLog);
    LedgerWriter writer = null;
    List<String> faults = new ArrayList<>();
    try {
      Consumers.await(
          "the consumer streaming (log " + consumerLog + ")",
          Duration.ofSeconds(90),
          () -> Consumers.httpStatus(httpPort, "/readyz") == 200);
      writer = new LedgerWriter(url, "postgres", password());
      for (String fault : List.of("delete", "crash")) {
        LedgerWriter w = writer;
        long before = w.count();
        await("writes before the fault").atMost(OBJECTIVE).until(() -> w.count() >= before + 200);
        String primary = primaryPod();
        awaitSlotSynchronizedOnStandby();
        if (fault.equals("delete")) {
          NAMESPACE.client().pods().inNamespace(NAMESPACE.name()).withName(primary).delete();
        } else {
          patroni.crash(primary);
        }
        faults.add(fault + " " + primary);
        long failuresBefore = w.failures.get();
        await("the writer to notice the fault")
            .atMost(OBJECTIVE)
            .until(() -> w.failures.get() > failuresBefore);
        long afterFault = w.count();
        await("writes on the new primary")
            .atMost(Duration.ofMinutes(2))
            .until(() -> w.count() >= afterFault + 200);
        awaitRunning();
      }
    } finally {
      if (writer != null) {
        writer.close();
      }
    }
    String end = queryOne("SELECT pg_current_wal_lsn()::text");
    try {
      Consumers.await(
          "the slot to confirm " + end + " (log " + consumerLog + ")",
          Duration.ofMinutes(2),
          () -> {
            String confirmed =
                queryOrNull(
                    "SELECT confirmed_flush_lsn::text FROM pg_replication_slots"
                        + " WHERE slot_name = '"
                        + SLOT
                        + "'");
            return confirmed != null && !Lsn.parse(end).isAfter(Lsn.parse(confirmed));
          });
    } finally {
      consumer.destroy();
      consumer.waitFor(30, TimeUnit.SECONDS);
    }
    String log = Files.readString(consumerLog, StandardCharsets.UTF_8);
    assertThat(log)
        .as("the slot survived both failovers (%s)", faults)
        .doesNotContain("was missing after a reconnect");
    List<String> committed = committedHistory();
    for (long tx : writer.acknowledged) {
      assertThat(committed)
          .as("acknowledged transaction %d survived", tx)
          .contains(tx + ":" + (tx * 10 + 1));
    }
    long source = Long.parseLong(queryOne("SELECT 'ledger'::regclass::oid"));
    try (ChangeLogBackend changes = ChangeLogBackends.open(changeLog + "?consumer=verify")) {
      List<String> published = history(Consumers.readAll(changes, source));
      System.out.printf(
          "faults %s: %d transactions acknowledged, %d commits uncertain, %d writer reconnects,"
              + " %d rows committed, %d changes in the change log, %d consumer reconnects%n",
          faults,
          writer.acknowledged.size(),
          writer.uncertain.size(),
          writer.failures.get(),
          committed.size(),
          published.size(),
          log.lines().filter(l -> l.contains("replication stream ended")).count());
      assertThat(writer.acknowledged.size()).isGreaterThan(600);
      ExactlyOnceIT.assertSameHistory(
          "ledger after " + faults + ", " + writer.uncertain.size() + " uncertain commits",
          published,
          committed);
    }
  }

  /** "tx:id" of every row in the change log, in its order (positions strictly increasing). */
  private static List<String> history(List<ChangeEvent> events) {
    List<String> out = new ArrayList<>();
    Lsn previous = Lsn.ZERO;
    for (ChangeEvent e : events) {
      assertThat(e.lsn()).isGreaterThan(previous);
      previous = e.lsn();
      assertThat(e.action().name()).isEqualTo("INSERT");
      out.add(e.columns().get("tx") + ":" + e.columns().get("id"));
    }
    return out;
  }

  /** What the cluster committed, in commit order: one writer, so by transaction number. */
  private static List<String> committedHistory() throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = connectThroughService();
        ResultSet rs =
            c.createStatement().executeQuery("SELECT tx, id FROM ledger ORDER BY tx, id")) {
      while (rs.next()) {
        out.add(rs.getLong(1) + ":" + rs.getLong(2));
      }
    }
    return out;
  }

  /**
   * Waits until the synchronous standby, the only member Patroni fails over to in synchronous mode,
   * holds a synchronized copy of the slot at or past the primary's confirmed position when this
   * started: a failover before the copy exists would lose the slot, which is the documented limit
   * of failover slots, not what this test is about.
   */
  private static void awaitSlotSynchronizedOnStandby() {
    String confirmed =
        queryOne(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '"
                + SLOT
                + "'");
    String standby =
        await("a synchronous standby")
            .atMost(OBJECTIVE)
            .until(
                () ->
                    queryOrNull(
                        "SELECT application_name FROM pg_stat_replication"
                            + " WHERE sync_state = 'sync'"),
                name -> name != null);
    await("slot " + SLOT + " synchronized to " + standby)
        .atMost(OBJECTIVE)
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              String ip = podIp(standby);
              if (ip == null) {
                return false;
              }
              try (Connection c = connect(ip);
                  ResultSet rs =
                      c.createStatement()
                          .executeQuery(
                              "SELECT confirmed_flush_lsn::text FROM pg_replication_slots"
                                  + " WHERE slot_name = '"
                                  + SLOT
                                  + "' AND synced")) {
                return rs.next()
                    && rs.getString(1) != null
                    && !Lsn.parse(confirmed).isAfter(Lsn.parse(rs.getString(1)));
              } catch (SQLException e) {
                return false;
              }
            });
  }

  private static void awaitRunning() {
    await("cluster Running with 3/3")
        .atMost(Duration.ofMinutes(3))
        .untilAsserted(
            () -> {
              PostgresCluster c =
                  NAMESPACE
                      .client()
                      .resources(PostgresCluster.class)
                      .inNamespace(NAMESPACE.name())
                      .withName(CLUSTER)
                      .get();
              assertThat(c.getStatus()).isNotNull();
              assertThat(c.getStatus().getPhase()).isEqualTo(ClusterPhase.Running);
              assertThat(c.getStatus().getReplicas()).isEqualTo("3/3");
              assertThat(primaryIp()).isPresent();
            });
  }

  /** The pod NAME-primary selects, as PatroniFailoverIT finds it. */
  static Optional<String> primaryIp() {
    Map<String, String> selector =
        NAMESPACE
            .client()
            .services()
            .inNamespace(NAMESPACE.name())
            .withName(CLUSTER + "-primary")
            .get()
            .getSpec()
            .getSelector();
    List<Pod> pods =
        NAMESPACE
            .client()
            .pods()
            .inNamespace(NAMESPACE.name())
            .withLabels(selector)
            .list()
            .getItems();
    return pods.size() == 1 && pods.get(0).getStatus().getPodIP() != null
        ? Optional.of(pods.get(0).getStatus().getPodIP())
        : Optional.empty();
  }

  private static String primaryPod() {
    Supplier<PostgresCluster> cluster =
        () ->
            NAMESPACE
                .client()
                .resources(PostgresCluster.class)
                .inNamespace(NAMESPACE.name())
                .withName(CLUSTER)
                .get();
    await("the operator to report a primary")
        .atMost(OBJECTIVE)
        .until(
            () ->
                cluster.get().getStatus() != null
                    && cluster.get().getStatus().getPrimaryPod() != null);
    return cluster.get().getStatus().getPrimaryPod();
  }

  private static String podIp(String pod) {
    Pod p = NAMESPACE.client().pods().inNamespace(NAMESPACE.name()).withName(pod).get();
    return p == null || p.getStatus() == null ? null : p.getStatus().getPodIP();
  }

  private static String password() {
    return new String(
        Base64.getDecoder()
            .decode(
                NAMESPACE
                    .client()
                    .secrets()
                    .inNamespace(NAMESPACE.name())
                    .withName(CLUSTER + "-credentials")
                    .get()
                    .getData()
                    .get("password")),
        StandardCharsets.UTF_8);
  }

  private static Connection connect(String ip) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", "postgres");
    props.setProperty("password", password());
    props.setProperty("connectTimeout", "2");
    props.setProperty("socketTimeout", "10");
    return DriverManager.getConnection("jdbc:postgresql://" + ip + ":5432/postgres", props);
  }

  private static Connection connectThroughService() throws SQLException {
    return connect(primaryIp().orElseThrow(() -> new SQLException("no primary selected")));
  }

  private static String queryOne(String sql) {
    String value = queryOrNull(sql);
    if (value == null) {
      throw new IllegalStateException("no value from " + sql);
    }
    return value;
  }

  private static String queryOrNull(String sql) {
    try (Connection c = connectThroughService();
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    } catch (SQLException e) {
      return null;
    }
  }
}
