package io.pgtrickle.operator.postgres;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.PostgresClusterStatus;
import io.pgtrickle.operator.events.EventRecorder;
import io.pgtrickle.operator.postgres.failover.DivergedReplica;
import io.pgtrickle.operator.postgres.failover.DivergenceWatch;
import io.pgtrickle.operator.postgres.failover.ReplicaNotStreaming;
import io.pgtrickle.operator.postgres.failover.ReplicasStreaming;
import io.pgtrickle.operator.postgres.failover.StreamingWatch;
import io.pgtrickle.operator.postgres.failover.StuckReplica;
import io.pgtrickle.operator.postgres.failover.StuckWatch;
import io.pgtrickle.operator.postgres.patroni.PatroniClient;
import io.pgtrickle.operator.postgres.patroni.PatroniException;
import io.pgtrickle.operator.postgres.rollout.Member;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicas' health, from the Patroni member data in the pods' {@code status} annotations: a
 * replica whose history diverged on the primary's timeline number is cloned again through Patroni
 * ({@link DivergedReplica}), and so is one that stays behind it without streaming or moving ({@link
 * StuckReplica}); a replica that does not stream is reported ({@link ReplicasStreaming}). Remembers
 * what it saw per cluster, in memory, to act only on what lasts.
 */
public final class ReplicaHealth {

  /** The Event reason when the operator has Patroni clone a replica again. */
  public static final String REINITIALIZED = "ReplicaReinitialized";

  private static final Logger LOG = LoggerFactory.getLogger(ReplicaHealth.class);

  private final PatroniClient patroni;
  private final DivergenceWatch divergence = new DivergenceWatch();
  private final StreamingWatch streaming = new StreamingWatch();
  private final StuckWatch stuck = new StuckWatch();

  /** A replica this operator had Patroni clone again, until it streams: pod UID and why. */
  private record Reinitialised(String uid, String message) {}

  private final Map<String, Reinitialised> reinitialised = new ConcurrentHashMap<>();

  ReplicaHealth(PatroniClient patroni) {
    this.patroni = patroni;
  }

  private static String key(PostgresCluster cluster) {
    return cluster.getMetadata().getNamespace() + "/" + cluster.getMetadata().getName();
  }

  /**
   * Reinitialises the replica Patroni will not repair: one diverged on the primary's timeline
   * number ({@link #reinitializeDivergedReplica}), else one stuck behind it for {@code stuckGrace}
   * ({@link #reinitializeStuckReplica}). Returns true while either is seen (look again soon).
   */
  public boolean repair(
      KubernetesClient client,
      PostgresCluster cluster,
      List<Pod> pods,
      List<Member> members,
      PatroniClient.Login login,
      Duration stuckGrace,
      Instant now) {
    return reinitializeDivergedReplica(client, cluster, pods, members, login, now)
        || reinitializeStuckReplica(client, cluster, pods, members, login, stuckGrace, now);
  }

  /**
   * Reinitialises a replica that diverged from the primary on the same timeline number (see {@link
   * DivergedReplica}) once the divergence has persisted for {@link DivergenceWatch#GRACE}: Patroni
   * clones it again from the primary. WAL only that replica held (written while it was a primary,
   * received by no other member) is discarded, as {@code pg_rewind} would discard it. Returns true
   * while a divergence is seen (look again soon).
   */
  public boolean reinitializeDivergedReplica(
      KubernetesClient client,
      PostgresCluster cluster,
      List<Pod> pods,
      List<Member> members,
      PatroniClient.Login login,
      Instant now) {
    String key = key(cluster);
    Optional<DivergedReplica> seen = DivergedReplica.among(pods);
    Optional<DivergedReplica> confirmed = divergence.observe(key, seen, now);
    if (confirmed.isEmpty()) {
      return seen.isPresent();
    }
    DivergedReplica replica = confirmed.get();
    Optional<PatroniClient.Target> target = ClusterActions.target(members, replica.pod(), login);
    if (target.isEmpty()) {
      return true;
    }
    try {
      patroni.reinitialize(target.get());
    } catch (PatroniException e) {
      LOG.warn("reinitialising {} failed: {}; trying again", replica.pod(), e.getMessage());
      return true;
    }
    divergence.forget(key);
    LOG.warn("reinitialising {}: {}", replica.pod(), replica.describe());
    EventRecorder.warning(
        client,
        cluster,
        REINITIALIZED,
        "Reinitialising " + replica.pod() + " from the primary: " + replica.describe());
    return true;
  }

  /**
   * Reinitialises a replica that has stayed behind the primary without streaming or moving for
   * {@code grace} (see {@link StuckReplica}): Patroni clones it again from the primary. Returns
   * true while such a replica is seen (look again soon: a stuck replica publishes nothing new, and
   * no pod event would come).
   */
  public boolean reinitializeStuckReplica(
      KubernetesClient client,
      PostgresCluster cluster,
      List<Pod> pods,
      List<Member> members,
      PatroniClient.Login login,
      Duration grace,
      Instant now) {
    String key = key(cluster);
    List<StuckReplica> seen = StuckReplica.among(pods);
    Optional<StuckReplica> confirmed = stuck.observe(key, seen, grace, now);
    if (confirmed.isEmpty()) {
      return !seen.isEmpty();
    }
    StuckReplica replica = confirmed.get();
    Optional<PatroniClient.Target> target = ClusterActions.target(members, replica.pod(), login);
    if (target.isEmpty()) {
      return true;
    }
    try {
      patroni.reinitialize(target.get());
    } catch (PatroniException e) {
      LOG.warn("reinitialising {} failed: {}; trying again", replica.pod(), e.getMessage());
      return true;
    }
    Duration waited = stuck.graceFor(key, replica.pod(), grace, now);
    int times = stuck.reinitialised(key, replica.pod(), now);
    String message =
        "Reinitialising "
            + replica.pod()
            + " from the primary: "
            + replica.describe()
            + " for over "
            + waited.toSeconds()
            + " s"
            + (times > 1
                ? " (the "
                    + ordinal(times)
                    + " time in "
                    + StuckWatch.BACK_OFF_WINDOW.toHours()
                    + " h: the cause outlives a fresh clone; the next one waits "
                    + stuck.graceFor(key, replica.pod(), grace, now).toSeconds()
                    + " s)"
                : "");
    reinitialised.put(key, new Reinitialised(replica.uid(), message));
    LOG.warn("{}", message);
    EventRecorder.warning(client, cluster, REINITIALIZED, message);
    return true;
  }

  /**
   * Sets {@link ReplicasStreaming}'s condition in {@code next} from the pods' Patroni member data;
   * Unknown when there is no one running primary to stream from. Returns true while some ready
   * replica is seen not streaming (look again soon: a replica that stays so publishes nothing new,
   * and no pod event would come).
   */
  public boolean reportStreaming(
      PostgresClusterStatus next, PostgresCluster cluster, List<Pod> pods, Instant now) {
    String key = key(cluster);
    Optional<ReplicaNotStreaming.Observation> seen = ReplicaNotStreaming.among(pods);
    long generation =
        cluster.getMetadata().getGeneration() == null ? 0 : cluster.getMetadata().getGeneration();
    if (seen.isEmpty()) {
      next.setConditions(ReplicasStreaming.withoutPrimary(next.getConditions(), generation, now));
      return false;
    }
    List<StreamingWatch.Lasting> lasting = streaming.observe(key, seen.get().notStreaming(), now);
    Optional<String> cloning = cloning(key, seen.get().notStreaming());
    next.setConditions(
        ReplicasStreaming.with(
            next.getConditions(), seen.get().primary(), lasting, cloning, generation, now));
    return !seen.get().notStreaming().isEmpty();
  }

  /**
   * The message of the replica reinitialised last while it has not streamed since; forgets it once
   * it streams again (or its pod is gone): the repair is over.
   */
  private Optional<String> cloning(String key, List<ReplicaNotStreaming> notStreaming) {
    Reinitialised last = reinitialised.get(key);
    if (last == null) {
      return Optional.empty();
    }
    if (notStreaming.stream().noneMatch(r -> r.uid().equals(last.uid()))) {
      reinitialised.remove(key);
      return Optional.empty();
    }
    return Optional.of(last.message());
  }

  private static String ordinal(int n) {
    return switch (n % 100 >= 11 && n % 100 <= 13 ? 0 : n % 10) {
      case 1 -> n + "st";
      case 2 -> n + "nd";
      case 3 -> n + "rd";
      default -> n + "th";
    };
  }

  /** Forgets what was observed of a deleted cluster. */
  public void forget(PostgresCluster cluster) {
    String key = key(cluster);
    divergence.forget(key);
    streaming.forget(key);
    stuck.forget(key);
    reinitialised.remove(key);
  }
}
