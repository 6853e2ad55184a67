package io.pgtrickle.operator.streams.dependent;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.pgtrickle.operator.api.streams.StreamTableCluster;

/**
 * Precondition of the StatefulSet and the Deployment: the change log was created first (issue #14:
 * "created before the consumers start"). Once a workload exists it stays even while the change log
 * is unreachable (the programs wait and retry; deleting them would gain nothing), so the round puts
 * {@code true} into the workflow context in that case too.
 */
public class WorkloadsAllowed implements Condition<Object, StreamTableCluster> {

  /** The key the round puts a Boolean under. */
  public static final String KEY = "workloadsAllowed";

  @Override
  public boolean isMet(
      DependentResource<Object, StreamTableCluster> dependentResource,
      StreamTableCluster stc,
      Context<StreamTableCluster> context) {
    return context
        .managedWorkflowAndDependentResourceContext()
        .get(KEY, Boolean.class)
        .orElse(false);
  }
}
