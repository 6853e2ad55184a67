package io.pgtrickle.operator.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.spec.ClusterServices;
import io.pgtrickle.testbed.TestBed;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * config/samples/networkpolicy-postgresql.yaml selects what the operator really creates: the pods
 * of the basic sample's cluster, its ports, and the operator pods of deploy/operator.yaml. A rename
 * in the code or the chart would otherwise leave the policies selecting nothing, silently.
 */
class NetworkPolicySampleTest {

  private final List<NetworkPolicy> policies =
      PgTrickleChart.parse(
              Files.readString(
                  TestBed.repositoryRoot().resolve("config/samples/networkpolicy-postgresql.yaml")))
          .stream()
          .map(NetworkPolicy.class::cast)
          .toList();

  NetworkPolicySampleTest() throws IOException {}

  private static Map<String, String> memberLabels() {
    PostgresCluster cluster = new PostgresCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("my-cluster").build());
    return ClusterNames.podLabels(cluster);
  }

  @Test
  void everyPolicySelectsTheMembersOfTheBasicCluster() {
    assertThat(policies).hasSize(4);
    for (NetworkPolicy policy : policies) {
      assertThat(memberLabels())
          .as(policy.getMetadata().getName())
          .containsAllEntriesOf(policy.getSpec().getPodSelector().getMatchLabels());
    }
  }

  @Test
  void onlyPostgresqlAndPatroniPortsAreOpened() {
    assertThat(
            policies.stream()
                .flatMap(p -> p.getSpec().getIngress().stream())
                .flatMap(rule -> rule.getPorts().stream())
                .map(port -> port.getPort().getIntVal()))
        .isSubsetOf(ClusterServices.POSTGRES_PORT, ClusterServices.PATRONI_PORT);
  }

  @Test
  void membersReachEachOther() {
    NetworkPolicyPeer peer = onlyPeer("my-cluster-members");
    assertThat(memberLabels()).containsAllEntriesOf(peer.getPodSelector().getMatchLabels());
  }

  /** Patroni's REST API, and PostgreSQL itself to change role passwords. */
  @Test
  void theOperatorOfDeployReachesPatroniAndPostgresql() {
    NetworkPolicyPeer peer = onlyPeer("my-cluster-operator");
    NetworkPolicy policy =
        policies.stream()
            .filter(p -> p.getMetadata().getName().equals("my-cluster-operator"))
            .findFirst()
            .orElseThrow();
    assertThat(policy.getSpec().getIngress().get(0).getPorts())
        .extracting(p -> p.getPort().getIntVal())
        .containsExactlyInAnyOrder(ClusterServices.PATRONI_PORT, ClusterServices.POSTGRES_PORT);
    assertThat(peer.getNamespaceSelector().getMatchLabels())
        .containsExactly(Map.entry("kubernetes.io/metadata.name", DeployManifests.NAMESPACE));
    List<HasMetadata> chart =
        PgTrickleChart.render(DeployManifests.RELEASE, DeployManifests.NAMESPACE, Map.of());
    Deployment operator =
        chart.stream()
            .filter(Deployment.class::isInstance)
            .map(Deployment.class::cast)
            .findFirst()
            .orElseThrow();
    assertThat(operator.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(peer.getPodSelector().getMatchLabels());
  }

  private NetworkPolicyPeer onlyPeer(String policy) {
    NetworkPolicy named =
        policies.stream()
            .filter(p -> p.getMetadata().getName().equals(policy))
            .findFirst()
            .orElseThrow();
    assertThat(named.getSpec().getIngress()).hasSize(1);
    assertThat(named.getSpec().getIngress().get(0).getFrom()).hasSize(1);
    return named.getSpec().getIngress().get(0).getFrom().get(0);
  }
}
