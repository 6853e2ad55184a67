package io.pgtrickle.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtrickle.operator.postgres.status.FailoverSlotsSynchronized;
import io.pgtrickle.operator.status.Conditions;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.ProgramPods;
import io.pgtrickle.testbed.TestNamespace;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A switchover keeps the CDC slot on a PostgresCluster of PostgreSQL 17 or later whose spec sets no
 * parameter at all: the operator's defaults make the standbys synchronize the consumer's failover
 * slot ({@code sync_replication_slots}, with {@code hot_standby_feedback}), so after a switchover
 * (the annotation {@code switchover-to}, as a rollout or a TLS toggle asks for one) the consumer
 * resumes from the promoted copy: no GAP event, no re-created slot, no full refresh, and the stream
 * table equals its query. Before 2026-12-04 this needed {@code sync_replication_slots: 'on'} in
 * {@code spec.postgresqlParams}; without it the switchover cost the slot.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class StreamTableClusterSwitchoverIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  /** The slot sync worker's longest nap (30 s) and a round, with room for a loaded machine. */
  private static final Duration SLOT_SYNC_WAIT = Duration.ofMinutes(3);

  private static ProgramPods programs;
  private static HaCluster postgres;
  private static Pipeline pipeline;

  @BeforeAll
  static void start() {
    programs = new ProgramPods(NAMESPACE.testBed(), NAMESPACE.name());
    // Two members, asynchronous, and no postgresqlParams: the defaults are what is tested.
    postgres =
        HaCluster.start(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            "pg",
            Math.max(17, HaCluster.testedMajor()),
            false,
            2,
            Map.of());
    pipeline = new Pipeline(NAMESPACE.client(), NAMESPACE.name(), postgres);
  }

  @AfterAll
  static void stop() {
    if (postgres != null) {
      postgres.close();
    }
    if (programs != null) {
      programs.close();
    }
  }

  @Test
  void aSwitchoverKeepsTheSlotWithDefaultParameters() throws Exception {
    pipeline.create(
        "  postgresql: {clusterRef: {name: pg}, database: postgres}\n"
            + "  workers: {min: 1, max: 1, autoscaler: none}\n");
    pipeline.awaitRunningWithCatalog();
    pipeline.createStreamTable();
    // DIFFERENTIAL, not AUTO: AUTO may choose FULL for a batch that is a large part of this small
    // table, which the assertion below would take for a lost slot.
    pipeline.execute(
        "SELECT pgtrickle.alter_stream_table('category_totals', refresh_mode => 'DIFFERENTIAL')");
    pipeline.execute(
        "INSERT INTO orders SELECT g, 'c' || (g % 7), g * 2 FROM generate_series(51, 250) g",
        "UPDATE orders SET amount = amount + 1000 WHERE id % 3 = 0");
    pipeline.awaitEqualToRecomputation("after writes");
    // The capture of orders in steady state: until its first complete window the worker refreshes
    // in FULL ("no complete window yet"), which, after the count below, failed this test in CI.
    long differential = refreshes("'DIFFERENTIAL'");
    await("a differential refresh of the stream table")
        .atMost(Pipeline.WAIT)
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              pipeline.execute("UPDATE orders SET amount = amount + 1 WHERE id = 1");
              return refreshes("'DIFFERENTIAL'") > differential;
            });
    pipeline.awaitEqualToRecomputation("after a differential refresh");

    await("the cluster's condition FailoverSlotsSynchronized True")
        .atMost(Pipeline.WAIT)
        .until(
            () ->
                Conditions.find(
                        postgres.cluster().getStatus().getConditions(),
                        FailoverSlotsSynchronized.TYPE)
                    .map(c -> c.getStatus())
                    .orElse(""),
            "True"::equals);

    String primary = postgres.primaryPod();
    String standby = primary.equals("pg-0") ? "pg-1" : "pg-0";
    // What PostgreSQL's slot sync worker needs besides the parameter: Patroni (4.1) gives every
    // standby a physical slot on the primary and a dbname in primary_conninfo.
    assertThat(onMember(standby, "SHOW primary_slot_name"))
        .as("Patroni's primary_slot_name on " + standby)
        .isNotBlank();
    assertThat(onMember(standby, "SELECT current_setting('primary_conninfo') ~ 'dbname='"))
        .as("a dbname in primary_conninfo on " + standby)
        .isEqualTo("t");
    String settings =
        onMember(
            standby,
            "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE"
                + " name IN ('sync_replication_slots', 'hot_standby_feedback', 'wal_level')");

    String synced = awaitSyncedCopy(standby);
    long fullBefore = fullRefreshes();
    java.nio.file.Path cdcLog = programs.log(Pipeline.NAME + "-cdc-0");
    int logBefore = Files.readString(cdcLog).length();
    Set<Integer> written = pipeline.underWrites(() -> switchover(primary, standby));
    pipeline.awaitEqualToRecomputation("after a switchover " + primary + " -> " + standby);

    // The consumer's lines about its slot and gaps since the switchover (its whole log would bury
    // them in reconnect warnings).
    String consumerLog =
        Files.readString(cdcLog)
            .substring(logBefore)
            .lines()
            .filter(l -> l.contains("slot ") || l.contains("gap"))
            .collect(Collectors.joining("\n"));
    assertThat(consumerLog)
        .as(
            "the consumer resumed from the synchronized slot after the switchover (standby "
                + standby
                + ": "
                + settings
                + "; "
                + synced
                + ")")
        .contains("streaming from slot")
        .doesNotContain("was missing after a reconnect")
        .doesNotContain("recorded a gap");
    assertThat(fullRefreshes())
        .as("no full refresh of the stream table after the switchover")
        .isEqualTo(fullBefore);
    assertThat(synced).as("the standby's synchronized copy before the switchover").isEmpty();
    assertThat(
            pipeline.scalar(
                "SELECT count(*) FROM orders WHERE id IN ("
                    + written.stream().map(String::valueOf).collect(Collectors.joining(","))
                    + ")"))
        .as("every acknowledged insert survived the switchover")
        .isEqualTo(String.valueOf(written.size()));
    assertThat(pipeline.scalar("SELECT status FROM pgtrickle.pgt_stream_tables"))
        .isEqualTo("ACTIVE");
  }

  /**
   * Waits until {@code standby} holds a synchronized (not temporary) copy of the consumer's slot,
   * nudging the primary's slot forward with {@code pg_log_standby_snapshot()} (without it the copy
   * can take a minute on a quiet cluster). Returns "" once it does, or why not after {@link
   * #SLOT_SYNC_WAIT}: the test then goes on to show what the switchover costs, and fails.
   */
  private static String awaitSyncedCopy(String standby) {
    try {
      await("the standby " + standby + " holds a synchronized copy of the slot")
          .atMost(SLOT_SYNC_WAIT)
          .pollInterval(Duration.ofSeconds(1))
          .ignoreExceptions()
          .until(
              () -> {
                pipeline.scalar("SELECT pg_log_standby_snapshot()");
                return onMember(
                    standby,
                    "SELECT count(*) FROM pg_replication_slots WHERE slot_type = 'logical' AND"
                        + " synced AND NOT temporary");
              },
              n -> Long.parseLong(n) >= 1);
      return "";
    } catch (ConditionTimeoutException e) {
      return "no synchronized copy on " + standby + " after " + SLOT_SYNC_WAIT;
    }
  }

  /** Asks the operator for a switchover to {@code standby} and waits until it is primary. */
  private static void switchover(String primary, String standby) {
    postgres.requestSwitchover(standby);
    await("the switchover " + primary + " -> " + standby)
        .atMost(Duration.ofSeconds(90))
        .ignoreExceptions()
        .until(() -> postgres.cluster().getStatus().getPrimaryPod(), standby::equals);
  }

  /** Refreshes that recomputed the stream table (FULL or REINITIALIZE) so far. */
  private static long fullRefreshes() {
    return refreshes("'FULL', 'REINITIALIZE'");
  }

  /** The stream table's refreshes with one of {@code actions} (SQL literals, comma-separated). */
  private static long refreshes(String actions) {
    return Long.parseLong(
        pipeline.scalar(
            "SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE action IN ("
                + actions
                + ")"));
  }

  /** The first column of the first row of {@code sql} on the member {@code pod}. */
  private static String onMember(String pod, String sql) throws SQLException {
    try (Connection c = postgres.connect(postgres.podIp(pod));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
