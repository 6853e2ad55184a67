package io.pgtrickle.operator.streams.dependent;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.api.streams.WorkersSpec.Autoscaler;

/** The HPA exists only with {@code workers.autoscaler: hpa} (and the workers running). */
public class AutoscalerIsHpa implements Condition<Object, StreamTableCluster> {

  @Override
  public boolean isMet(
      DependentResource<Object, StreamTableCluster> dependentResource,
      StreamTableCluster stc,
      Context<StreamTableCluster> context) {
    return stc.getSpec().getWorkers().autoscalerKind() == Autoscaler.HPA
        && context
            .managedWorkflowAndDependentResourceContext()
            .get(WorkloadsAllowed.KEY, Boolean.class)
            .orElse(false);
  }
}
