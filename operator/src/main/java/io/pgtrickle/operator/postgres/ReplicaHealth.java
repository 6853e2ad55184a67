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
import io.pgtrickle.operator.postgres.patroni.PatroniClient;
import io.pgtrickle.operator.postgres.patroni.PatroniException;
import io.pgtrickle.operator.postgres.rollout.Member;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicas' health, from the Patroni member data in the pods' {@code status} annotations: a
 * replica whose history diverged on the primary's timeline number is cloned again through Patroni
 * ({@link DivergedReplica}), a ready replica that does not stream is reported ({@link
 * ReplicasStreaming}). Remembers what it saw per cluster, in memory, to act only on what lasts.
 */
public final class ReplicaHealth {

  private static final Logger LOG = LoggerFactory.getLogger(ReplicaHealth.class);

  private final PatroniClient patroni;
  private final DivergenceWatch divergence = new DivergenceWatch();
  private final StreamingWatch streaming = new StreamingWatch();

  ReplicaHealth(PatroniClient patroni) {
    this.patroni = patroni;
  }

  private static String key(PostgresCluster cluster) {
    return cluster.getMetadata().getNamespace() + "/" + cluster.getMetadata().getName();
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
        "ReplicaReinitialized",
        "Reinitialising " + replica.pod() + " from the primary: " + replica.describe());
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
    next.setConditions(
        ReplicasStreaming.with(
            next.getConditions(), seen.get().primary(), lasting, generation, now));
    return !seen.get().notStreaming().isEmpty();
  }

  /** Forgets what was observed of a deleted cluster. */
  public void forget(PostgresCluster cluster) {
    String key = key(cluster);
    divergence.forget(key);
    streaming.forget(key);
  }
}
