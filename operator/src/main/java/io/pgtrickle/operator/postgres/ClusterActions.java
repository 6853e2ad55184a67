package io.pgtrickle.operator.postgres;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.events.EventRecorder;
import io.pgtrickle.operator.postgres.credentials.CredentialRotation;
import io.pgtrickle.operator.postgres.credentials.RolePasswords;
import io.pgtrickle.operator.postgres.patroni.ConfigPatch;
import io.pgtrickle.operator.postgres.patroni.LeaderLock;
import io.pgtrickle.operator.postgres.patroni.PatroniClient;
import io.pgtrickle.operator.postgres.patroni.PatroniException;
import io.pgtrickle.operator.postgres.rollout.Member;
import io.pgtrickle.operator.postgres.rollout.RolloutAction;
import io.pgtrickle.operator.postgres.spec.ClusterServices;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the steps the planners decide: restarts, in-place resizes, switchovers and Patroni
 * configuration pushes. Each returns what happened so the reconciler can report it.
 */
public class ClusterActions {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterActions.class);

  private final PatroniClient patroni;
  private final CredentialRotation credentials;
  private final io.pgtrickle.operator.postgres.sidecars.TlsPoolerMetricsRound sidecars;
  private final ReplicaHealth replicas;
  private final PendingRestarts pendingRestarts;
  private final SwitchoverMemory switchovers = new SwitchoverMemory();
  private final RolloutWaits rolloutWaits = new RolloutWaits();
  private final ResizeRefusals resizeRefusals = new ResizeRefusals();
  private final io.pgtrickle.operator.storage.VolumeSpaceProbe volumeSpace =
      new io.pgtrickle.operator.storage.VolumeSpaceProbe();

  public ClusterActions(PatroniClient patroni) {
    this(patroni, new CredentialRotation(new RolePasswords()));
  }

  public ClusterActions(PatroniClient patroni, CredentialRotation credentials) {
    this.patroni = patroni;
    this.credentials = credentials;
    this.replicas = new ReplicaHealth(patroni);
    this.pendingRestarts = new PendingRestarts(patroni, java.time.Clock.systemUTC());
    this.sidecars =
        new io.pgtrickle.operator.postgres.sidecars.TlsPoolerMetricsRound(
            new io.pgtrickle.operator.postgres.sidecars.ServiceRoles(), patroni);
  }

  /** Certificates, sidecar roles, reloads and PodMonitors (spec.tls, pgbouncer, metrics). */
  public io.pgtrickle.operator.postgres.sidecars.TlsPoolerMetricsRound sidecars() {
    return sidecars;
  }

  /** The replicas' checks: diverged replicas cloned again, replicas that do not stream reported. */
  public ReplicaHealth replicas() {
    return replicas;
  }

  /** The switchovers Patroni carried out, for the Events of the primary's moves. */
  SwitchoverMemory switchovers() {
    return switchovers;
  }

  /** Why each cluster's rollout waits, logged when that changes. */
  RolloutWaits rolloutWaits() {
    return rolloutWaits;
  }

  /** The members' data volumes measured, with when each cluster was last. */
  io.pgtrickle.operator.storage.VolumeSpaceProbe volumeSpace() {
    return volumeSpace;
  }

  /** Applies passwords changed in the cluster's Secrets. */
  public CredentialRotation credentials() {
    return credentials;
  }

  /**
   * Deletes a pod so the StatefulSet recreates it from the current template, unless the pod is
   * already going or gone: the reconcile decided from the informer's cache, which may not show yet
   * that an earlier round deleted this pod (or that the StatefulSet recreated it under the same
   * name, from the new template), and such a pod must not be restarted a second time.
   *
   * @param observedUid the UID of the pod the decision was made on, or null for whichever pod has
   *     the name now
   * @return whether the pod was deleted (and the {@code RollingRestart} Event recorded)
   */
  public boolean restart(
      KubernetesClient client, PostgresCluster cluster, String pod, String observedUid) {
    return restart(client, cluster, pod, observedUid, "to apply the new pod template");
  }

  /**
   * {@link #restart(KubernetesClient, PostgresCluster, String, String)}, saying why.
   *
   * @param why what the restart is for, as the log and the Event end: "to ..."
   */
  public boolean restart(
      KubernetesClient client,
      PostgresCluster cluster,
      String pod,
      String observedUid,
      String why) {
    String namespace = cluster.getMetadata().getNamespace();
    Pod now = client.pods().inNamespace(namespace).withName(pod).get();
    if (now == null
        || now.getMetadata().getDeletionTimestamp() != null
        || (observedUid != null && !observedUid.equals(now.getMetadata().getUid()))) {
      LOG.info("pod {}/{} is already being replaced; not restarting it again", namespace, pod);
      return false;
    }
    LOG.info("restarting pod {}/{} {}", namespace, pod, why);
    client.pods().inNamespace(namespace).withName(pod).delete();
    EventRecorder.normal(client, cluster, "RollingRestart", "Restarting " + pod + " " + why);
    return true;
  }

  /**
   * Members whose in-place resize to {@code to} the API server refused: the rollout gives them a
   * new pod instead, in its order ({@link ResizeRefusals}).
   */
  public java.util.Set<String> notResizable(PostgresCluster cluster, ResourceRequirements to) {
    return resizeRefusals.pods(cluster, to);
  }

  /**
   * Resizes the PostgreSQL container of each pod through the {@code resize} subresource. A pod the
   * API server refuses to resize in place (for example because its QoS class would change) is
   * remembered ({@link #notResizable}) and left running: the rollout restarts it in its order,
   * replicas first and the primary after a switchover. Before, it was restarted at once, so a
   * change every member refused restarted them all together.
   */
  public void resize(
      KubernetesClient client,
      PostgresCluster cluster,
      List<String> pods,
      ResourceRequirements to) {
    String namespace = cluster.getMetadata().getNamespace();
    for (String name : pods) {
      Pod pod = client.pods().inNamespace(namespace).withName(name).get();
      if (pod == null) {
        continue;
      }
      pod.getSpec().getContainers().stream()
          .filter(c -> ClusterStatefulSet.CONTAINER.equals(c.getName()))
          .forEach(c -> c.setResources(to));
      try {
        client.raw("/api/v1/namespaces/" + namespace + "/pods/" + name + "/resize", "PUT", pod);
        EventRecorder.normal(client, cluster, "Resized", "Resized " + name + " in place");
      } catch (KubernetesClientException e) {
        LOG.info(
            "pod {} cannot be resized in place ({}); it gets a new pod in the rollout's order",
            name,
            e.getMessage());
        if (resizeRefusals.refused(cluster, to, name)) {
          EventRecorder.normal(
              client,
              cluster,
              "ResizeRefused",
              "The API server does not resize "
                  + name
                  + " in place ("
                  + (e.getStatus() != null && e.getStatus().getMessage() != null
                      ? e.getStatus().getMessage()
                      : e.getMessage())
                  + "): members are restarted one at a time instead, replicas first, the primary"
                  + " after a switchover");
        }
      }
    }
  }

  /**
   * Carries out the switchover a user asked for with the switchover annotation. The annotation is
   * removed once the request is settled: done (Event {@code Switchover}) or refused by Patroni, for
   * example for a candidate that is not the synchronous standby (Warning {@code SwitchoverRefused}
   * with Patroni's reason). A Patroni that cannot be reached leaves it for the next attempt.
   *
   * @return true when Patroni carried out the switchover
   */
  public boolean requestedSwitchover(
      KubernetesClient client,
      PostgresCluster cluster,
      List<Member> members,
      RolloutAction.Switchover switchover,
      PatroniClient.Login login) {
    Optional<PatroniClient.Target> target = target(members, switchover.from(), login);
    if (target.isEmpty()) {
      return false;
    }
    try {
      patroni.switchover(target.get(), switchover.from(), switchover.to());
      EventRecorder.normal(
          client,
          cluster,
          "Switchover",
          "Switchover from " + switchover.from() + " to " + switchover.to() + " as requested");
      clearSwitchoverRequest(client, cluster);
      return true;
    } catch (PatroniException e) {
      if (!e.refused()) {
        LOG.info(
            "requested switchover of {} not sent yet: {}",
            cluster.getMetadata().getName(),
            e.getMessage());
        return false;
      }
      EventRecorder.warning(
          client,
          cluster,
          "SwitchoverRefused",
          "Switchover from "
              + switchover.from()
              + " to "
              + switchover.to()
              + " refused: "
              + e.getMessage());
      clearSwitchoverRequest(client, cluster);
      return false;
    }
  }

  /** Removes the switchover annotation: the request is settled. */
  public void clearSwitchoverRequest(KubernetesClient client, PostgresCluster cluster) {
    client
        .resources(PostgresCluster.class)
        .inNamespace(cluster.getMetadata().getNamespace())
        .withName(cluster.getMetadata().getName())
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"metadata\":{\"annotations\":{\""
                + ClusterNames.SWITCHOVER_ANNOTATION
                + "\":null}}}");
  }

  /** What became of a switchover the operator asked for. */
  public enum SwitchoverResult {
    /** Patroni moved the primary. */
    DONE,
    /** Patroni answered and refused (for now), e.g. the candidate is not the sync standby yet. */
    REFUSED,
    /** Patroni on the primary could not be reached (or no credentials or address to reach it). */
    UNREACHABLE
  }

  /**
   * Asks the primary's Patroni to hand over to {@code switchover.to()}, or to the member Patroni
   * picks when that is null (with synchronous replication: the synchronous standby).
   */
  public SwitchoverResult switchover(
      KubernetesClient client,
      PostgresCluster cluster,
      List<Member> members,
      RolloutAction.Switchover switchover,
      PatroniClient.Login login) {
    if (login != null && login.scheme(switchover.from()).refusal() != null) {
      // Patroni may well answer, but cannot be trusted yet (the status names the missing CA):
      // wait rather than restart the primary.
      return SwitchoverResult.REFUSED;
    }
    Optional<PatroniClient.Target> target = target(members, switchover.from(), login);
    if (target.isEmpty()) {
      return SwitchoverResult.UNREACHABLE;
    }
    try {
      patroni.switchover(target.get(), switchover.from(), switchover.to());
      EventRecorder.normal(
          client,
          cluster,
          "Switchover",
          "Switchover from "
              + switchover.from()
              + (switchover.to() == null
                  ? " to the synchronous standby"
                  : " to " + switchover.to()));
      return SwitchoverResult.DONE;
    } catch (PatroniException e) {
      if (e.refused()) {
        // Expected for a while after a replica restarted (no synchronous standby yet).
        LOG.info(
            "switchover of {} not accepted yet: {}",
            cluster.getMetadata().getName(),
            e.getMessage());
        return SwitchoverResult.REFUSED;
      }
      LOG.warn("switchover of {} failed: {}", cluster.getMetadata().getName(), e.getMessage());
      return SwitchoverResult.UNREACHABLE;
    }
  }

  /**
   * Releases the leader lock of a primary whose container the kubelet reports stopped, once its
   * Patroni does not answer either; true when the lock was released. Patroni then elects a new
   * primary by its own rules (in synchronous mode only the synchronous standby qualifies, and no
   * replica promotes while the old primary still answers them) without waiting for the lock to
   * expire.
   */
  public boolean releaseStoppedPrimary(
      KubernetesClient client,
      PostgresCluster cluster,
      List<Member> members,
      String pod,
      PatroniClient.Login login) {
    Optional<PatroniClient.Target> target = target(members, pod, login);
    if (target.isPresent() && patroni.answers(target.get())) {
      return false;
    }
    boolean released =
        LeaderLock.releaseIfHeldBy(
            client, cluster.getMetadata().getNamespace(), ClusterNames.patroniScope(cluster), pod);
    if (released) {
      LOG.warn(
          "released the leader lock of {}/{}: its container stopped and Patroni does not answer",
          cluster.getMetadata().getNamespace(),
          pod);
      EventRecorder.warning(
          client,
          cluster,
          "LeaderReleased",
          "Primary "
              + pod
              + " stopped (container not running, Patroni not answering); released its leader"
              + " lock so a replica takes over without waiting for ttl");
    }
    return released;
  }

  /** Forgets what was observed of a deleted cluster. */
  public void forget(PostgresCluster cluster) {
    replicas.forget(cluster);
    pendingRestarts.forget(cluster);
    switchovers.forget(cluster);
    rolloutWaits.forget(cluster);
    resizeRefusals.forget(cluster);
    volumeSpace.forget(cluster);
  }

  /** Restarts a member's PostgreSQL in place for parameters waiting on it, see PendingRestarts. */
  public boolean restartPostgres(
      KubernetesClient client,
      PostgresCluster cluster,
      List<Member> members,
      RolloutAction.RestartPostgres step,
      PatroniClient.Login login) {
    return pendingRestarts.restart(client, cluster, members, step, login);
  }

  /** Pushes Patroni's dynamic configuration through the primary; false when it did not apply. */
  public boolean applyDynamicConfig(
      PostgresCluster cluster,
      List<Member> members,
      Map<String, Object> dynamicConfig,
      PatroniClient.Login login) {
    Optional<Member> primary = members.stream().filter(Member::primary).findFirst();
    if (primary.isEmpty()) {
      return false;
    }
    Optional<PatroniClient.Target> target = target(members, primary.get().name(), login);
    if (target.isEmpty()) {
      return false;
    }
    try {
      patroni.patchConfig(
          target.get(), ConfigPatch.of(patroni.config(target.get()), dynamicConfig));
      pendingRestarts.configPushed(cluster);
      return true;
    } catch (PatroniException e) {
      LOG.info(
          "dynamic configuration of {} not applied yet: {}",
          cluster.getMetadata().getName(),
          e.getMessage());
      return false;
    }
  }

  /** When this operator last changed Patroni's dynamic configuration of the cluster, or null. */
  java.time.Instant lastConfigPush(PostgresCluster cluster) {
    return pendingRestarts.lastConfigPush(cluster);
  }

  static Optional<PatroniClient.Target> target(
      List<Member> members, String pod, PatroniClient.Login login) {
    Optional<Member> member =
        members.stream().filter(m -> m.name().equals(pod) && m.podIp() != null).findFirst();
    if (member.isEmpty() || login == null) {
      return Optional.empty();
    }
    PatroniClient.Scheme scheme = login.scheme(pod);
    if (scheme.refusal() != null) {
      LOG.warn("not calling Patroni on {}: {}", pod, scheme.refusal());
      return Optional.empty();
    }
    return Optional.of(
        new PatroniClient.Target(
            member.get().podIp(),
            ClusterServices.PATRONI_PORT,
            login.username(),
            login.password(),
            login.previousPassword(),
            scheme.tls()));
  }
}
