package io.pgtrickle.operator.postgres;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.SwitchoverRecord;
import io.pgtrickle.operator.events.EventRecorder;
import io.pgtrickle.operator.postgres.failover.StoppedPrimary;
import io.pgtrickle.operator.postgres.patroni.PatroniClient;
import io.pgtrickle.operator.postgres.rollout.Member;
import io.pgtrickle.operator.postgres.rollout.RolloutAction;
import io.pgtrickle.operator.postgres.rollout.RolloutPlanner;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The steps one reconcile takes through the members' Patroni: releasing a stopped primary's leader
 * lock, a switchover asked for by annotation or before a scale-down, and the next rollout step.
 * Each returns when to look again without an event (null: no need); the step is chosen by the pure
 * {@link RolloutPlanner}, and this class only carries it out and remembers a switchover Patroni
 * accepted, for the status ({@link #switchedOver()}).
 */
final class PatroniSteps {

  /** How soon to look again while waiting on Patroni rather than on a Kubernetes event. */
  static final Duration PATRONI_RETRY = Duration.ofSeconds(5);

  /** While a stopped primary holds the lock: its Patroni may answer again any moment. */
  private static final Duration STOPPED_PRIMARY_RETRY = Duration.ofSeconds(1);

  private final PostgresCluster cluster;
  private final KubernetesClient client;
  private final ClusterActions actions;
  private final Clock clock;
  private final List<Pod> pods;
  private final List<Member> members;
  private final Supplier<PatroniClient.Login> login;

  /** A switchover Patroni carried out in this reconcile, or null. */
  private SwitchoverRecord switchedOver;

  /**
   * @param pods the cluster's pods, as the reconcile read them
   * @param members the same pods as rollout members
   * @param login how to log in to the members' Patroni (asked for when a step needs it)
   */
  PatroniSteps(
      PostgresCluster cluster,
      KubernetesClient client,
      ClusterActions actions,
      Clock clock,
      List<Pod> pods,
      List<Member> members,
      Supplier<PatroniClient.Login> login) {
    this.cluster = cluster;
    this.client = client;
    this.actions = actions;
    this.clock = clock;
    this.pods = pods;
    this.members = members;
    this.login = login;
  }

  /** The switchover Patroni carried out in this reconcile, or null. */
  SwitchoverRecord switchedOver() {
    return switchedOver;
  }

  /**
   * Fast failover: releases the leader lock of a primary whose container stopped, so Patroni elects
   * a new one now rather than when the lock expires. Returns when to look again, or null when no
   * primary is stopped.
   */
  Duration releaseStoppedPrimary() {
    if (!StoppedPrimary.enabled(cluster)) {
      return null;
    }
    Optional<String> stopped = StoppedPrimary.among(pods);
    if (stopped.isEmpty()) {
      return null;
    }
    actions.releaseStoppedPrimary(client, cluster, members, stopped.get(), login.get());
    return STOPPED_PRIMARY_RETRY;
  }

  /**
   * Moves the primary off the ordinals a scale-down removes (the StatefulSet removes the highest).
   *
   * @param first the switchover {@link RolloutPlanner#beforeScaleDown} asked for
   */
  void switchoverBeforeScaleDown(RolloutAction.Switchover first) {
    accepted(first, actions.switchover(client, cluster, members, first, login.get()));
  }

  /** Carries out a switchover asked for by annotation; returns when to look again, or null. */
  Duration switchoverOnRequest() {
    Map<String, String> annotations = cluster.getMetadata().getAnnotations();
    String target =
        annotations == null ? null : annotations.get(ClusterNames.SWITCHOVER_ANNOTATION);
    if (target == null) {
      return null;
    }
    if (RolloutPlanner.fulfilled(members, target)) {
      // Settled without a switchover: said so, as a done or refused one is (a trial read only the
      // annotation's removal).
      EventRecorder.normal(
          client,
          cluster,
          "SwitchoverNotNeeded",
          "Switchover to " + target.trim() + " not needed: it is the primary");
      actions.clearSwitchoverRequest(client, cluster);
      return null;
    }
    if (members.stream().noneMatch(m -> m.name().equals(target.trim()))) {
      EventRecorder.warning(
          client,
          cluster,
          "SwitchoverRefused",
          "Switchover to " + target + " refused: no member of this cluster has that name");
      actions.clearSwitchoverRequest(client, cluster);
      return null;
    }
    Optional<RolloutAction.Switchover> requested = RolloutPlanner.requested(members, target);
    if (requested.isEmpty()) {
      // The candidate is not ready yet (or there is no primary to hand over from): wait.
      return PATRONI_RETRY;
    }
    if (actions.requestedSwitchover(client, cluster, members, requested.get(), login.get())) {
      accepted(requested.get(), ClusterActions.SwitchoverResult.DONE);
    }
    return PATRONI_RETRY;
  }

  /**
   * Takes the next rollout step, if any; returns when to look again without an event.
   *
   * @param remount members to restart for their volume's file system to grow ({@link
   *     io.pgtrickle.operator.storage.FileSystemResize})
   */
  Duration rollForward(
      StatefulSet statefulSet, boolean inPlacePodResize, java.util.Set<String> remount) {
    if (statefulSet == null || members.isEmpty()) {
      return null;
    }
    RolloutAction action =
        RolloutPlanner.next(
            members,
            statefulSet.getSpec().getReplicas(),
            ClusterObservation.desiredHash(statefulSet),
            ClusterStatefulSet.resources(cluster),
            inPlacePodResize,
            remount,
            actions.notResizable(cluster, ClusterStatefulSet.resources(cluster)));
    String desiredHash = ClusterObservation.desiredHash(statefulSet);
    boolean rolloutPending =
        !remount.isEmpty()
            || members.stream()
                .anyMatch(m -> !java.util.Objects.equals(m.restartHash(), desiredHash));
    actions
        .rolloutWaits()
        .observe(
            cluster,
            action instanceof RolloutAction.Wait wait && rolloutPending ? wait.reason() : null);
    if (action instanceof RolloutAction.Resize resize) {
      actions.resize(client, cluster, resize.pods(), ClusterStatefulSet.resources(cluster));
    } else if (action instanceof RolloutAction.Restart restart) {
      actions.restart(
          client,
          cluster,
          restart.pod(),
          uid(restart.pod()),
          restartReason(restart.pod(), desiredHash, remount));
    } else if (action instanceof RolloutAction.RestartPostgres step) {
      actions.restartPostgres(client, cluster, members, step, login.get());
      return PATRONI_RETRY;
    } else if (action instanceof RolloutAction.Switchover switchover) {
      // With synchronous replication only the synchronous standby may take over, and Patroni
      // names it a loop or two after a replica restarted: let Patroni pick it.
      boolean synchronous = Boolean.TRUE.equals(cluster.getSpec().getSynchronous());
      RolloutAction.Switchover asked =
          synchronous ? new RolloutAction.Switchover(switchover.from(), null) : switchover;
      ClusterActions.SwitchoverResult result =
          actions.switchover(client, cluster, members, asked, login.get());
      accepted(asked, result);
      if (result == ClusterActions.SwitchoverResult.UNREACHABLE) {
        // Patroni on the primary does not answer, so it cannot hand over gracefully; the
        // rollout still has to finish. Restarting the primary makes Patroni fail over to an
        // up-to-date replica within about ttl seconds.
        EventRecorder.warning(
            client,
            cluster,
            "SwitchoverFailed",
            "Patroni on " + switchover.from() + " does not answer a switchover; restarting it");
        actions.restart(
            client,
            cluster,
            switchover.from(),
            uid(switchover.from()),
            restartReason(switchover.from(), desiredHash, remount));
      }
      // Refused: Patroni runs and says not now (e.g. no synchronous standby yet); ask again.
      return PATRONI_RETRY;
    }
    return null;
  }

  /** What restarting {@code pod} is for, as the log and the Event say it: "to ...". */
  private String restartReason(String pod, String desiredHash, java.util.Set<String> remount) {
    boolean current =
        members.stream()
            .anyMatch(
                m ->
                    m.name().equals(pod) && java.util.Objects.equals(m.restartHash(), desiredHash));
    if (current && remount.contains(pod)) {
      return "to grow its volume's file system (FileSystemResizePending: the storage driver grows"
          + " it only when a pod mounts the volume again)";
    }
    return current
        ? "to apply its new resources (the API server does not resize it in place)"
        : "to apply the new pod template";
  }

  /**
   * Remembers a switchover Patroni carried out, for the status ({@code status.switchover}): the
   * Event for the primary's move then says switchover, not failover.
   */
  private void accepted(RolloutAction.Switchover asked, ClusterActions.SwitchoverResult result) {
    if (result == ClusterActions.SwitchoverResult.DONE) {
      switchedOver = new SwitchoverRecord(asked.from(), asked.to(), clock.instant().toString());
      actions.switchovers().accepted(cluster, switchedOver);
    }
  }

  /** The UID of the cached pod of that name (what a rollout step was decided on), or null. */
  private String uid(String pod) {
    return pods.stream()
        .filter(p -> pod.equals(p.getMetadata().getName()))
        .map(p -> p.getMetadata().getUid())
        .findFirst()
        .orElse(null);
  }
}
