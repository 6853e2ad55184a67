package io.pgtrickle.operator.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.testbed.LogCapture;
import io.pgtrickle.operator.testbed.OperatorRunner;
import io.pgtrickle.testbed.TestNamespace;
import io.pgtrickle.testbed.VolumeProvisioner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Deleting a cluster, as {@code kubectl delete pgc} does: the finalizer shows phase Deleting,
 * removes Patroni's state and lets the cluster go, and nothing is logged at ERROR on the way (issue
 * #18 case 6: every deletion logged "Exceeded maximum (10) retry attempts to patch resource" from
 * the finalizer's removal).
 */
class ClusterDeletionIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private final ClusterFixtures fixtures = new ClusterFixtures(NAMESPACE);

  @Test
  void deletionShowsDeletingAndLogsNoError() {
    List<ClusterPhase> seen = new ArrayList<>();
    try (VolumeProvisioner volumes = new VolumeProvisioner(NAMESPACE.client(), NAMESPACE.name());
        OperatorRunner operator = OperatorRunner.start(NAMESPACE.testBed(), NAMESPACE.name());
        LogCapture logs = new LogCapture();
        var watch =
            NAMESPACE
                .client()
                .resources(PostgresCluster.class)
                .inNamespace(NAMESPACE.name())
                .inform(
                    new io.fabric8.kubernetes.client.informers.ResourceEventHandler<>() {
                      public void onAdd(PostgresCluster c) {}

                      public void onUpdate(PostgresCluster o, PostgresCluster c) {
                        if (c.getStatus() != null) {
                          seen.add(c.getStatus().getPhase());
                        }
                      }

                      public void onDelete(PostgresCluster c, boolean unknown) {}
                    })) {
      for (int i = 0; i < 3; i++) {
        String name = "gone-" + i;
        fixtures.apply("{version: 16, replicas: 2, storage: {size: 1Gi}}", name);
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    fixtures.pods(name).stream()
                            .filter(PostgresClusterProvisioningIT::ready)
                            .count()
                        == 2);
        // A primary, as Patroni would label it: the status then has more to lose on deletion
        // (primaryPod) than a cluster still creating.
        fixtures.markPrimary(name + "-0");
        fixtures.markReplica(name + "-1");
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    fixtures.get(name).getStatus() != null
                        && fixtures.get(name).getStatus().getPhase() == ClusterPhase.Running);
        NAMESPACE
            .client()
            .resources(PostgresCluster.class)
            .inNamespace(NAMESPACE.name())
            .withName(name)
            .delete();
        await().atMost(Duration.ofSeconds(60)).until(() -> fixtures.get(name) == null);
      }
      assertThat(seen).contains(ClusterPhase.Deleting);
      assertThat(logs.atLeast(Level.ERROR)).isEmpty();
      // JOSDK logs the failed finalizer removal at WARN when a retry is pending, at ERROR when
      // not: either way the deletion went wrong.
      assertThat(logs.atLeast(Level.WARN))
          .noneMatch(line -> line.contains("retry attempts to patch"))
          .noneMatch(line -> line.contains("Uncaught error during event processing"));
    }
  }
}
