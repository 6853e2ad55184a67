package io.pgtrickle.operator.postgres.failover;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers since when each replica (pod UID) of each cluster has been seen not streaming, and
 * reports those past {@link #GRACE}: a replica restarting, reconnecting after a failover or
 * catching up a few segments from the archive streams again within seconds. Held in memory: an
 * operator restart only restarts the wait.
 */
public final class StreamingWatch {

  /** How long a replica must have been seen not streaming before it is reported. */
  public static final Duration GRACE = Duration.ofSeconds(60);

  /** A replica not streaming, and for how long it has been seen so. */
  public record Lasting(ReplicaNotStreaming replica, Duration duration) {}

  private final Map<String, Map<String, Instant>> since = new ConcurrentHashMap<>();

  /**
   * Records what a reconcile of {@code cluster} (namespace/name) observed at {@code now} (every
   * ready replica not streaming; one that streams again, or is gone, starts over) and returns those
   * seen so for at least {@link #GRACE}, in the order given.
   */
  public List<Lasting> observe(String cluster, List<ReplicaNotStreaming> observed, Instant now) {
    Map<String, Instant> before = since.getOrDefault(cluster, Map.of());
    Map<String, Instant> next = new HashMap<>();
    for (ReplicaNotStreaming replica : observed) {
      next.put(replica.uid(), before.getOrDefault(replica.uid(), now));
    }
    if (next.isEmpty()) {
      since.remove(cluster);
    } else {
      since.put(cluster, Map.copyOf(next));
    }
    return observed.stream()
        .map(r -> new Lasting(r, Duration.between(next.get(r.uid()), now)))
        .filter(l -> l.duration().compareTo(GRACE) >= 0)
        .toList();
  }

  /** Forgets a deleted cluster. */
  public void forget(String cluster) {
    since.remove(cluster);
  }
}
