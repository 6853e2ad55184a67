package io.pgtrickle.operator.postgres;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.OperatorException;
import io.javaoperatorsdk.operator.api.config.informer.FieldSelector;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.retry.GradualRetry;
import io.pgtrickle.operator.ApiServerFeatures;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.PostgresClusterStatus;
import io.pgtrickle.operator.postgres.credentials.KeptSecrets;
import io.pgtrickle.operator.postgres.dependent.CipherSecretDependent;
import io.pgtrickle.operator.postgres.dependent.CredentialsSecretDependent;
import io.pgtrickle.operator.postgres.dependent.ExporterConfigMapDependent;
import io.pgtrickle.operator.postgres.dependent.HeadlessServiceDependent;
import io.pgtrickle.operator.postgres.dependent.MetricsEnabled;
import io.pgtrickle.operator.postgres.dependent.MonitoringSecretDependent;
import io.pgtrickle.operator.postgres.dependent.PatroniConfigMapDependent;
import io.pgtrickle.operator.postgres.dependent.PodDisruptionBudgetDependent;
import io.pgtrickle.operator.postgres.dependent.PoolerConfigMapDependent;
import io.pgtrickle.operator.postgres.dependent.PoolerEnabled;
import io.pgtrickle.operator.postgres.dependent.PoolerSecretDependent;
import io.pgtrickle.operator.postgres.dependent.PoolerServiceDependent;
import io.pgtrickle.operator.postgres.dependent.PostgresqlConfigMapDependent;
import io.pgtrickle.operator.postgres.dependent.PrimaryServiceDependent;
import io.pgtrickle.operator.postgres.dependent.ReplicaServiceDependent;
import io.pgtrickle.operator.postgres.dependent.ReplicationSecretDependent;
import io.pgtrickle.operator.postgres.dependent.RoleBindingDependent;
import io.pgtrickle.operator.postgres.dependent.RoleDependent;
import io.pgtrickle.operator.postgres.dependent.ScheduledBackupDependent;
import io.pgtrickle.operator.postgres.dependent.ServiceAccountDependent;
import io.pgtrickle.operator.postgres.dependent.StatefulSetDependent;
import io.pgtrickle.operator.postgres.patroni.PatroniClient;
import io.pgtrickle.operator.postgres.status.ClusterStatusCalculator;
import io.pgtrickle.operator.postgres.status.ObservedCluster;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles a {@link PostgresCluster}: validate, apply the children (managed workflow of dependent
 * resources, server-side apply), roll pods forward one step, push Patroni's dynamic configuration,
 * then derive the status and patch it only when it changed.
 */
@Workflow(
    explicitInvocation = true,
    dependents = {
      @Dependent(name = "service-account", type = ServiceAccountDependent.class),
      @Dependent(name = "role", type = RoleDependent.class),
      // The API server checks a RoleBinding against its Role: bind only once the Role exists.
      @Dependent(
          name = "role-binding",
          type = RoleBindingDependent.class,
          dependsOn = {"role", "service-account"}),
      @Dependent(name = "credentials", type = CredentialsSecretDependent.class),
      @Dependent(
          name = "replication",
          type = ReplicationSecretDependent.class,
          useEventSourceWithName = "credentials"),
      @Dependent(name = "postgresql-config", type = PostgresqlConfigMapDependent.class),
      @Dependent(
          name = "patroni-config",
          type = PatroniConfigMapDependent.class,
          useEventSourceWithName = "postgresql-config"),
      @Dependent(name = "primary-service", type = PrimaryServiceDependent.class),
      @Dependent(
          name = "replica-service",
          type = ReplicaServiceDependent.class,
          useEventSourceWithName = "primary-service"),
      @Dependent(
          name = "headless-service",
          type = HeadlessServiceDependent.class,
          useEventSourceWithName = "primary-service"),
      @Dependent(
          name = "statefulset",
          type = StatefulSetDependent.class,
          dependsOn = {
            "service-account",
            "role-binding",
            "credentials",
            "replication",
            "patroni-config",
            "headless-service"
          }),
      @Dependent(name = "pdb", type = PodDisruptionBudgetDependent.class),
      // Pooler and exporter (issue #17): present while enabled, removed when turned off.
      @Dependent(
          name = "pooler-config",
          type = PoolerConfigMapDependent.class,
          useEventSourceWithName = "postgresql-config",
          reconcilePrecondition = PoolerEnabled.class),
      @Dependent(
          name = "pooler-secret",
          type = PoolerSecretDependent.class,
          useEventSourceWithName = "credentials",
          reconcilePrecondition = PoolerEnabled.class),
      @Dependent(
          name = "pooler-service",
          type = PoolerServiceDependent.class,
          useEventSourceWithName = "primary-service",
          reconcilePrecondition = PoolerEnabled.class),
      @Dependent(
          name = "exporter-config",
          type = ExporterConfigMapDependent.class,
          useEventSourceWithName = "postgresql-config",
          reconcilePrecondition = MetricsEnabled.class),
      @Dependent(
          name = "monitoring-secret",
          type = MonitoringSecretDependent.class,
          useEventSourceWithName = "credentials",
          reconcilePrecondition = MetricsEnabled.class),
      // The repository's passphrase, generated when missing; kept when the cluster goes.
      @Dependent(
          name = "backup-cipher",
          type = CipherSecretDependent.class,
          useEventSourceWithName = "credentials",
          reconcilePrecondition = CipherSecretDependent.Needed.class),
      @Dependent(
          name = "scheduled-backup",
          type = ScheduledBackupDependent.class,
          reconcilePrecondition = ScheduledBackupDependent.Wanted.class),
    })
// Not generation-aware: the switchover annotation changes metadata only, and must still wake the
// reconciler. The status is patched only when it changed, so this costs one idle reconcile per
// status change.
//
// Failed reconciles are retried without a limit, at most a minute apart: a child the API server
// refused (quota, policy) or an API server that is away must not leave a cluster unreconciled
// until its next change.
@ControllerConfiguration(
    name = PostgresClusterReconciler.NAME,
    generationAwareEventProcessing = false)
@GradualRetry(maxAttempts = -1, maxInterval = 60_000)
public class PostgresClusterReconciler
    implements Reconciler<PostgresCluster>, Cleaner<PostgresCluster> {

  public static final String NAME = "postgrescluster";
  private static final Logger LOG = LoggerFactory.getLogger(PostgresClusterReconciler.class);
  static final String PODS_EVENT_SOURCE = "pods";
  static final String FAILED_CREATE_EVENT_SOURCE = "failed-create-events";

  /**
   * After showing Deleting: the status event normally starts the second round at once; this is the
   * fallback.
   */
  private static final java.time.Duration DELETING_SHOWN = java.time.Duration.ofSeconds(1);

  /**
   * How often the primary's archiver ({@code pg_stat_archiver}, which changes without an event) is
   * read for a cluster with {@code spec.backup}: the ContinuousArchiving condition is at most this
   * old.
   */
  public static final java.time.Duration ARCHIVING_CHECK = java.time.Duration.ofSeconds(60);

  private final Clock clock;
  private final ApiServerFeatures features;
  private final ClusterActions actions;
  private final ClusterTimings timings;

  public PostgresClusterReconciler(ApiServerFeatures features) {
    this(features, ClusterTimings.DEFAULT);
  }

  /**
   * @param timings how long to wait for what sends no event ({@link ClusterTimings#DEFAULT} in the
   *     operator; the test bed's operators wait less)
   */
  public PostgresClusterReconciler(ApiServerFeatures features, ClusterTimings timings) {
    this(Clock.systemUTC(), features, new ClusterActions(new PatroniClient()), timings);
  }

  PostgresClusterReconciler(
      Clock clock, ApiServerFeatures features, ClusterActions actions, ClusterTimings timings) {
    this.clock = clock;
    this.features = features;
    this.actions = actions;
    this.timings = timings;
  }

  /**
   * The cluster's pods, found by the cluster label (their owner is the StatefulSet), and the
   * StatefulSet controller's FailedCreate Events, the only place it says that it cannot create a
   * pod (mapped to the cluster of the same name), and the StreamTableClusters on the cluster
   * ({@link ClusterPipelines}: their slots go into Patroni's {@code ignore_slots}), and Patroni's
   * dynamic configuration ({@link PatroniDcs}: changed behind the operator's back, it is put back).
   */
  @Override
  public List<EventSource<?, PostgresCluster>> prepareEventSources(
      EventSourceContext<PostgresCluster> context) {
    var pods =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Pod.class, PostgresCluster.class)
                .withName(PODS_EVENT_SOURCE)
                .withLabelSelector(ClusterNames.MANAGED_SELECTOR)
                .withSecondaryToPrimaryMapper(
                    pod ->
                        pod.getMetadata().getLabels() == null
                                || !pod.getMetadata()
                                    .getLabels()
                                    .containsKey(ClusterNames.CLUSTER_LABEL)
                            ? Set.of()
                            : Set.of(
                                new ResourceID(
                                    pod.getMetadata().getLabels().get(ClusterNames.CLUSTER_LABEL),
                                    pod.getMetadata().getNamespace())))
                .build(),
            context);
    var failedCreates =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Event.class, PostgresCluster.class)
                .withName(FAILED_CREATE_EVENT_SOURCE)
                .withFieldSelector(
                    new FieldSelector(
                        new FieldSelector.Field("involvedObject.kind", "StatefulSet"),
                        new FieldSelector.Field("reason", "FailedCreate")))
                .withSecondaryToPrimaryMapper(
                    event ->
                        Set.of(
                            new ResourceID(
                                event.getInvolvedObject().getName(),
                                event.getMetadata().getNamespace())))
                .build(),
            context);
    return List.of(
        pods,
        failedCreates,
        ClusterPipelines.eventSource(context),
        PatroniDcs.eventSource(context));
  }

  /** FailedCreate Events of StatefulSets in the cluster's namespace, from the informer cache. */
  @SuppressWarnings("unchecked")
  static List<Event> failedCreateEvents(Context<PostgresCluster> context, PostgresCluster cluster) {
    var source =
        (InformerEventSource<Event, PostgresCluster>)
            context
                .eventSourceRetriever()
                .getEventSourceFor(Event.class, FAILED_CREATE_EVENT_SOURCE);
    return source
        .list(
            cluster.getMetadata().getNamespace(),
            e ->
                e.getInvolvedObject() != null
                    && ClusterNames.statefulSet(cluster).equals(e.getInvolvedObject().getName()))
        .toList();
  }

  /**
   * A reconcile failed. When the API server refused a child (invalid, forbidden by RBAC, quota or a
   * policy), the status says so with the API server's message, rather than the cluster staying in
   * its last phase; everything else is retried with back-off without touching the status. JOSDK
   * keeps retrying in both cases ({@link GradualRetry} without a limit), so a cluster recovers once
   * the cause is fixed.
   */
  @Override
  public ErrorStatusUpdateControl<PostgresCluster> updateErrorStatus(
      PostgresCluster cluster, Context<PostgresCluster> context, Exception e) {
    Optional<String> refusal = ApiRefusal.in(e);
    if (refusal.isEmpty()) {
      return ErrorStatusUpdateControl.defaultErrorProcessing();
    }
    LOG.warn(
        "the API server refused a child of {}/{}: {}",
        cluster.getMetadata().getNamespace(),
        cluster.getMetadata().getName(),
        refusal.get());
    PostgresClusterStatus status =
        new ClusterReconciliation(cluster, context, features, actions, clock, timings)
            .refused(refusal.get());
    return status == null
        ? ErrorStatusUpdateControl.defaultErrorProcessing()
        : ErrorStatusUpdateControl.patchStatus(statusPatch(cluster, status));
  }

  @Override
  public UpdateControl<PostgresCluster> reconcile(
      PostgresCluster cluster, Context<PostgresCluster> context) {
    ClusterReconciliation round =
        new ClusterReconciliation(cluster, context, features, actions, clock, timings);
    return round.run();
  }

  /**
   * Deletion in two rounds. The first shows phase {@code Deleting} and stops there; the status
   * patch wakes the controller again, and the next rounds, working on the cluster as it is after
   * that patch, stop the members, remove Patroni's state once they stopped ({@link
   * DeletedClusterState}) and let the finalizer go.
   *
   * <p>Why not both at once: JOSDK removes the finalizer with a JSON patch computed against the
   * cluster the round started from, carrying its resourceVersion. A status patch in the same round
   * makes that version stale (409), and JOSDK's retries then diff the stale cluster against the
   * fresh one: a status field that the Deleting status no longer has (e.g. {@code primaryPod})
   * becomes a "remove" of a key that is already gone (422), ten times, logged as "Exceeded maximum
   * (10) retry attempts to patch resource" (issue #18).
   */
  @Override
  public DeleteControl cleanup(PostgresCluster cluster, Context<PostgresCluster> context) {
    KubernetesClient client = context.getClient();
    actions.forget(cluster);
    io.pgtrickle.operator.backup.ArchiverProbe.forget(cluster);
    if (cluster.getStatus() == null || cluster.getStatus().getPhase() != ClusterPhase.Deleting) {
      PostgresClusterStatus deleting =
          ClusterStatusCalculator.calculate(
              cluster, ObservedCluster.nothing().asDeleting(), clock.instant());
      try {
        PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource(
            cluster, statusPatch(cluster, deleting), context);
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(DELETING_SHOWN);
      } catch (KubernetesClientException | OperatorException e) {
        // Showing Deleting is a courtesy; it must never hold up the deletion itself (for
        // example while the namespace is being deleted too).
        LOG.debug(
            "could not show phase Deleting for {}: {}",
            cluster.getMetadata().getName(),
            e.getMessage());
      }
    }
    // Patroni's state goes once the members stopped (DeletedClusterState), so that a cluster
    // created again under this name bootstraps instead of joining a ghost.
    Optional<java.time.Duration> membersStopping =
        DeletedClusterState.remove(client, cluster, clock.instant());
    if (membersStopping.isPresent()) {
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(membersStopping.get());
    }
    // The volumes stay (reclaimPolicy Retain): the Secrets whose passwords they know stay too.
    KeptSecrets.keep(client, cluster);
    return DeleteControl.defaultDelete();
  }

  /**
   * A fresh object carrying only identity and status: with server-side apply the operator then owns
   * exactly the status fields and never touches the spec.
   */
  static PostgresCluster statusPatch(PostgresCluster cluster, PostgresClusterStatus status) {
    PostgresCluster patch = new PostgresCluster();
    patch.setMetadata(
        new ObjectMetaBuilder()
            .withName(cluster.getMetadata().getName())
            .withNamespace(cluster.getMetadata().getNamespace())
            .build());
    patch.setStatus(status);
    return patch;
  }

  /** A Secret from the credentials informer's cache, by name (it may be the user's own). */
  public static Secret secretNamed(
      Context<PostgresCluster> context, PostgresCluster cluster, String name) {
    var source = context.eventSourceRetriever().getEventSourceFor(Secret.class, "credentials");
    return ((InformerEventSource<Secret, PostgresCluster>) source)
        .get(new ResourceID(name, cluster.getMetadata().getNamespace()))
        .orElse(null);
  }

  /** The Secrets of the cluster's namespace kept by an earlier cluster of its name. */
  static java.util.List<Secret> keptSecrets(
      Context<PostgresCluster> context, PostgresCluster cluster) {
    var source = context.eventSourceRetriever().getEventSourceFor(Secret.class, "credentials");
    return ((InformerEventSource<Secret, PostgresCluster>) source)
        .list(
            cluster.getMetadata().getNamespace(),
            s ->
                s.getMetadata().getAnnotations() != null
                    && cluster
                        .getMetadata()
                        .getName()
                        .equals(s.getMetadata().getAnnotations().get(KeptSecrets.ANNOTATION)))
        .toList();
  }

  static StatefulSet statefulSet(Context<PostgresCluster> context) {
    return context.getSecondaryResource(StatefulSet.class).orElse(null);
  }
}
