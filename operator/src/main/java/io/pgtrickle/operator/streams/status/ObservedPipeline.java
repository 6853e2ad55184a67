package io.pgtrickle.operator.streams.status;

import io.pgtrickle.operator.status.PodBlocker;
import io.pgtrickle.operator.streams.db.CatalogObservation;
import io.pgtrickle.operator.streams.db.ReplicationCapacity;
import java.util.List;

/**
 * What one reconcile saw of a pipeline, the input of {@link PipelineStatusCalculator}.
 *
 * @param problemReason a problem that stops the pipeline (SecretNotFound, ClusterNotFound,
 *     DatabaseUnreachable, ...), or null
 * @param problemMessage its explanation
 * @param problemNeedsUser whether only the user can fix it (phase Failed) rather than time
 * @param changeLogReady whether the change log exists and answers
 * @param changeLogMessage what the change log is, or why it is not ready
 * @param cdcDesired CDC consumers wanted
 * @param cdcReady CDC consumers ready
 * @param cdcExists whether the StatefulSet exists
 * @param workersDesired workers the Deployment wants now
 * @param workersReady workers ready
 * @param workersExist whether the Deployment exists
 * @param autoscaling the autoscaler's state
 * @param monitoring the ServiceMonitors' state, or null when not asked for
 * @param catalog the database's figures, or null when it could not be read
 * @param decommissioning a description of slots being dropped, or null
 * @param decommissionFailure why a slot could not be dropped, or null
 * @param slotOrdinals ordinals whose slot may exist
 * @param cdcBlockers why CDC consumer pods do not come up (unschedulable, image pull, crash loop),
 *     from their status
 * @param workerBlockers the same for the worker pods
 * @param capacity the server's shortfall of slots or WAL senders when some consumers can run and
 *     others cannot (a scale-up of {@code spec.cdc.replicas} short of them), or null; when none
 *     can, it is the problem instead
 * @param changeLogReason the {@code ChangeLogReady} condition's reason when the change log is not
 *     ready: {@code Unreachable}, {@code SettingRefused} (the backend refused a setting of the
 *     spec: only the user can fix it) or {@code Unavailable}; when it is ready, null ({@code
 *     Available}) or {@link #CHANGE_LOG_UNDER_REPLICATED}
 */
public record ObservedPipeline(
    String problemReason,
    String problemMessage,
    boolean problemNeedsUser,
    boolean changeLogReady,
    String changeLogMessage,
    int cdcDesired,
    int cdcReady,
    boolean cdcExists,
    int workersDesired,
    int workersReady,
    boolean workersExist,
    Autoscaling autoscaling,
    Monitoring monitoring,
    CatalogObservation catalog,
    String decommissioning,
    String decommissionFailure,
    int slotOrdinals,
    List<PodBlocker> cdcBlockers,
    List<PodBlocker> workerBlockers,
    ReplicationCapacity.Shortfall capacity,
    String changeLogReason) {

  /** {@link #changeLogReason} when nothing more precise is known. */
  public static final String CHANGE_LOG_UNAVAILABLE = "Unavailable";

  /**
   * {@link #changeLogReason} of a ready change log whose servers hold fewer copies in sync than it
   * should have (the condition stays True, with this reason and the shortfall as its message).
   */
  public static final String CHANGE_LOG_UNDER_REPLICATED = "UnderReplicated";

  /** {@link #changeLogReason} of a setting the backend refused. */
  public static final String CHANGE_LOG_SETTING_REFUSED = "SettingRefused";

  public ObservedPipeline {
    cdcBlockers = List.copyOf(cdcBlockers);
    workerBlockers = List.copyOf(workerBlockers);
  }

  /** An observation with no pod known to be blocked. */
  public ObservedPipeline(
      String problemReason,
      String problemMessage,
      boolean problemNeedsUser,
      boolean changeLogReady,
      String changeLogMessage,
      int cdcDesired,
      int cdcReady,
      boolean cdcExists,
      int workersDesired,
      int workersReady,
      boolean workersExist,
      Autoscaling autoscaling,
      Monitoring monitoring,
      CatalogObservation catalog,
      String decommissioning,
      String decommissionFailure,
      int slotOrdinals) {
    this(
        problemReason,
        problemMessage,
        problemNeedsUser,
        changeLogReady,
        changeLogMessage,
        cdcDesired,
        cdcReady,
        cdcExists,
        workersDesired,
        workersReady,
        workersExist,
        autoscaling,
        monitoring,
        catalog,
        decommissioning,
        decommissionFailure,
        slotOrdinals,
        List.of(),
        List.of(),
        null,
        changeLogReady ? null : CHANGE_LOG_UNAVAILABLE);
  }

  /** The same, with the pods' blockers. */
  public ObservedPipeline withBlockers(List<PodBlocker> cdc, List<PodBlocker> workers) {
    return new ObservedPipeline(
        problemReason,
        problemMessage,
        problemNeedsUser,
        changeLogReady,
        changeLogMessage,
        cdcDesired,
        cdcReady,
        cdcExists,
        workersDesired,
        workersReady,
        workersExist,
        autoscaling,
        monitoring,
        catalog,
        decommissioning,
        decommissionFailure,
        slotOrdinals,
        cdc,
        workers,
        capacity,
        changeLogReason);
  }

  /** The same, with the server's shortfall for some of the consumers. */
  public ObservedPipeline withCapacity(ReplicationCapacity.Shortfall shortfall) {
    return new ObservedPipeline(
        problemReason,
        problemMessage,
        problemNeedsUser,
        changeLogReady,
        changeLogMessage,
        cdcDesired,
        cdcReady,
        cdcExists,
        workersDesired,
        workersReady,
        workersExist,
        autoscaling,
        monitoring,
        catalog,
        decommissioning,
        decommissionFailure,
        slotOrdinals,
        cdcBlockers,
        workerBlockers,
        shortfall,
        changeLogReason);
  }

  /** The same, with why the change log is not ready ({@link #changeLogReason}). */
  public ObservedPipeline withChangeLogReason(String reason) {
    return new ObservedPipeline(
        problemReason,
        problemMessage,
        problemNeedsUser,
        changeLogReady,
        changeLogMessage,
        cdcDesired,
        cdcReady,
        cdcExists,
        workersDesired,
        workersReady,
        workersExist,
        autoscaling,
        monitoring,
        catalog,
        decommissioning,
        decommissionFailure,
        slotOrdinals,
        cdcBlockers,
        workerBlockers,
        capacity,
        reason);
  }

  /** Whether the change log is not ready because the backend refused a setting of the spec. */
  public boolean changeLogSettingRefused() {
    return !changeLogReady && CHANGE_LOG_SETTING_REFUSED.equals(changeLogReason);
  }

  /** Whether {@code reason} is one a blocked pod of this observation gave. */
  public boolean blockerReason(String reason) {
    return java.util.stream.Stream.concat(cdcBlockers.stream(), workerBlockers.stream())
        .anyMatch(b -> b.reason().equals(reason));
  }

  /**
   * The autoscaler's state as the HPA reports it.
   *
   * @param active whether it can scale (HPA condition ScalingActive=True)
   * @param reason the HPA's reason (ValidMetricFound, FailedGetObjectMetric, ...), or ours
   * @param message its message
   */
  public record Autoscaling(boolean active, String reason, String message) {}

  /**
   * The ServiceMonitors' state.
   *
   * @param ready whether they exist
   * @param reason why not, or Created
   * @param message the explanation
   */
  public record Monitoring(boolean ready, String reason, String message) {}
}
