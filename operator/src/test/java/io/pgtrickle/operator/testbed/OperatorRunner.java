package io.pgtrickle.operator.testbed;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.pgtrickle.operator.ApiServerFeatures;
import io.pgtrickle.operator.postgres.PostgresClusterReconciler;

/**
 * The operator, run inside the test JVM against the test bed and limited to one namespace, with a
 * client of its own so it can be stopped and started again like a restarted pod.
 */
public final class OperatorRunner implements AutoCloseable {

  private final Operator operator;

  private OperatorRunner(Operator operator) {
    this.operator = operator;
  }

  public static OperatorRunner start(TestBed testBed, String namespace) {
    KubernetesClient client = testBed.newClient();
    Operator operator =
        new Operator(
            o ->
                o.withKubernetesClient(client)
                    .withCloseClientOnStop(true)
                    .withStopOnInformerErrorDuringStartup(true));
    operator.register(
        new PostgresClusterReconciler(ApiServerFeatures.detect(client)),
        c -> c.settingNamespace(namespace));
    operator.start();
    return new OperatorRunner(operator);
  }

  @Override
  public void close() {
    operator.stop();
  }
}
