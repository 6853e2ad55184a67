package io.pgtrickle.operator.postgres.spec;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.ServiceSpec;
import io.pgtrickle.operator.api.ServiceType;
import io.pgtrickle.operator.postgres.ClusterNames;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The three Services of a cluster: read-write, read-only and the StatefulSet's headless one. */
public final class ClusterServices {

  public static final int POSTGRES_PORT = 5432;
  public static final int PATRONI_PORT = 8008;

  private ClusterServices() {}

  /** {@code NAME-primary}: the pod Patroni labelled primary, for reads and writes. */
  public static Service primary(PostgresCluster cluster) {
    return exposed(cluster, ClusterNames.primaryService(cluster), ClusterNames.ROLE_PRIMARY);
  }

  /** {@code NAME-replica}: the streaming replicas, read-only. */
  public static Service replica(PostgresCluster cluster) {
    return exposed(cluster, ClusterNames.replicaService(cluster), ClusterNames.ROLE_REPLICA);
  }

  /**
   * {@code NAME-pods}: headless, gives each pod a stable DNS name. Not-ready pods are published
   * too, so members find each other while they bootstrap.
   */
  public static Service headless(PostgresCluster cluster) {
    return new ServiceBuilder()
        .withMetadata(Metadata.of(cluster, ClusterNames.headlessService(cluster), "database"))
        .withNewSpec()
        .withClusterIP("None")
        .withPublishNotReadyAddresses(true)
        .withSelector(ClusterNames.podSelector(cluster))
        .withPorts(port("postgresql", POSTGRES_PORT), port("patroni", PATRONI_PORT))
        .endSpec()
        .build();
  }

  private static Service exposed(PostgresCluster cluster, String name, String role) {
    ServiceSpec spec = cluster.getSpec().getService();
    ServiceType type =
        spec == null || spec.getType() == null ? ServiceType.ClusterIP : spec.getType();
    Map<String, String> selector = new LinkedHashMap<>(ClusterNames.podSelector(cluster));
    selector.put(ClusterNames.ROLE_LABEL, role);
    List<String> sourceRanges =
        type == ServiceType.LoadBalancer && spec.getLoadBalancerSourceRanges() != null
            ? spec.getLoadBalancerSourceRanges()
            : null;
    return new ServiceBuilder()
        .withMetadata(Metadata.of(cluster, name, "database"))
        .withNewSpec()
        .withType(type.name())
        .withSelector(selector)
        .withPorts(port("postgresql", POSTGRES_PORT))
        .withLoadBalancerSourceRanges(sourceRanges)
        .endSpec()
        .build();
  }

  private static ServicePort port(String name, int port) {
    return new ServicePortBuilder()
        .withName(name)
        .withPort(port)
        .withNewTargetPort(name)
        .withProtocol("TCP")
        .build();
  }
}
