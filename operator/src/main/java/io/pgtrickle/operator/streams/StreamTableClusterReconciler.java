package io.pgtrickle.operator.streams;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.api.streams.StreamTableClusterStatus;
import io.pgtrickle.operator.streams.dependent.AutoscalerIsHpa;
import io.pgtrickle.operator.streams.dependent.CdcServiceAccountDependent;
import io.pgtrickle.operator.streams.dependent.CdcServiceDependent;
import io.pgtrickle.operator.streams.dependent.CdcStatefulSetDependent;
import io.pgtrickle.operator.streams.dependent.WorkerAutoscalerDependent;
import io.pgtrickle.operator.streams.dependent.WorkerDeploymentDependent;
import io.pgtrickle.operator.streams.dependent.WorkerServiceAccountDependent;
import io.pgtrickle.operator.streams.dependent.WorkerServiceDependent;
import io.pgtrickle.operator.streams.dependent.WorkloadsAllowed;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reconciles a {@link StreamTableCluster}: the database and the change log first, then the children
 * (managed workflow, explicit invocation, server-side apply), slot decommissions, ServiceMonitors,
 * and a status built from the children and the database's catalog ({@link PipelineReconciliation}).
 * Deletion stops the consumers, drops their slots and removes the change log ({@link
 * PipelineDeletion}); the database's stream tables stay.
 */
@Workflow(
    explicitInvocation = true,
    dependents = {
      @Dependent(name = "cdc-service-account", type = CdcServiceAccountDependent.class),
      @Dependent(
          name = "worker-service-account",
          type = WorkerServiceAccountDependent.class,
          useEventSourceWithName = "cdc-service-account"),
      @Dependent(name = "cdc-service", type = CdcServiceDependent.class),
      @Dependent(
          name = "worker-service",
          type = WorkerServiceDependent.class,
          useEventSourceWithName = "cdc-service"),
      @Dependent(
          name = "cdc-statefulset",
          type = CdcStatefulSetDependent.class,
          dependsOn = {"cdc-service-account", "cdc-service"},
          reconcilePrecondition = WorkloadsAllowed.class),
      @Dependent(
          name = "worker-deployment",
          type = WorkerDeploymentDependent.class,
          dependsOn = {"worker-service-account"},
          reconcilePrecondition = WorkloadsAllowed.class),
      @Dependent(
          name = "worker-autoscaler",
          type = WorkerAutoscalerDependent.class,
          dependsOn = {"worker-deployment"},
          reconcilePrecondition = AutoscalerIsHpa.class),
    })
@ControllerConfiguration(
    name = StreamTableClusterReconciler.NAME,
    finalizerName = StreamTableClusterNames.FINALIZER)
public class StreamTableClusterReconciler
    implements Reconciler<StreamTableCluster>, Cleaner<StreamTableCluster> {

  /** The controller's name, and the field manager of everything it applies. */
  public static final String NAME = "streamtablecluster";

  static final String CLUSTER_REF_INDEX = "clusterRef";
  static final String CLUSTERS_EVENT_SOURCE = "postgresclusters";

  private final Clock clock;
  private final ChangeLogs changeLogs = new ChangeLogs();
  private final PipelineEventMemory eventMemory = new PipelineEventMemory();

  public StreamTableClusterReconciler() {
    this(Clock.systemUTC());
  }

  StreamTableClusterReconciler(Clock clock) {
    this.clock = clock;
  }

  /**
   * The PostgresClusters that StreamTableClusters refer to: a failover, a new primary or the
   * cluster's deletion wakes the pipelines on it at once instead of at their next poll.
   */
  @Override
  public List<EventSource<?, StreamTableCluster>> prepareEventSources(
      EventSourceContext<StreamTableCluster> context) {
    context
        .getPrimaryCache()
        .addIndexer(
            CLUSTER_REF_INDEX,
            stc -> {
              var pg = stc.getSpec() == null ? null : stc.getSpec().getPostgresql();
              return pg == null || pg.getClusterRef() == null
                  ? List.of()
                  : List.of(
                      clusterKey(stc.getMetadata().getNamespace(), pg.getClusterRef().getName()));
            });
    var clusters =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(PostgresCluster.class, StreamTableCluster.class)
                .withName(CLUSTERS_EVENT_SOURCE)
                .withSecondaryToPrimaryMapper(
                    (PostgresCluster pgc) ->
                        context
                            .getPrimaryCache()
                            .byIndex(
                                CLUSTER_REF_INDEX,
                                clusterKey(
                                    pgc.getMetadata().getNamespace(), pgc.getMetadata().getName()))
                            .stream()
                            .map(ResourceID::fromResource)
                            .collect(Collectors.toSet()))
                .withPrimaryToSecondaryMapper(
                    (StreamTableCluster stc) -> {
                      var pg = stc.getSpec().getPostgresql();
                      return pg == null || pg.getClusterRef() == null
                          ? Set.of()
                          : Set.of(
                              new ResourceID(
                                  pg.getClusterRef().getName(), stc.getMetadata().getNamespace()));
                    })
                .build(),
            context);
    return List.of(clusters);
  }

  private static String clusterKey(String namespace, String name) {
    return namespace + "/" + name;
  }

  @Override
  public UpdateControl<StreamTableCluster> reconcile(
      StreamTableCluster stc, Context<StreamTableCluster> context) {
    return new PipelineReconciliation(stc, context, changeLogs, eventMemory, clock).run();
  }

  @Override
  public DeleteControl cleanup(StreamTableCluster stc, Context<StreamTableCluster> context) {
    eventMemory.forget(stc.getMetadata().getUid());
    return new PipelineDeletion(stc, context, changeLogs, clock).run();
  }

  /**
   * A fresh object carrying only identity and status: with server-side apply the operator then owns
   * exactly the status fields and never touches the spec.
   */
  static StreamTableCluster statusPatch(StreamTableCluster stc, StreamTableClusterStatus status) {
    StreamTableCluster patch = new StreamTableCluster();
    patch.setMetadata(
        new ObjectMetaBuilder()
            .withName(stc.getMetadata().getName())
            .withNamespace(stc.getMetadata().getNamespace())
            .build());
    patch.setStatus(status);
    return patch;
  }
}
