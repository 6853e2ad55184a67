package io.pgtrickle.operator;

import io.javaoperatorsdk.operator.Operator;
import io.pgtrickle.operator.postgres.PostgresClusterReconciler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of the operator. The Kubernetes client is configured the standard way: in a pod from
 * its ServiceAccount, elsewhere from {@code KUBECONFIG} or {@code ~/.kube/config}.
 */
public final class OperatorMain {

  private static final Logger LOG = LoggerFactory.getLogger(OperatorMain.class);

  private OperatorMain() {}

  public static void main(String[] args) {
    Operator operator = new Operator(o -> o.withStopOnInformerErrorDuringStartup(true));
    operator.register(
        new PostgresClusterReconciler(ApiServerFeatures.detect(operator.getKubernetesClient())));
    operator.start();
    LOG.info("pg-trickle operator started");
  }
}
