package io.pgtrickle.operator.postgres;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.events.EventRecorder;
import io.pgtrickle.operator.postgres.patroni.PatroniClient;
import io.pgtrickle.operator.postgres.patroni.PatroniException;
import io.pgtrickle.operator.postgres.rollout.Member;
import io.pgtrickle.operator.postgres.rollout.RolloutAction;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restarts a member's PostgreSQL in place through Patroni ({@code POST /restart}, only if a restart
 * is pending) to apply parameters that need one: {@code max_connections}, {@code shared_buffers},
 * {@code wal_level}, ... Before, {@code spec.postgresqlParams} reached Patroni's configuration,
 * Patroni marked every member {@code pending_restart}, and the new value never took effect while
 * the cluster reported itself stable. The order is {@link
 * io.pgtrickle.operator.postgres.rollout.RolloutPlanner#next}'s.
 *
 * <p>A member is restarted at most once per {@link #PAUSE} (per pod, in this operator process), so
 * a restart that does not clear its {@code pending_restart} cannot become a restart loop.
 */
public final class PendingRestarts {

  /** The least time between two restarts of one member's PostgreSQL. */
  static final Duration PAUSE = Duration.ofSeconds(60);

  /**
   * How long after a configuration push no restart starts: every member's Patroni publishes its new
   * {@code pending_restart} in its next loop ({@code loop_wait} 2 s), each on its own, and the
   * order of the restarts depends on the primary's.
   */
  static final Duration SETTLE = Duration.ofSeconds(10);

  private static final Logger LOG = LoggerFactory.getLogger(PendingRestarts.class);

  private final PatroniClient patroni;
  private final Clock clock;
  private final Map<String, Instant> lastRestart = new ConcurrentHashMap<>();
  private final Map<String, Instant> lastPush = new ConcurrentHashMap<>();

  PendingRestarts(PatroniClient patroni, Clock clock) {
    this.patroni = patroni;
    this.clock = clock;
  }

  /**
   * Restarts the member's PostgreSQL unless it was restarted within {@link #PAUSE}.
   *
   * @return whether Patroni restarted it
   */
  boolean restart(
      KubernetesClient client,
      PostgresCluster cluster,
      List<Member> members,
      RolloutAction.RestartPostgres step,
      PatroniClient.Login login) {
    String key = cluster.getMetadata().getNamespace() + "/" + step.pod();
    Instant now = clock.instant();
    Instant last = lastRestart.get(key);
    Instant pushed = lastPush.get(clusterKey(cluster));
    if ((last != null && now.isBefore(last.plus(PAUSE)))
        || (pushed != null && now.isBefore(pushed.plus(SETTLE)))) {
      return false;
    }
    var target = ClusterActions.target(members, step.pod(), login);
    if (target.isEmpty()) {
      return false;
    }
    lastRestart.put(key, now);
    EventRecorder.normal(
        client,
        cluster,
        "PendingRestart",
        "Restarting PostgreSQL on " + step.pod() + " in place to apply " + step.parameters());
    try {
      patroni.restartPending(target.get());
      return true;
    } catch (PatroniException e) {
      LOG.info(
          "restart of PostgreSQL on {} for {} not done: {}",
          key,
          step.parameters(),
          e.getMessage());
      return false;
    }
  }

  /** Notes that Patroni's dynamic configuration of the cluster changed now. */
  void configPushed(PostgresCluster cluster) {
    lastPush.put(clusterKey(cluster), clock.instant());
  }

  /** When this operator last changed Patroni's dynamic configuration of the cluster, or null. */
  Instant lastConfigPush(PostgresCluster cluster) {
    return lastPush.get(clusterKey(cluster));
  }

  /** Forgets a deleted cluster's members. */
  void forget(PostgresCluster cluster) {
    String prefix = clusterKey(cluster);
    lastRestart.keySet().removeIf(k -> k.startsWith(prefix + "-"));
    lastPush.remove(prefix);
  }

  private static String clusterKey(PostgresCluster cluster) {
    return cluster.getMetadata().getNamespace() + "/" + cluster.getMetadata().getName();
  }
}
