package io.pgtrickle.operator.postgres.failover;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers since when each {@link StuckReplica} (pod UID) of each cluster has been seen at the
 * same timeline and WAL position, and confirms one once it has not moved for the grace period: a
 * replica restarting, reconnecting after a failover or catching up from the archive moves within
 * seconds to minutes; one that has not moved for that long while the primary runs never will. Held
 * in memory: an operator restart only restarts the wait.
 */
public final class StuckWatch {

  /** The operator's grace period: long past a restart, a failover or a slow catch-up. */
  public static final Duration DEFAULT_GRACE = Duration.ofMinutes(5);

  private record Seen(Long timeline, long position, Instant since) {}

  private final Map<String, Map<String, Seen>> seen = new ConcurrentHashMap<>();

  /**
   * Records what a reconcile of {@code cluster} (namespace/name) observed at {@code now} (a replica
   * no longer observed, or seen at another position, starts over) and returns the first of them, in
   * the order given, that has stayed where it is for at least {@code grace}.
   */
  public Optional<StuckReplica> observe(
      String cluster, List<StuckReplica> observed, Duration grace, Instant now) {
    Map<String, Seen> before = seen.getOrDefault(cluster, Map.of());
    Map<String, Seen> next = new HashMap<>();
    for (StuckReplica replica : observed) {
      Seen last = before.get(replica.uid());
      boolean same =
          last != null
              && Objects.equals(last.timeline(), replica.timeline())
              && last.position() == replica.position();
      next.put(replica.uid(), same ? last : new Seen(replica.timeline(), replica.position(), now));
    }
    if (next.isEmpty()) {
      seen.remove(cluster);
    } else {
      seen.put(cluster, Map.copyOf(next));
    }
    return observed.stream()
        .filter(r -> Duration.between(next.get(r.uid()).since(), now).compareTo(grace) >= 0)
        .findFirst();
  }

  /** Forgets a cluster (a replica of it was reinitialised, or the cluster is gone). */
  public void forget(String cluster) {
    seen.remove(cluster);
  }
}
