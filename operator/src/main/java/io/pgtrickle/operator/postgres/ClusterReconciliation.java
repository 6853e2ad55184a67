package io.pgtrickle.operator.postgres;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.pgtrickle.operator.ApiServerFeatures;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.PostgresClusterStatus;
import io.pgtrickle.operator.backup.ArchiverProbe;
import io.pgtrickle.operator.backup.RestoreFailure;
import io.pgtrickle.operator.backup.RestoreSources;
import io.pgtrickle.operator.events.EventRecorder;
import io.pgtrickle.operator.postgres.credentials.CredentialRotation;
import io.pgtrickle.operator.postgres.credentials.KeptSecrets;
import io.pgtrickle.operator.postgres.credentials.RolePasswords;
import io.pgtrickle.operator.postgres.credentials.RotationFailures;
import io.pgtrickle.operator.postgres.rollout.Member;
import io.pgtrickle.operator.postgres.rollout.RolloutAction;
import io.pgtrickle.operator.postgres.rollout.RolloutPlanner;
import io.pgtrickle.operator.postgres.rollout.RolloutStall;
import io.pgtrickle.operator.postgres.status.ClusterStatusCalculator;
import io.pgtrickle.operator.postgres.status.ObservedCluster;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** One reconcile of one cluster: validate, apply, roll forward, configure, report. */
final class ClusterReconciliation {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(ClusterReconciliation.class);

  private static final Duration PATRONI_RETRY = PatroniSteps.PATRONI_RETRY;

  /**
   * While a replica looks diverged: until it has for {@code DivergenceWatch.GRACE}, or is cloned.
   */
  private static final Duration DIVERGED_REPLICA_RETRY = Duration.ofSeconds(10);

  /** While a ready replica does not stream: it publishes nothing new, so no pod event comes. */
  private static final Duration NOT_STREAMING_RETRY = Duration.ofSeconds(10);

  private static final Duration ENVIRONMENT_RETRY = Duration.ofSeconds(30);

  /**
   * While members are missing: the StatefulSet controller reports a pod it cannot create only as an
   * Event, and an Event that is merely touched again wakes no one.
   */
  private static final Duration MEMBERS_MISSING_RETRY = Duration.ofSeconds(15);

  /** Reason of a cluster whose child the API server refused. */
  static final String RESOURCE_REJECTED = "ResourceRejected";

  /** Reason of a cluster whose restore failed (restore.sh's reason in the message). */
  static final String RESTORE_FAILED = "RestoreFailed";

  private final PostgresCluster cluster;
  private final Context<PostgresCluster> context;
  private final KubernetesClient client;
  private final ApiServerFeatures features;
  private final ClusterActions actions;
  private final Clock clock;
  private final ClusterTimings timings;
  private final List<Pod> pods;
  private final List<Member> members;

  /**
   * What this reconcile found of the repository volume ({@link
   * io.pgtrickle.operator.backup.RepositoryVolume#ensure}); null when it did not look (the
   * condition stays as it was).
   */
  private Optional<String> repositoryVolume;

  /**
   * The verdicts on the members' volumes after growing them to {@code spec.storage.size} ({@link
   * io.pgtrickle.operator.storage.MemberVolumes#expand}); null when it did not look (the condition
   * stays as it was).
   */
  private io.pgtrickle.operator.storage.MemberVolumes.Result volumes;

  /** While a member's volume grows: claims send the operator no event. */
  private static final Duration VOLUME_EXPANSION_RETRY = Duration.ofSeconds(10);

  /** What this reconcile does through Patroni. */
  private final PatroniSteps patroni;

  ClusterReconciliation(
      PostgresCluster cluster,
      Context<PostgresCluster> context,
      ApiServerFeatures features,
      ClusterActions actions,
      Clock clock,
      ClusterTimings timings) {
    this.cluster = cluster;
    this.context = context;
    this.client = context.getClient();
    this.features = features;
    this.actions = actions;
    this.clock = clock;
    this.timings = timings;
    this.pods = List.copyOf(context.getSecondaryResources(Pod.class));
    this.members = Member.of(pods);
    this.patroni =
        new PatroniSteps(cluster, client, actions, clock, pods, members, this::patroniLogin);
  }

  UpdateControl<PostgresCluster> run() {
    KeptSecrets.adopt(client, cluster, PostgresClusterReconciler.keptSecrets(context, cluster));
    Optional<ClusterValidation.Problem> problem =
        ClusterValidation.ofSpec(cluster)
            .or(() -> ClusterPipelines.walLevelProblem(context, cluster))
            .or(() -> ClusterValidation.ofEnvironment(cluster, client));
    if (problem.isPresent()) {
      // Nothing is applied: a running cluster keeps running as it is (no child changed, no
      // restart, no Patroni config pushed), and its status shows its members with the problem.
      ClusterValidation.Problem p = problem.get();
      ObservedCluster observed =
          observe(PostgresClusterReconciler.statefulSet(context))
              .withFailure(p.reason(), p.message());
      return report(observed, null, p.mayResolveItself() ? ENVIRONMENT_RETRY : null);
    }

    int desired = cluster.getSpec().getReplicas();
    StatefulSet existing = PostgresClusterReconciler.statefulSet(context);
    if (cluster.getSpec().getRestore() != null && existing == null) {
      // Nothing is created before the source is known: the first member must restore it.
      RestoreSources.Problem p = RestoreSources.resolve(client, cluster).problem();
      if (p != null) {
        ObservedCluster observed = observe(null).withFailure(p.reason(), p.message());
        return report(observed, null, p.mayResolveItself() ? ENVIRONMENT_RETRY : null);
      }
    }
    Optional<ClusterValidation.Problem> shared =
        RepositorySharing.problem(cluster, context.getPrimaryCache().list().toList());
    if (shared.isPresent()) {
      // Nothing is applied, so a running cluster's archiving is never (re)configured into the
      // other cluster's repository; the older cluster keeps it and is not touched.
      ObservedCluster observed =
          observe(existing).withFailure(shared.get().reason(), shared.get().message());
      return report(observed, null, ENVIRONMENT_RETRY);
    }
    if (existing != null && desired != existing.getSpec().getReplicas()) {
      if (desired < existing.getSpec().getReplicas()) {
        Optional<RolloutAction.Switchover> first = RolloutPlanner.beforeScaleDown(members, desired);
        if (first.isPresent()) {
          // The StatefulSet removes the highest ordinals: move the primary off them first.
          patroni.switchoverBeforeScaleDown(first.get());
          // Whatever Patroni answered, scale down only once the primary stays.
          return report(observe(existing), null, PATRONI_RETRY);
        }
      }
      EventRecorder.normal(
          client,
          cluster,
          "Scaling",
          "Scaling from " + existing.getSpec().getReplicas() + " to " + desired + " members");
    }

    Optional<ClusterValidation.Problem> tls =
        actions.sidecars().beforeChildren(client, cluster, this::secret, clock.instant());
    if (tls.isPresent()) {
      ObservedCluster observed =
          observe(existing).withFailure(tls.get().reason(), tls.get().message());
      return report(observed, null, ENVIRONMENT_RETRY);
    }

    // spec.backup.backupFromReplica: the pgBackRest servers' certificate, before pods mount it.
    io.pgtrickle.operator.backup.PgBackRestCertificates.ensure(
        client, cluster, this::secret, clock.instant());
    // spec.backup.destination.type PVC: the repository volume, before pods mount it.
    repositoryVolume = io.pgtrickle.operator.backup.RepositoryVolume.ensure(client, cluster);

    // One decision for the StatefulSet and Patroni's ConfigMap, from what runs now.
    context
        .managedWorkflowAndDependentResourceContext()
        .put(
            io.pgtrickle.operator.postgres.rollout.TlsTransition.CONTEXT_KEY,
            io.pgtrickle.operator.postgres.rollout.TlsTransition.decide(
                cluster, existing, pods, this::secret));
    context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();
    volumes = io.pgtrickle.operator.storage.MemberVolumes.expand(client, cluster);

    StatefulSet statefulSet = PostgresClusterReconciler.statefulSet(context);
    Duration retry = patroni.releaseStoppedPrimary();
    if (retry == null
        && actions
            .replicas()
            .repair(
                client,
                cluster,
                pods,
                members,
                patroniLogin(),
                timings.stuckReplicaGrace(),
                clock.instant())) {
      retry = DIVERGED_REPLICA_RETRY;
    }
    if (retry == null) {
      retry = patroni.switchoverOnRequest();
    }
    CredentialRotation.Outcome credentials = rotateCredentials();
    if (retry == null && credentials.retrySoon()) {
      retry = PATRONI_RETRY;
    }
    if (retry == null) {
      retry =
          patroni.rollForward(
              statefulSet,
              features.inPlacePodResize(),
              io.pgtrickle.operator.storage.FileSystemResize.podsToRestart(
                  volumes.verdicts(),
                  io.pgtrickle.operator.storage.FileSystemResize.created(pods),
                  clock.instant(),
                  timings.fileSystemResizeGrace()));
    }
    if (actions.sidecars().afterChildren(client, cluster, members, this::secret, patroniLogin())
        && retry == null) {
      retry = PATRONI_RETRY;
    }
    String appliedConfig =
        DynamicConfigSync.apply(
            context, cluster, members, actions, patroniLogin(), clock.instant());
    if (appliedConfig == null && members.stream().anyMatch(Member::primary)) {
      retry = retry == null ? PATRONI_RETRY : retry;
    }
    ObservedCluster observed = observe(statefulSet);
    if (restoring()) {
      Optional<String> failed = RestoreFailure.read(client, pods, cluster.getMetadata().getUid());
      if (failed.isPresent()) {
        observed =
            observed.withFailure(
                RESTORE_FAILED,
                "spec.restore failed and nothing was promoted: "
                    + failed.get().strip()
                    + (failed.get().strip().endsWith(".") ? "" : ".")
                    + " Delete this cluster and create it again once the cause is fixed (its"
                    + " volume may stay: the new cluster restores again).");
      }
      retry = retry == null ? PATRONI_RETRY : retry;
    }
    if (credentials.problem() != null && observed.problem() == null) {
      observed =
          observed.withProblem(credentials.problem().reason(), credentials.problem().message());
    }
    if (retry == null
        && statefulSet != null
        && observed.currentReplicas() < statefulSet.getSpec().getReplicas()) {
      retry = MEMBERS_MISSING_RETRY;
    }
    if (observed.rollout() instanceof RolloutStall.Waiting waiting) {
      // A member that stays not ready sends no event: look again when the bound is reached.
      Duration due = max(waiting.remaining(), Duration.ofSeconds(1));
      retry = retry == null || retry.compareTo(due) > 0 ? due : retry;
    }
    return report(observed, appliedConfig, retry);
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  /** A cluster with spec.restore whose first member has not finished bootstrapping. */
  private boolean restoring() {
    return cluster.getSpec().getRestore() != null
        && members.stream().noneMatch(Member::primary)
        && !RestoreSources.initialized(client, cluster);
  }

  /**
   * Applies passwords a user changed in the cluster's Secrets (see {@link CredentialRotation}); a
   * primary that cannot be reached now is tried again soon.
   */
  private CredentialRotation.Outcome rotateCredentials() {
    try {
      return actions
          .credentials()
          .reconcile(
              client,
              cluster,
              PostgresClusterReconciler.secretNamed(
                  context, cluster, ClusterNames.credentialsSecret(cluster)),
              PostgresClusterReconciler.secretNamed(
                  context, cluster, ClusterNames.replicationSecret(cluster)),
              PostgresClusterReconciler.secretNamed(
                  context, cluster, ClusterNames.appliedCredentialsSecret(cluster)),
              Boolean.TRUE.equals(cluster.getSpec().getSynchronous()),
              members,
              this::secret);
    } catch (RolePasswords.RoleUpdateException e) {
      ObservedCluster.Finding lasting = RotationFailures.lasting(e);
      if (lasting == null) {
        LOG.info("{}; trying again", e.getMessage());
      } else {
        LOG.warn("{}; trying again", e.getMessage());
      }
      return new CredentialRotation.Outcome(true, lasting);
    } catch (io.pgtrickle.operator.postgres.tls.MemberJdbc.NoCaException e) {
      LOG.warn("new passwords not applied: {}; trying again", e.getMessage());
      return new CredentialRotation.Outcome(true, null);
    }
  }

  private UpdateControl<PostgresCluster> report(
      ObservedCluster observed, String appliedConfig, Duration retry) {
    PostgresClusterStatus previous = cluster.getStatus();
    PostgresClusterStatus next =
        ClusterStatusCalculator.calculate(cluster, observed, clock.instant());
    if (appliedConfig != null) {
      next.setPatroniConfigHash(appliedConfig);
    }
    if (cluster.getSpec().getBackup() != null) {
      // pg_stat_archiver changes without an event: look again after archivingCheck.
      try {
        ArchiverProbe.report(client, next, cluster, members, this::secret, clock.instant());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Duration check = timings.archivingCheck();
      retry = retry == null || retry.compareTo(check) > 0 ? check : retry;
    } else {
      // Without spec.backup nothing is archived: a condition kept from before would say it is.
      next.setConditions(
          io.pgtrickle.operator.status.Conditions.without(
              next.getConditions(), io.pgtrickle.operator.backup.ContinuousArchiving.TYPE));
    }
    if (repositoryVolume != null) {
      next.setConditions(
          io.pgtrickle.operator.backup.RepositoryVolume.condition(
              next.getConditions(),
              cluster,
              repositoryVolume,
              cluster.getMetadata().getGeneration(),
              clock.instant()));
    }
    if (volumes != null) {
      if (volumes.smallestCapacity() != null) {
        next.setStorageSize(volumes.smallestCapacity());
      }
      next.setConditions(
          io.pgtrickle.operator.storage.StorageCondition.with(
              next.getConditions(),
              volumes.verdicts(),
              cluster.getSpec().getStorage().getSize(),
              cluster.getMetadata().getGeneration(),
              clock.instant()));
      if (io.pgtrickle.operator.storage.StorageCondition.growing(volumes.verdicts())
          && (retry == null || retry.compareTo(VOLUME_EXPANSION_RETRY) > 0)) {
        retry = VOLUME_EXPANSION_RETRY;
      }
    }
    // Volumes fill without an event: measured again when due.
    Duration measure =
        actions
            .volumeSpace()
            .report(
                client, cluster, pods, previous, next, clock.instant(), timings.volumeSpaceCheck());
    retry = retry == null || retry.compareTo(measure) > 0 ? measure : retry;
    if (actions.replicas().reportStreaming(next, cluster, pods, clock.instant())
        && (retry == null || retry.compareTo(NOT_STREAMING_RETRY) > 0)) {
      retry = NOT_STREAMING_RETRY;
    }
    if (patroni.switchedOver() != null) {
      next.setSwitchover(patroni.switchedOver());
    }
    TransitionEvents.record(
        client, cluster, previous, next, clock.instant(), actions.switchovers());
    UpdateControl<PostgresCluster> control =
        next.equals(previous)
            ? UpdateControl.noUpdate()
            : UpdateControl.patchStatus(PostgresClusterReconciler.statusPatch(cluster, next));
    return retry == null ? control : control.rescheduleAfter(retry);
  }

  private ObservedCluster observe(StatefulSet statefulSet) {
    return ClusterObservation.of(
        cluster,
        statefulSet,
        pods,
        members,
        PostgresClusterReconciler.failedCreateEvents(context, cluster),
        clock.instant(),
        timings.rolloutBound());
  }

  /**
   * The status after the API server refused to create or change a child (a {@link
   * io.fabric8.kubernetes.client.KubernetesClientException} out of the workflow): Failed, or
   * Degraded while the cluster has a primary, with the API server's message. Null when the status
   * stored already says so.
   */
  PostgresClusterStatus refused(String message) {
    ObservedCluster observed =
        observe(PostgresClusterReconciler.statefulSet(context))
            .withProblem(RESOURCE_REJECTED, message);
    PostgresClusterStatus previous = cluster.getStatus();
    PostgresClusterStatus next =
        ClusterStatusCalculator.calculate(cluster, observed, clock.instant());
    TransitionEvents.record(
        client, cluster, previous, next, clock.instant(), actions.switchovers());
    return next.equals(previous) ? null : next;
  }

  /** How to log in to the members' Patroni, each reached with the scheme it serves. */
  private io.pgtrickle.operator.postgres.patroni.PatroniClient.Login patroniLogin() {
    return io.pgtrickle.operator.postgres.tls.ServedTls.patroniLogin(
        io.pgtrickle.operator.postgres.credentials.PatroniLogins.of(
            PostgresClusterReconciler.secretNamed(
                context, cluster, ClusterNames.appliedCredentialsSecret(cluster)),
            PostgresClusterReconciler.secretNamed(
                context, cluster, ClusterNames.replicationSecret(cluster))),
        cluster,
        members,
        this::secret);
  }

  /** A Secret of the cluster's namespace from the operator's cache, or null. */
  private io.fabric8.kubernetes.api.model.Secret secret(String name) {
    return PostgresClusterReconciler.secretNamed(context, cluster, name);
  }
}
