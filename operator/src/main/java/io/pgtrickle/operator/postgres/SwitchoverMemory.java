package io.pgtrickle.operator.postgres;

import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.SwitchoverRecord;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last switchover Patroni carried out for each cluster, in memory, next to the copy in {@code
 * status.switchover}, and whether its completion was reported.
 *
 * <p>Why both: the status copy survives an operator restart, but a reconcile may start from a
 * cluster read before the status patch that recorded the switchover (the same round also patches
 * the cluster's annotations, and that older version can reach the cache after the newer one). Such
 * a round sees the primary move with no record and would report a failover, or, once the record is
 * known, report the completion a second time (PatroniFailoverIT saw both).
 */
final class SwitchoverMemory {

  private record Entry(SwitchoverRecord record, boolean reported) {}

  private final Map<String, Entry> byCluster = new ConcurrentHashMap<>();

  /** A switchover Patroni carried out just now. */
  void accepted(PostgresCluster cluster, SwitchoverRecord record) {
    byCluster.put(key(cluster), new Entry(record, false));
  }

  /** The last switchover remembered, or null (whether it is recent is for the caller to judge). */
  SwitchoverRecord recall(PostgresCluster cluster) {
    Entry entry = byCluster.get(key(cluster));
    return entry == null ? null : entry.record();
  }

  /**
   * Whether the completion of this switchover still has to be reported; marks it reported. A record
   * known only from the status (after a restart) has not been.
   */
  boolean firstCompletion(PostgresCluster cluster, SwitchoverRecord record) {
    Entry entry = byCluster.get(key(cluster));
    if (entry != null && entry.reported() && Objects.equals(entry.record(), record)) {
      return false;
    }
    byCluster.put(key(cluster), new Entry(record, true));
    return true;
  }

  /**
   * The primary moved or vanished without the switchover: it no longer explains a later move (a
   * failover back and forth within minutes must not read as the switchover again).
   */
  void settled(PostgresCluster cluster) {
    byCluster.remove(key(cluster));
  }

  void forget(PostgresCluster cluster) {
    byCluster.remove(key(cluster));
    lostPrimaries.remove(key(cluster));
  }

  /**
   * The primary each cluster lost, until another one is seen: a failover after a primary pod was
   * deleted goes through a status without a primary, and is told from the new primary and this. In
   * memory: after an operator restart in between, the new primary is not reported as a failover.
   */
  private final Map<String, String> lostPrimaries = new ConcurrentHashMap<>();

  /** The cluster's primary {@code pod} is gone. */
  void lost(PostgresCluster cluster, String pod) {
    lostPrimaries.put(key(cluster), pod);
  }

  /** The primary lost since the last one was seen, or null; forgotten once read with a primary. */
  String lostPrimary(PostgresCluster cluster, String primaryNow) {
    return primaryNow == null
        ? lostPrimaries.get(key(cluster))
        : lostPrimaries.remove(key(cluster));
  }

  private static String key(PostgresCluster cluster) {
    return cluster.getMetadata().getNamespace() + "/" + cluster.getMetadata().getName();
  }
}
