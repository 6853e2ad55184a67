package io.pgtrickle.operator.streams;

import static io.pgtrickle.operator.streams.StreamTableClusterNames.CDC_COMPONENT;
import static io.pgtrickle.operator.streams.StreamTableClusterNames.WORKER_COMPONENT;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.api.streams.StreamTableClusterPhase;
import io.pgtrickle.operator.api.streams.StreamTableClusterStatus;
import io.pgtrickle.operator.events.EventRecorder;
import io.pgtrickle.operator.status.PodBlocker;
import io.pgtrickle.operator.streams.db.CatalogObservation;
import io.pgtrickle.operator.streams.db.CatalogReader;
import io.pgtrickle.operator.streams.db.ReplicationCapacity;
import io.pgtrickle.operator.streams.dependent.WorkloadsAllowed;
import io.pgtrickle.operator.streams.spec.OtlpExport;
import io.pgtrickle.operator.streams.spec.PipelineImages;
import io.pgtrickle.operator.streams.spec.PipelineSettings;
import io.pgtrickle.operator.streams.status.ObservedPipeline;
import io.pgtrickle.operator.streams.status.ObservedPipeline.Autoscaling;
import io.pgtrickle.operator.streams.status.PipelineEvents;
import io.pgtrickle.operator.streams.status.PipelineStatusCalculator;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reconcile of one pipeline: reach the database, make sure the change log exists, apply the
 * children, decommission slots of consumers scaled away, ServiceMonitors, then observe (children,
 * HPA, catalog) and report. Looks again every {@value #POLL_SECONDS} s: the catalog (stream tables
 * created with SQL) and the lag change without any Kubernetes event.
 */
final class PipelineReconciliation {

  static final long POLL_SECONDS = 10;
  private static final Duration POLL = Duration.ofSeconds(POLL_SECONDS);
  private static final Duration SOON = Duration.ofSeconds(3);
  private static final Duration PROBLEM_RETRY = Duration.ofSeconds(30);
  private static final Logger LOG = LoggerFactory.getLogger(PipelineReconciliation.class);

  private final StreamTableCluster stc;
  private final Context<StreamTableCluster> context;
  private final KubernetesClient client;
  private final ChangeLogs changeLogs;
  private final PipelineEventMemory eventMemory;
  private final Clock clock;
  private final PipelineSettings settings;

  PipelineReconciliation(
      StreamTableCluster stc,
      Context<StreamTableCluster> context,
      ChangeLogs changeLogs,
      PipelineEventMemory eventMemory,
      Clock clock) {
    this.stc = stc;
    this.context = context;
    this.client = context.getClient();
    this.changeLogs = changeLogs;
    this.eventMemory = eventMemory;
    this.clock = clock;
    this.settings = PipelineSettings.of(stc, PipelineImages.OPERATOR);
  }

  UpdateControl<StreamTableCluster> run() {
    var holder = DatabaseClaims.heldBy(stc, context.getPrimaryCache().list().toList());
    if (holder.isPresent()) {
      return refused(DatabaseClaims.message(holder.get()));
    }
    DatabaseAccess access = DatabaseAccess.resolve(client, settings);
    String problemReason = access.problemReason();
    String problemMessage = access.problemMessage();

    // The change log, before any consumer starts.
    ChangeLogs.Problem changeLogProblem;
    if (access.endpoint() == null
        && settings.backend() == io.pgtrickle.operator.api.streams.CdcSpec.LogBackend.POSTGRES) {
      changeLogProblem =
          new ChangeLogs.Problem(
              io.pgtrickle.operator.streams.changelog.ChangeLogLifecycle.ChangeLogException
                  .UNAVAILABLE,
              "waiting for the database: " + problemMessage);
    } else {
      changeLogProblem =
          changeLogs.ensure(
              stc.getMetadata().getUid(), settings.changeLog(), access.endpoint(), clock.instant());
    }
    boolean changeLogReady = changeLogProblem == null;
    String changeLogShortfall =
        changeLogReady ? changeLogs.shortfall(stc.getMetadata().getUid()) : null;

    // The catalog and the slots, from the database itself.
    CatalogObservation catalog = null;
    ReplicationCapacity.Shortfall capacity = null;
    boolean needsUser = access.needsUser();
    if (access.endpoint() != null) {
      try (Connection c = access.endpoint().connect()) {
        if (changeLogReady) {
          var cached = context.getPrimaryCache().list().toList();
          Optional<String> refusal =
              DatabaseHolder.claim(
                  c,
                  stc,
                  recorded ->
                      Optional.of(LiveHolder.find(client, cached, recorded))
                          .filter(LiveHolder::holds)
                          .map(found -> found.refusal(stc, recorded)));
          if (refusal.isPresent()) {
            return refused(refusal.get());
          }
        }
        String prefix = StreamTableClusterNames.slotPrefix(settings.name());
        catalog = CatalogReader.read(c, prefix);
        var shortfall =
            ReplicationCapacity.read(c, prefix).shortfall(wantedSlots(), raiseSettings());
        if (shortfall.isPresent() && problemReason == null) {
          if (shortfall.get().runnable() == 0) {
            // No consumer can run: only the user can change that.
            problemReason = shortfall.get().reason();
            problemMessage = shortfall.get().message();
            needsUser = true;
          } else {
            // Some can (a scale-up short of slots): they keep running, the status names it.
            capacity = shortfall.get();
          }
        }
      } catch (SQLException e) {
        problemReason = "DatabaseUnreachable";
        problemMessage =
            "cannot read the pgtrickle catalog at " + access.endpoint() + ": " + e.getMessage();
        LOG.debug("{}", problemMessage);
      }
    }

    OtlpExport.HeadersProblem headers = PipelineSecrets.observe(client, settings, context);

    StatefulSet sts = context.getSecondaryResource(StatefulSet.class).orElse(null);
    int slotOrdinals = slotOrdinals(sts);
    Decommissioning.Outcome decommission =
        Decommissioning.step(client, stc, settings, settings.cdcReplicas(), slotOrdinals);
    // Slots dropped this round: the Jobs go in a round that reads the forgotten ordinals back.
    boolean forgetting = decommission.done() && slotOrdinals > settings.cdcReplicas();
    if (forgetting) {
      EventRecorder.normal(
          client,
          stc,
          "SlotsDropped",
          Decommissioning.droppedMessage(
              stc.getMetadata().getName(), settings.cdcReplicas(), slotOrdinals));
      slotOrdinals = settings.cdcReplicas();
    }

    boolean workloadsAllowed = changeLogReady || sts != null;
    context
        .managedWorkflowAndDependentResourceContext()
        .put(WorkloadsAllowed.KEY, workloadsAllowed);
    context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();

    var monitoring =
        PipelineSecrets.monitoring(
            ServiceMonitors.reconcile(client, stc, settings), settings.otlp(), headers);
    Autoscaling keda = KedaScaledObjects.reconcile(client, stc, settings, workloadsAllowed);

    sts = context.getSecondaryResource(StatefulSet.class).orElse(null);
    Deployment workers = context.getSecondaryResource(Deployment.class).orElse(null);
    ObservedPipeline observed =
        new ObservedPipeline(
            problemReason,
            problemMessage,
            needsUser,
            changeLogReady,
            !changeLogReady
                ? changeLogProblem.message()
                : changeLogShortfall != null
                    ? settings.changeLog().describe() + ": " + changeLogShortfall
                    : settings.changeLog().describe(),
            settings.cdcReplicas(),
            sts == null || sts.getStatus() == null
                ? 0
                : Objects.requireNonNullElse(sts.getStatus().getReadyReplicas(), 0),
            sts != null,
            workers == null || workers.getSpec().getReplicas() == null
                ? settings.workersMin()
                : workers.getSpec().getReplicas(),
            workers == null || workers.getStatus() == null
                ? 0
                : Objects.requireNonNullElse(workers.getStatus().getReadyReplicas(), 0),
            workers != null,
            keda != null ? keda : HpaAutoscaling.observe(client, context, settings),
            monitoring,
            catalog,
            decommission.done() ? null : decommission.progress(),
            decommission.failure(),
            slotOrdinals);
    if (sts != null || workers != null) {
      observed = observed.withBlockers(blockers(CDC_COMPONENT), blockers(WORKER_COMPONENT));
    }
    if (capacity != null) {
      observed = observed.withCapacity(capacity);
    }
    if (!changeLogReady) {
      observed = observed.withChangeLogReason(changeLogProblem.reason());
    } else if (changeLogShortfall != null) {
      observed = observed.withChangeLogReason(ObservedPipeline.CHANGE_LOG_UNDER_REPLICATED);
    }
    StreamTableClusterStatus previous = stc.getStatus();
    StreamTableClusterStatus next =
        PipelineStatusCalculator.calculate(stc, observed, clock.instant());
    recordTransitions(previous, next, observed);
    UpdateControl<StreamTableCluster> control =
        next.equals(previous)
            ? UpdateControl.noUpdate()
            : UpdateControl.patchStatus(StreamTableClusterReconciler.statusPatch(stc, next));
    Duration retry =
        needsUser || next.getPhase() == StreamTableClusterPhase.Failed
            ? PROBLEM_RETRY
            : !decommission.done()
                    || forgetting
                    || next.getPhase() != StreamTableClusterPhase.Running
                ? SOON
                : POLL;
    return control.rescheduleAfter(retry);
  }

  /**
   * Another StreamTableCluster holds the database ({@link DatabaseClaims}): nothing is made, the
   * status says which one; looked at again every {@link #PROBLEM_RETRY} (that one may be deleted).
   */
  private UpdateControl<StreamTableCluster> refused(String why) {
    ObservedPipeline observed =
        new ObservedPipeline(
            DatabaseClaims.REASON,
            why,
            true,
            false,
            "not created: " + why,
            settings.cdcReplicas(),
            0,
            false,
            settings.workersMin(),
            0,
            false,
            new Autoscaling(false, DatabaseClaims.REASON, "no workers to scale"),
            null,
            null,
            null,
            null,
            stc.getStatus() == null || stc.getStatus().getSlotOrdinals() == null
                ? 0
                : stc.getStatus().getSlotOrdinals());
    StreamTableClusterStatus previous = stc.getStatus();
    StreamTableClusterStatus next =
        PipelineStatusCalculator.calculate(stc, observed, clock.instant());
    if (previous == null || !DatabaseClaims.REASON.equals(previous.getPhaseReason())) {
      EventRecorder.warning(client, stc, DatabaseClaims.REASON, why);
    }
    eventMemory.put(
        stc.getMetadata().getUid(), new PipelineEvents.Memory(next.getPhase(), true, null, null));
    UpdateControl<StreamTableCluster> control =
        next.equals(previous)
            ? UpdateControl.noUpdate()
            : UpdateControl.patchStatus(StreamTableClusterReconciler.statusPatch(stc, next));
    return control.rescheduleAfter(PROBLEM_RETRY);
  }

  /** Ordinals whose slot may exist: the most consumers ever run, as far as status and spec say. */
  private int slotOrdinals(StatefulSet sts) {
    int known =
        stc.getStatus() == null || stc.getStatus().getSlotOrdinals() == null
            ? 0
            : stc.getStatus().getSlotOrdinals();
    int running =
        sts == null || sts.getSpec().getReplicas() == null ? 0 : sts.getSpec().getReplicas();
    return Math.max(known, Math.max(running, settings.cdcReplicas()));
  }

  /**
   * The slots of the consumers {@code spec.cdc.replicas} asks for, which {@link
   * ReplicationCapacity} must find room for.
   */
  private List<String> wantedSlots() {
    return IntStream.range(0, settings.cdcReplicas())
        .mapToObj(i -> StreamTableClusterNames.slot(settings.name(), i))
        .toList();
  }

  /** Where the user raises max_replication_slots and max_wal_senders of the pipeline's server. */
  private String raiseSettings() {
    return settings.clusterRef() != null
        ? "in spec.postgresqlParams of PostgresCluster "
            + settings.clusterRef()
            + " (default 10 + its spec.replicas; its members restart one at a time to apply them)"
        : "on the server " + settings.dbHost() + " (PostgreSQL restarts to apply them)";
  }

  /**
   * Why the pipeline's pods of one component do not come up, by pod name, from the API server
   * (polled with the rest: a pipeline not Running is looked at every few seconds).
   */
  private List<PodBlocker> blockers(String component) {
    List<Pod> pods =
        client
            .pods()
            .inNamespace(stc.getMetadata().getNamespace())
            .withLabels(StreamTableClusterNames.podSelector(settings.name(), component))
            .list()
            .getItems()
            .stream()
            .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
            .toList();
    return PodBlocker.of(pods, clock.instant());
  }

  /**
   * Events: the phase's ({@link PipelineEvents}: a pod's trouble once per episode, Failed at once,
   * Degraded only once it has lasted, PipelineReady when it runs again after a warned episode), the
   * change log's readiness and the workers' scaling.
   */
  private void recordTransitions(
      StreamTableClusterStatus previous, StreamTableClusterStatus next, ObservedPipeline observed) {
    String uid = stc.getMetadata().getUid();
    PipelineEvents.Memory memoryBefore = eventMemory.get(uid);
    PipelineEvents.Decision decision =
        PipelineEvents.decide(
            memoryBefore,
            previous,
            next,
            observed.blockerReason(next.getPhaseReason()),
            clock.instant());
    List<PipelineEvents.Event> events = new ArrayList<>(decision.events());
    events.addAll(PipelineEvents.streamTables(previous, next));
    events.addAll(PipelineEvents.changeLogCopies(previous, next));
    for (PipelineEvents.Event e : events) {
      if (e.warning()) {
        EventRecorder.warning(client, stc, e.reason(), e.message());
      } else {
        EventRecorder.normal(client, stc, e.reason(), e.message());
      }
    }
    eventMemory.put(uid, decision.memory());
    if (PipelineEvents.changeLogOpened(memoryBefore, previous, next, clock.instant())) {
      EventRecorder.normal(
          client, stc, "ChangeLogReady", "Change log ready: " + settings.changeLog().describe());
    }
    Integer workersBefore = previous == null ? null : previous.getDesiredWorkers();
    if (workersBefore != null && !workersBefore.equals(next.getDesiredWorkers())) {
      EventRecorder.normal(
          client,
          stc,
          "WorkersScaled",
          "Workers scaled from " + workersBefore + " to " + next.getDesiredWorkers());
    }
  }
}
