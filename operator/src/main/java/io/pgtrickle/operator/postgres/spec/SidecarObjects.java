package io.pgtrickle.operator.postgres.spec;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.ServiceSpec;
import io.pgtrickle.operator.api.ServiceType;
import io.pgtrickle.operator.postgres.ClusterNames;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The objects beside the pods that the pooler and the exporter need: PgBouncer's ConfigMap and its
 * auth Secret, the pooler Service, the exporter's queries and its user's Secret.
 */
public final class SidecarObjects {

  public static final String POOLER_USER = PgBouncerConfig.AUTH_USER;
  public static final String MONITORING_USER = "pgtrickle_monitoring";

  private SidecarObjects() {}

  /** {@code NAME-pgbouncer}: pgbouncer.ini. */
  public static ConfigMap poolerConfig(PostgresCluster cluster) {
    return new ConfigMapBuilder()
        .withMetadata(Metadata.of(cluster, ClusterNames.poolerConfigMap(cluster), "pooler"))
        .withData(Map.of(PgBouncerConfig.FILE, PgBouncerConfig.render(cluster)))
        .build();
  }

  /**
   * {@code NAME-pgbouncer}: the auth_query user's name and password, and the auth file PgBouncer
   * reads that password from. Created once (a generated password), like the other credentials.
   */
  public static Secret poolerSecret(PostgresCluster cluster) {
    String password = ClusterSecrets.password();
    Map<String, String> data = new LinkedHashMap<>();
    data.put(ClusterSecrets.USERNAME, POOLER_USER);
    data.put(ClusterSecrets.PASSWORD, password);
    data.put(PgBouncerConfig.AUTH_FILE, PgBouncerConfig.authFile(password));
    return secret(cluster, ClusterNames.poolerSecret(cluster), data);
  }

  /** {@code NAME-monitoring}: the exporter's user (member of pg_monitor). Created once. */
  public static Secret monitoringSecret(PostgresCluster cluster) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put(ClusterSecrets.USERNAME, MONITORING_USER);
    data.put(ClusterSecrets.PASSWORD, ClusterSecrets.password());
    return secret(cluster, ClusterNames.monitoringSecret(cluster), data);
  }

  /** {@code NAME-exporter}: the exporter's extra queries. */
  public static ConfigMap exporterQueries(PostgresCluster cluster) {
    return new ConfigMapBuilder()
        .withMetadata(Metadata.of(cluster, ClusterNames.exporterConfigMap(cluster), "metrics"))
        .withData(Map.of(ExporterQueries.FILE, ExporterQueries.render()))
        .build();
  }

  /**
   * {@code NAME-pooler}: PgBouncer of the pod Patroni labelled primary, exposed like {@code
   * NAME-primary} ({@code spec.service}). After a failover it selects the new primary's PgBouncer.
   */
  public static Service poolerService(PostgresCluster cluster) {
    ServiceSpec spec = cluster.getSpec().getService();
    ServiceType type =
        spec == null || spec.getType() == null ? ServiceType.ClusterIP : spec.getType();
    Map<String, String> selector = new LinkedHashMap<>(ClusterNames.podSelector(cluster));
    selector.put(ClusterNames.ROLE_LABEL, ClusterNames.ROLE_PRIMARY);
    List<String> sourceRanges =
        type == ServiceType.LoadBalancer && spec.getLoadBalancerSourceRanges() != null
            ? spec.getLoadBalancerSourceRanges()
            : null;
    return new ServiceBuilder()
        .withMetadata(Metadata.of(cluster, ClusterNames.poolerService(cluster), "pooler"))
        .withNewSpec()
        .withType(type.name())
        .withSelector(selector)
        .addNewPort()
        .withName("pgbouncer")
        .withPort(PgBouncerConfig.PORT)
        .withNewTargetPort("pgbouncer")
        .withProtocol("TCP")
        .endPort()
        .withLoadBalancerSourceRanges(sourceRanges)
        .endSpec()
        .build();
  }

  private static Secret secret(PostgresCluster cluster, String name, Map<String, String> data) {
    return new SecretBuilder()
        .withMetadata(Metadata.of(cluster, name, "credentials"))
        .withType("Opaque")
        .withStringData(data)
        .build();
  }
}
