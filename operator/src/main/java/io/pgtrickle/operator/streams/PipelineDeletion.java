package io.pgtrickle.operator.streams;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.OperatorException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.pgtrickle.operator.api.ReclaimPolicy;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.api.streams.StreamTableClusterPhase;
import io.pgtrickle.operator.api.streams.StreamTableClusterStatus;
import io.pgtrickle.operator.events.EventRecorder;
import io.pgtrickle.operator.streams.changelog.ChangeLogLifecycle;
import io.pgtrickle.operator.streams.changelog.ChangeLogLifecycle.ChangeLogException;
import io.pgtrickle.operator.streams.db.SlotSweep;
import io.pgtrickle.operator.streams.spec.CdcStatefulSet;
import io.pgtrickle.operator.streams.spec.PipelineImages;
import io.pgtrickle.operator.streams.spec.PipelineSettings;
import io.pgtrickle.operator.streams.spec.WorkerDeployment;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deleting a pipeline, in rounds until done (the finalizer holds the resource meanwhile):
 *
 * <ol>
 *   <li>show phase Deleting (alone in its round: a status patch and the finalizer's removal in one
 *       round would race, see PostgresClusterReconciler#cleanup);
 *   <li>stop the workers (HPA deleted, Deployment scaled to 0) and the CDC consumers (StatefulSet
 *       scaled to 0; each publishes what it read and confirms it);
 *   <li>once no consumer pod is left, drop every consumer's replication slot (decommission Jobs),
 *       unless the PostgresCluster itself is gone or being deleted (its slots go with it); then
 *       drop, from the operator, any of its slots still there ({@link SlotSweep}: a Job that could
 *       not run, a namespace being deleted that refuses new Jobs);
 *   <li>remove the change log, unless {@code cdc.logReclaimPolicy: Retain} or another
 *       StreamTableCluster names the same database ({@link DatabaseClaims}: then it goes on with
 *       this change log; one refused for that database removes nothing but its own slots);
 *   <li>let the resource go: the garbage collector removes the children. The stream tables and the
 *       pgtrickle catalog in the database stay.
 * </ol>
 *
 * A step that keeps failing (a decommission Job failed for good, the change log unreachable for
 * {@value #GIVE_UP_MINUTES} minutes) is reported as a Warning Event saying what is left behind, and
 * the deletion goes on: a deletion must not hang forever on an unreachable server.
 */
final class PipelineDeletion {

  static final long GIVE_UP_MINUTES = 5;
  private static final Duration SOON = Duration.ofSeconds(2);
  private static final Logger LOG = LoggerFactory.getLogger(PipelineDeletion.class);

  /** When removing a pipeline's change log first failed, by uid. */
  private static final Map<String, Instant> FAILING_SINCE = new ConcurrentHashMap<>();

  /**
   * Pipelines (by uid) whose slots are dropped: later rounds (the change log's removal retried)
   * start no new decommission Jobs. In memory: after an operator restart one more round runs them.
   */
  private static final Set<String> SLOTS_DONE = ConcurrentHashMap.newKeySet();

  private final StreamTableCluster stc;
  private final Context<StreamTableCluster> context;
  private final KubernetesClient client;
  private final ChangeLogs changeLogs;
  private final Clock clock;
  private final PipelineSettings settings;

  PipelineDeletion(
      StreamTableCluster stc,
      Context<StreamTableCluster> context,
      ChangeLogs changeLogs,
      Clock clock) {
    this.stc = stc;
    this.context = context;
    this.client = context.getClient();
    this.changeLogs = changeLogs;
    this.clock = clock;
    this.settings = PipelineSettings.of(stc, PipelineImages.OPERATOR);
  }

  /**
   * Another live StreamTableCluster the database records as its holder ({@link DatabaseHolder}), as
   * NAMESPACE/NAME; empty when this one holds it, nobody does, the holder is gone, or the change
   * log is not the PostgreSQL-tables backend.
   */
  private Optional<String> recordedHolder(DatabaseAccess access) {
    if (settings.changeLog().backend()
            != io.pgtrickle.operator.api.streams.CdcSpec.LogBackend.POSTGRES
        || access.endpoint() == null) {
      return Optional.empty();
    }
    try (java.sql.Connection c = access.endpoint().connect()) {
      var cached = context.getPrimaryCache().list().toList();
      return DatabaseHolder.holder(c)
          .filter(r -> !r.uid().equals(stc.getMetadata().getUid()))
          .filter(
              r -> {
                LiveHolder found = LiveHolder.find(client, cached, r);
                return found.forbidden() != null
                    || found.live() != null
                        && found.live().getMetadata().getDeletionTimestamp() == null;
              })
          .map(r -> r.namespace() + "/" + r.name() + " (uid " + r.uid() + ")");
    } catch (java.sql.SQLException e) {
      // Unreachable: the removal below fails the same way and is tried again.
      return Optional.empty();
    }
  }

  DeleteControl run() {
    if (stc.getStatus() == null || stc.getStatus().getPhase() != StreamTableClusterPhase.Deleting) {
      StreamTableClusterStatus deleting = copyOrNew(stc.getStatus());
      deleting.setPhase(StreamTableClusterPhase.Deleting);
      deleting.setPhaseReason("Deleting");
      deleting.setMessage(
          "stopping the CDC consumers and workers, dropping the replication slots"
              + (settings.logReclaimPolicy() == ReclaimPolicy.Retain
                  ? " (the change log is retained)"
                  : " and removing the change log"));
      try {
        PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource(
            stc, StreamTableClusterReconciler.statusPatch(stc, deleting), context);
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(Duration.ofSeconds(1));
      } catch (KubernetesClientException | OperatorException e) {
        LOG.debug("could not show phase Deleting: {}", e.getMessage());
      }
    }
    var sharedWith = DatabaseClaims.sharedWith(stc, context.getPrimaryCache().list().toList());
    DatabaseAccess early = DatabaseAccess.resolve(client, settings);
    Optional<String> recorded = recordedHolder(early);
    if ((sharedWith.isPresent()
            && DatabaseClaims.heldBy(stc, context.getPrimaryCache().list().toList()).isPresent())
        || recorded.isPresent()) {
      // Refused (DatabaseClaims, or DatabaseHolder: the database records another live pipeline):
      // the change log is the other pipeline's. Only slots named after this one can be its own
      // (none, unless it ran before the other one existed).
      stopWorkloads();
      DatabaseAccess access = early;
      if (recorded.isPresent()) {
        EventRecorder.normal(
            client,
            stc,
            "ChangeLogKept",
            "Kept "
                + settings.changeLog().describe()
                + ": its database records StreamTableCluster "
                + recorded.get()
                + " as the one that maintains it");
      }
      if (!access.clusterGone() && !sweepSlots(access)) {
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(Duration.ofSeconds(10));
      }
      changeLogs.forget(stc.getMetadata().getUid());
      return DeleteControl.defaultDelete();
    }
    stopWorkloads();

    DatabaseAccess access = DatabaseAccess.resolve(client, settings);
    int slotOrdinals =
        stc.getStatus() == null || stc.getStatus().getSlotOrdinals() == null
            ? settings.cdcReplicas()
            : Math.max(stc.getStatus().getSlotOrdinals(), settings.cdcReplicas());
    if (SLOTS_DONE.contains(stc.getMetadata().getUid())) {
      LOG.debug("deleting {}: slots already dropped", stc.getMetadata().getName());
    } else if (access.clusterGone()) {
      EventRecorder.normal(
          client,
          stc,
          "SlotsGoneWithCluster",
          "PostgresCluster "
              + settings.clusterRef()
              + " is gone or being deleted: its replication"
              + " slots go with it");
    } else {
      Decommissioning.Outcome outcome;
      try {
        outcome = Decommissioning.step(client, stc, settings, 0, slotOrdinals);
      } catch (KubernetesClientException e) {
        // A namespace being deleted refuses new Jobs (403): the sweep below drops the slots.
        outcome = new Decommissioning.Outcome(true, null, null);
        LOG.info(
            "deleting {}: no decommission Jobs ({})", stc.getMetadata().getName(), e.getMessage());
      }
      if (outcome.failure() != null) {
        EventRecorder.warning(client, stc, "DecommissionFailed", outcome.failure());
      } else if (!outcome.done()) {
        LOG.info("deleting {}: {}", stc.getMetadata().getName(), outcome.progress());
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(SOON);
      }
      if (!sweepSlots(access)) {
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(Duration.ofSeconds(10));
      }
    }
    SLOTS_DONE.add(stc.getMetadata().getUid());

    if (sharedWith.isPresent()) {
      EventRecorder.warning(
          client,
          stc,
          "ChangeLogKept",
          "Kept "
              + settings.changeLog().describe()
              + ": StreamTableCluster "
              + sharedWith.get().getMetadata().getNamespace()
              + "/"
              + sharedWith.get().getMetadata().getName()
              + " maintains the same database");
    } else if (settings.logReclaimPolicy() == ReclaimPolicy.Delete
        && access.clusterGone()
        && settings.changeLog().backend()
            == io.pgtrickle.operator.api.streams.CdcSpec.LogBackend.POSTGRES) {
      // The change log is a schema of the cluster's database: gone with it, or never created (a
      // clusterRef to a PostgresCluster that never existed). Before 2026-12-06 the removal failed
      // on the missing database for GIVE_UP_MINUTES.
      EventRecorder.normal(
          client,
          stc,
          "ChangeLogGoneWithCluster",
          settings.changeLog().describe()
              + " is in PostgresCluster "
              + settings.clusterRef()
              + ", which is gone or being deleted: it goes with it");
    } else if (settings.logReclaimPolicy() == ReclaimPolicy.Delete) {
      String uid = stc.getMetadata().getUid();
      try {
        ChangeLogLifecycle.remove(settings.changeLog(), access.endpoint());
        EventRecorder.normal(
            client, stc, "ChangeLogRemoved", "Removed " + settings.changeLog().describe());
      } catch (ChangeLogException | IllegalStateException | NullPointerException e) {
        Instant since = FAILING_SINCE.computeIfAbsent(uid, u -> clock.instant());
        if (clock.instant().isBefore(since.plus(Duration.ofMinutes(GIVE_UP_MINUTES)))) {
          LOG.info("deleting {}: {}", stc.getMetadata().getName(), e.getMessage());
          return DeleteControl.noFinalizerRemoval().rescheduleAfter(Duration.ofSeconds(10));
        }
        EventRecorder.warning(
            client,
            stc,
            "ChangeLogLeftBehind",
            "Gave up removing "
                + settings.changeLog().describe()
                + " after "
                + GIVE_UP_MINUTES
                + " minutes: "
                + e.getMessage()
                + "; remove it by hand");
      }
      FAILING_SINCE.remove(uid);
    }
    changeLogs.forget(stc.getMetadata().getUid());
    SLOTS_DONE.remove(stc.getMetadata().getUid());
    return DeleteControl.defaultDelete();
  }

  /**
   * Drops the pipeline's slots that are still there after the decommission. Returns false to try
   * again later (the database did not answer), true when done or given up.
   */
  private boolean sweepSlots(DatabaseAccess access) {
    if (access.endpoint() == null) {
      return giveUpOr(
          "slots",
          "cannot reach the database to check for leftover slots: " + access.problemMessage());
    }
    try (var c = access.endpoint().connect()) {
      var dropped = SlotSweep.dropLeftovers(c, StreamTableClusterNames.slotPrefix(settings.name()));
      if (!dropped.isEmpty()) {
        EventRecorder.normal(
            client, stc, "SlotsDropped", "Dropped replication slots left behind: " + dropped);
      }
      FAILING_SINCE.remove(stc.getMetadata().getUid() + "/slots");
      return true;
    } catch (java.sql.SQLException e) {
      return giveUpOr("slots", "cannot drop leftover slots: " + e.getMessage());
    }
  }

  /** False (retry) until a step has failed for GIVE_UP_MINUTES, then a Warning and true. */
  private boolean giveUpOr(String step, String message) {
    Instant since =
        FAILING_SINCE.computeIfAbsent(
            stc.getMetadata().getUid() + "/" + step, u -> clock.instant());
    if (clock.instant().isBefore(since.plus(Duration.ofMinutes(GIVE_UP_MINUTES)))) {
      LOG.info("deleting {}: {}", stc.getMetadata().getName(), message);
      return false;
    }
    EventRecorder.warning(
        client,
        stc,
        "SlotsLeftBehind",
        message
            + "; replication slots named "
            + StreamTableClusterNames.slotPrefix(settings.name())
            + "* may pin WAL: drop them with pg_drop_replication_slot");
    return true;
  }

  /** Workers first (nothing reads a change log being removed), then the consumers. */
  private void stopWorkloads() {
    HorizontalPodAutoscaler hpa =
        context.getSecondaryResource(HorizontalPodAutoscaler.class).orElse(null);
    if (hpa != null) {
      client.resource(hpa).delete();
    }
    Deployment workers = context.getSecondaryResource(Deployment.class).orElse(null);
    if (workers != null
        && (workers.getSpec().getReplicas() == null || workers.getSpec().getReplicas() > 0)) {
      Deployment zero = WorkerDeployment.build(settings);
      zero.getSpec().setReplicas(0);
      Owned.apply(client, stc, zero);
    }
    StatefulSet sts = context.getSecondaryResource(StatefulSet.class).orElse(null);
    if (sts != null && (sts.getSpec().getReplicas() == null || sts.getSpec().getReplicas() > 0)) {
      Owned.apply(client, stc, CdcStatefulSet.build(settings, 0));
    }
  }

  private static StreamTableClusterStatus copyOrNew(StreamTableClusterStatus status) {
    StreamTableClusterStatus s = new StreamTableClusterStatus();
    if (status != null) {
      s.setObservedGeneration(status.getObservedGeneration());
      s.setConditions(status.getConditions());
      s.setSlotOrdinals(status.getSlotOrdinals());
      s.setChangeLog(status.getChangeLog());
      s.setStreamTables(status.getStreamTables());
    }
    return s;
  }
}
