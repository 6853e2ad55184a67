package io.pgtrickle.operator.postgres.failover;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
 *
 * <p>Each reinitialisation of a pod in the last {@link #BACK_OFF_WINDOW} doubles the wait before
 * the next one of that pod, up to {@value #MAX_DOUBLINGS} doublings (80 min with the default
 * grace): a replica that keeps getting stuck for a cause a fresh clone does not remove (a volume
 * too small, a network path that drops) is not cloned from the primary every few minutes, which
 * would load the primary and its network for nothing.
 */
public final class StuckWatch {

  /** The operator's grace period: long past a restart, a failover or a slow catch-up. */
  public static final Duration DEFAULT_GRACE = Duration.ofMinutes(5);

  /** How long a reinitialisation of a pod lengthens the wait before its next one. */
  public static final Duration BACK_OFF_WINDOW = Duration.ofHours(6);

  /** The most the wait is doubled: 16 times the grace period. */
  public static final int MAX_DOUBLINGS = 4;

  private record Seen(Long timeline, long position, Instant since) {}

  private final Map<String, Map<String, Seen>> seen = new ConcurrentHashMap<>();

  /** Per cluster, per pod name: when it was reinitialised, oldest first. */
  private final Map<String, Map<String, List<Instant>>> reinitialised = new ConcurrentHashMap<>();

  /**
   * Records what a reconcile of {@code cluster} (namespace/name) observed at {@code now} (a replica
   * no longer observed, or seen at another position, starts over) and returns the first of them, in
   * the order given, that has stayed where it is for at least its {@link #graceFor wait}.
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
        .filter(
            r ->
                Duration.between(next.get(r.uid()).since(), now)
                        .compareTo(graceFor(cluster, r.pod(), grace, now))
                    >= 0)
        .findFirst();
  }

  /**
   * How long {@code pod} of {@code cluster} must stay where it is before it is reinitialised:
   * {@code grace} doubled once per reinitialisation of it in the {@link #BACK_OFF_WINDOW} before
   * {@code now}, at most {@value #MAX_DOUBLINGS} times.
   */
  public Duration graceFor(String cluster, String pod, Duration grace, Instant now) {
    return grace.multipliedBy(
        1L << Math.min(MAX_DOUBLINGS, recentReinitialisations(cluster, pod, now)));
  }

  /**
   * Records that {@code pod} of {@code cluster} was reinitialised at {@code now}, and forgets what
   * was observed of the cluster's replicas (the clone starts them over).
   *
   * @return how many times it was reinitialised in the {@link #BACK_OFF_WINDOW} up to {@code now},
   *     this time included
   */
  public int reinitialised(String cluster, String pod, Instant now) {
    seen.remove(cluster);
    Instant since = now.minus(BACK_OFF_WINDOW);
    reinitialised.compute(
        cluster,
        (c, pods) -> {
          Map<String, List<Instant>> next = pods == null ? new HashMap<>() : new HashMap<>(pods);
          List<Instant> times = new ArrayList<>();
          for (Instant t : next.getOrDefault(pod, List.of())) {
            if (t.isAfter(since)) {
              times.add(t);
            }
          }
          times.add(now);
          next.put(pod, List.copyOf(times));
          return Map.copyOf(next);
        });
    return recentReinitialisations(cluster, pod, now);
  }

  private int recentReinitialisations(String cluster, String pod, Instant now) {
    Instant since = now.minus(BACK_OFF_WINDOW);
    return (int)
        reinitialised.getOrDefault(cluster, Map.of()).getOrDefault(pod, List.of()).stream()
            .filter(t -> t.isAfter(since))
            .count();
  }

  /** Forgets a cluster that is gone: what was observed and what was reinitialised. */
  public void forget(String cluster) {
    seen.remove(cluster);
    reinitialised.remove(cluster);
  }
}
