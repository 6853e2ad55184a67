package io.pgtrickle.operator.postgres;

import io.pgtrickle.operator.api.PostgresCluster;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Why each cluster's rollout waits, logged at INFO when that changes (not at every reconcile): a
 * rolling restart that waits minutes for a member to become ready is otherwise silent, and the
 * reason is what a user (or a test's failure) needs to see. A wait is logged only while a rollout
 * is pending: while nothing is to be rolled out, a member that is not ready is the failover
 * handling's business, not the rollout's.
 */
final class RolloutWaits {

  private static final Logger LOG = LoggerFactory.getLogger(RolloutWaits.class);

  private final Map<String, String> byCluster = new ConcurrentHashMap<>();

  /**
   * The rollout's state in this reconcile.
   *
   * @param reason why it waits, or {@code null} when it does not wait (a step was taken, or there
   *     is nothing to roll out)
   * @return whether this was logged (the reason changed)
   */
  boolean observe(PostgresCluster cluster, String reason) {
    String key = key(cluster);
    String before = reason == null ? byCluster.remove(key) : byCluster.put(key, reason);
    if (Objects.equals(before, reason)) {
      return false;
    }
    if (reason != null) {
      LOG.info("rollout of {} waits: {}", key, reason);
    } else {
      LOG.info("rollout of {} no longer waits ({} before)", key, before);
    }
    return true;
  }

  void forget(PostgresCluster cluster) {
    byCluster.remove(key(cluster));
  }

  private static String key(PostgresCluster cluster) {
    return cluster.getMetadata().getNamespace() + "/" + cluster.getMetadata().getName();
  }
}
