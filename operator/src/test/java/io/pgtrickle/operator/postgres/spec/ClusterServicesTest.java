package io.pgtrickle.operator.postgres.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.ServiceSpec;
import io.pgtrickle.operator.api.ServiceType;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterServicesTest {

  @Test
  void primaryAndReplicaSelectOnPatroniRoleLabel() {
    PostgresCluster cluster = Clusters.basic(3);
    Service primary = ClusterServices.primary(cluster);
    Service replica = ClusterServices.replica(cluster);
    assertThat(primary.getMetadata().getName()).isEqualTo("db-primary");
    assertThat(replica.getMetadata().getName()).isEqualTo("db-replica");
    assertThat(primary.getSpec().getSelector())
        .containsEntry("postgres.example.com/role", "primary")
        .containsEntry("postgres.example.com/cluster", "db");
    assertThat(replica.getSpec().getSelector())
        .containsEntry("postgres.example.com/role", "replica");
    assertThat(primary.getSpec().getType()).isEqualTo("ClusterIP");
    assertThat(primary.getSpec().getPorts())
        .singleElement()
        .satisfies(p -> assertThat(p.getPort()).isEqualTo(5432));
    assertThat(primary.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "pg-trickle-operator");
  }

  @Test
  void headlessPublishesNotReadyPodsForBootstrap() {
    Service headless = ClusterServices.headless(Clusters.basic(3));
    assertThat(headless.getMetadata().getName()).isEqualTo("db-pods");
    assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(headless.getSpec().getPublishNotReadyAddresses()).isTrue();
    assertThat(headless.getSpec().getSelector()).doesNotContainKey("postgres.example.com/role");
  }

  @Test
  void loadBalancerWithSourceRanges() {
    PostgresCluster cluster = Clusters.basic(3);
    ServiceSpec service = new ServiceSpec();
    service.setType(ServiceType.LoadBalancer);
    service.setLoadBalancerSourceRanges(List.of("10.0.0.0/8"));
    cluster.getSpec().setService(service);
    Service primary = ClusterServices.primary(cluster);
    assertThat(primary.getSpec().getType()).isEqualTo("LoadBalancer");
    assertThat(primary.getSpec().getLoadBalancerSourceRanges()).containsExactly("10.0.0.0/8");
  }

  @Test
  void sourceRangesOnlyApplyToLoadBalancers() {
    PostgresCluster cluster = Clusters.basic(3);
    ServiceSpec service = new ServiceSpec();
    service.setType(ServiceType.NodePort);
    service.setLoadBalancerSourceRanges(List.of("10.0.0.0/8"));
    cluster.getSpec().setService(service);
    assertThat(ClusterServices.primary(cluster).getSpec().getLoadBalancerSourceRanges())
        .isNullOrEmpty();
  }
}
