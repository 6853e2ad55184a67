package io.pgtrickle.operator.postgres.failover;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers since when each cluster has shown the same {@link DivergedReplica} (same pod UID and
 * timeline), and confirms it only once it has persisted for {@link #GRACE}: the primary publishes
 * its WAL position once per Patroni {@code loop_wait} (2 s by default, at most the CRD's limit), so
 * a replica may look ahead of a stale figure for a moment, never for half a minute. Held in memory:
 * an operator restart only restarts the wait.
 */
public final class DivergenceWatch {

  /** How long a divergence must persist before the replica is reinitialised. */
  public static final Duration GRACE = Duration.ofSeconds(30);

  private record Seen(String uid, long timeline, Instant since) {}

  private final Map<String, Seen> seen = new ConcurrentHashMap<>();

  /**
   * Records what a reconcile of {@code cluster} (namespace/name) observed at {@code now}; returns
   * the replica once the same one has been observed diverged since at least {@link #GRACE} ago. An
   * observation of no divergence, or of another pod, starts over.
   */
  public Optional<DivergedReplica> observe(
      String cluster, Optional<DivergedReplica> observed, Instant now) {
    if (observed.isEmpty()) {
      seen.remove(cluster);
      return Optional.empty();
    }
    DivergedReplica replica = observed.get();
    Seen first =
        seen.compute(
            cluster,
            (k, before) ->
                before != null
                        && before.uid().equals(String.valueOf(replica.uid()))
                        && before.timeline() == replica.timeline()
                    ? before
                    : new Seen(String.valueOf(replica.uid()), replica.timeline(), now));
    return Duration.between(first.since(), now).compareTo(GRACE) >= 0
        ? Optional.of(replica)
        : Optional.empty();
  }

  /** Forgets a cluster (its replica was reinitialised, or the cluster is gone). */
  public void forget(String cluster) {
    seen.remove(cluster);
  }
}
