package io.pgtrickle.cdc.it;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.TestNamespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A PostgresCluster of 3 members in synchronous mode on the test bed, with real Patroni and
 * PostgreSQL behind its pods (the operator module's test bed), the operator running in this JVM,
 * and a {@link PrimaryForwarder} that plays kube-proxy for its {@code NAME-primary} Service.
 */
final class PatroniCluster implements AutoCloseable {

  static final Duration OBJECTIVE = Duration.ofSeconds(60);

  /** The slot sync worker's longest nap (30 s) and one record round, with room for load. */
  static final Duration SLOT_SYNC_WAIT = Duration.ofMinutes(2);

  final String name;
  private final TestNamespace namespace;
  private final HaCluster ha;
  private final PrimaryForwarder forwarder;

  /**
   * Creates the cluster and waits until it runs.
   *
   * @param params {@code spec.postgresqlParams}
   */
  PatroniCluster(TestNamespace namespace, String name, int major, Map<String, String> params)
      throws IOException {
    this.namespace = namespace;
    this.name = name;
    ha = HaCluster.start(namespace.testBed(), namespace.name(), name, major, true, params);
    awaitRunning();
    forwarder = new PrimaryForwarder(ha::primaryIp);
  }

  /** A JDBC URL that follows the primary, as {@code NAME-primary:5432} would. */
  String serviceUrl() {
    return "jdbc:postgresql://127.0.0.1:" + forwarder.port() + "/postgres";
  }

  /** Running with every member ready, and a ready primary the Service selects. */
  void awaitRunning() {
    ha.awaitRunning(Duration.ofMinutes(3));
    await("a primary selected").atMost(OBJECTIVE).until(() -> ha.primaryIp().isPresent());
  }

  /**
   * The name of the pod {@code NAME-primary} selects (Patroni's role label), once there is one and
   * its PostgreSQL runs as primary: a crashed primary keeps its label until its Patroni runs again.
   */
  String primaryPod() {
    return await("a primary selected and running as primary")
        .atMost(OBJECTIVE)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> ha.primaryIp().filter(this::runsAsPrimary), Optional::isPresent)
        .map(this::podAt)
        .orElseThrow();
  }

  private boolean runsAsPrimary(String ip) {
    try (Connection c = connect(ip);
        ResultSet rs = c.createStatement().executeQuery("SELECT NOT pg_is_in_recovery()")) {
      return rs.next() && rs.getBoolean(1);
    } catch (SQLException e) {
      return false;
    }
  }

  private String podAt(String ip) {
    return namespace.client().pods().inNamespace(namespace.name()).list().getItems().stream()
        .filter(p -> p.getStatus() != null && ip.equals(p.getStatus().getPodIP()))
        .map(p -> p.getMetadata().getName())
        .findFirst()
        .orElseThrow();
  }

  /** Deletes the pod: Patroni and PostgreSQL stop, the StatefulSet makes a new pod. */
  void deletePod(String pod) {
    ha.deletePod(pod);
  }

  /** SIGKILL of the pod's processes; the container then starts again. */
  void crash(String pod) {
    ha.pods().crash(pod);
  }

  /** Plays the cluster DNS for the headless {@code NAME-pods} Service, with a hosts file in dir. */
  HeadlessServiceHosts headlessServiceHosts(Path dir) {
    return new HeadlessServiceHosts(namespace, name, dir);
  }

  String password() {
    return ha.password();
  }

  Connection connect(String ip) throws SQLException {
    return ha.connect(ip);
  }

  Connection connectToPrimary() throws SQLException {
    return connect(ha.primaryIp().orElseThrow(() -> new SQLException("no primary selected")));
  }

  String queryOne(String sql) {
    String value = queryOrNull(sql);
    if (value == null) {
      throw new IllegalStateException("no value from " + sql);
    }
    return value;
  }

  /** The first column of the first row on the primary; null if none or the query failed. */
  String queryOrNull(String sql) {
    try (Connection c = connectToPrimary();
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    } catch (SQLException e) {
      return null;
    }
  }

  /** Executes a statement on the primary once a synchronous standby lets commits through. */
  void executeWhenSynchronous(String sql, String alreadyDoneState) {
    await(sql)
        .atMost(OBJECTIVE)
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              try (Connection c = connectToPrimary()) {
                c.createStatement().execute(sql);
                return true;
              } catch (SQLException e) {
                return alreadyDoneState.equals(e.getSQLState()); // an attempt that timed out
              }
            });
  }

  /**
   * Waits until the synchronous standby, the only member Patroni fails over to in synchronous mode,
   * holds a synchronized copy of the slot at or past the primary's confirmed position when this
   * started: a failover before the copy exists would lose the slot, the documented limit of
   * failover slots. A former primary that rejoined holds a stale copy of its own instead, which the
   * consumer drops ({@code StaleSlotCopies}); then this waits for the synchronized copy that
   * follows.
   *
   * <p>Why it can take a while: the standby's slot sync worker first creates a temporary copy and
   * persists it only once the primary's slot has a catalog xmin at or past the one the standby
   * reserved ("could not synchronize replication slot ... Synchronization could lead to data loss"
   * in its log). The primary's slot takes a newer catalog xmin only from a running-transactions
   * record the consumer confirmed, and the server writes one every 15 s; meanwhile the worker's nap
   * doubles up to 30 s. That added up to 51 s on a quiet machine and past a minute under load. So
   * each poll writes a running-transactions record ({@code pg_log_standby_snapshot()}, added in
   * PostgreSQL 16 to speed up logical slot creation on a standby), and the wait allows for the
   * worker's longest nap.
   */
  void awaitSlotSynchronizedOnStandby(String slot) {
    Lsn confirmed = Lsn.parse(queryOne(confirmedFlushSql(slot)));
    String standby =
        await("a synchronous standby")
            .atMost(OBJECTIVE)
            .until(
                () ->
                    queryOrNull(
                        "SELECT application_name FROM pg_stat_replication"
                            + " WHERE sync_state = 'sync'"),
                n -> n != null);
    awaitSlotCopies(
        slot + " synchronized to " + standby + " at or past " + confirmed,
        () -> {
          SlotCopy copy = slotCopyOn(standby, slot);
          return copy.isSynchronized() && !confirmed.isAfter(copy.confirmed())
              ? ""
              : standby + ": " + copy;
        });
  }

  /**
   * Waits until every standby holds a synchronized copy of the slot, none a stale one of its own:
   * every member is a failover target that keeps the slot.
   */
  void awaitSynchronizedCopyOnEveryStandby(String slot) {
    awaitSlotCopies(
        slot + " synchronized on every standby",
        () -> {
          List<String> missing = new ArrayList<>();
          for (Pod p : namespace.client().pods().inNamespace(namespace.name()).list().getItems()) {
            String pod = p.getMetadata().getName();
            if (!pod.startsWith(name + "-") || runsAsPrimary(podIp(pod))) {
              continue;
            }
            SlotCopy copy = slotCopyOn(pod, slot);
            if (!copy.isSynchronized()) {
              missing.add(pod + ": " + copy);
            }
          }
          return String.join("; ", missing);
        });
  }

  /** Polls {@code unmet} (what is still missing, "" once met) while nudging the primary's slot. */
  private void awaitSlotCopies(String what, java.util.concurrent.Callable<String> unmet) {
    String[] last = {"nothing checked yet"};
    try {
      await("slot " + what)
          .atMost(SLOT_SYNC_WAIT)
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                queryOrNull("SELECT pg_log_standby_snapshot()::text");
                last[0] = unmet.call();
                return last[0].isEmpty();
              });
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(e.getMessage() + "; last seen: " + last[0], e);
    }
  }

  /**
   * A member's copy of a slot.
   *
   * @param state "none", "unreachable: ...", or what pg_replication_slots says
   * @param confirmed its confirmed position, {@link Lsn#ZERO} if none
   */
  record SlotCopy(String state, Lsn confirmed) {
    boolean isSynchronized() {
      return state.equals("synchronized");
    }

    @Override
    public String toString() {
      return state + (confirmed.equals(Lsn.ZERO) ? "" : " at " + confirmed);
    }
  }

  private SlotCopy slotCopyOn(String pod, String slot) {
    String ip = podIp(pod);
    if (ip == null) {
      return new SlotCopy("unreachable: no pod IP", Lsn.ZERO);
    }
    try (Connection c = connect(ip);
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT confirmed_flush_lsn::text, synced, temporary FROM pg_replication_slots"
                        + " WHERE slot_name = '"
                        + slot
                        + "'")) {
      if (!rs.next()) {
        return new SlotCopy("none", Lsn.ZERO);
      }
      Lsn confirmed = rs.getString(1) == null ? Lsn.ZERO : Lsn.parse(rs.getString(1));
      String state =
          !rs.getBoolean(2)
              ? "stale (its own, from when it was primary)"
              : rs.getBoolean(3) ? "temporary (primary's slot not caught up)" : "synchronized";
      return new SlotCopy(state, confirmed);
    } catch (SQLException e) {
      return new SlotCopy("unreachable: " + e.getMessage(), Lsn.ZERO);
    }
  }

  private String podIp(String pod) {
    Pod p = namespace.client().pods().inNamespace(namespace.name()).withName(pod).get();
    return p == null || p.getStatus() == null ? null : p.getStatus().getPodIP();
  }

  static String confirmedFlushSql(String slot) {
    return "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '"
        + slot
        + "'";
  }

  /** "tx:id" of every ledger row the primary holds, in commit order (by transaction number). */
  List<String> committedLedger() throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = connectToPrimary();
        ResultSet rs =
            c.createStatement().executeQuery("SELECT tx, id FROM ledger ORDER BY tx, id")) {
      while (rs.next()) {
        out.add(rs.getLong(1) + ":" + rs.getLong(2));
      }
    }
    return out;
  }

  /** Stops everything; keeps each pod's Patroni output in target/servers. */
  @Override
  public void close() throws IOException {
    forwarder.close();
    Path pods =
        namespace
            .testBed()
            .repositoryRootPath()
            .resolve("target/testbed/pods")
            .resolve(namespace.name());
    Path keep = ServerProcess.targetDir("patroni-" + name);
    if (Files.isDirectory(pods)) {
      try (var dirs = Files.list(pods)) {
        for (Path pod : dirs.toList()) {
          Path log = pod.resolve("patroni.log");
          if (Files.isRegularFile(log)) {
            Files.copy(
                log,
                keep.resolve(pod.getFileName() + ".patroni.log"),
                StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
    }
    ha.close();
  }
}
