package io.pgtrickle.operator.streams.status;

import io.pgtrickle.operator.streams.db.CatalogObservation;

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
    int slotOrdinals) {

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
