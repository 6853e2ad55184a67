package io.pgtrickle.operator.postgres.spec;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.spec.PgBackRest;
import io.pgtrickle.operator.backup.spec.RestoreBootstrap;
import io.pgtrickle.operator.backup.spec.RestoreSource;
import io.pgtrickle.operator.postgres.ClusterNames;
import java.util.Map;

/** The two ConfigMaps the operator owns: postgresql.conf parameters and Patroni's config file. */
public final class ClusterConfigMaps {

  public static final String POSTGRESQL_CONF = "postgresql.conf";
  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  private ClusterConfigMaps() {}

  /** {@code NAME-postgresql}: the effective parameters, as a file users can read. */
  public static ConfigMap postgresql(PostgresCluster cluster) {
    return new ConfigMapBuilder()
        .withMetadata(
            Metadata.of(cluster, ClusterNames.postgresqlConfigMap(cluster), "configuration"))
        .withData(
            Map.of(
                POSTGRESQL_CONF,
                PostgresqlParameters.render(PostgresqlParameters.effective(cluster))))
        .build();
  }

  /**
   * {@code NAME-patroni}: patroni.yml (and pgbackrest.conf with spec.backup), mounted into every
   * PostgreSQL pod.
   */
  public static ConfigMap patroni(PostgresCluster cluster) {
    return patroni(cluster, null);
  }

  /**
   * The same for a cluster restored from {@code source} (null: none), with the restore script and
   * the source repository's configuration.
   */
  public static ConfigMap patroni(PostgresCluster cluster, RestoreSource source) {
    return patroni(cluster, source, false);
  }

  /**
   * The same during a TLS transition, see {@link PatroniConfig#build(PostgresCluster,
   * RestoreSource, boolean)}.
   */
  public static ConfigMap patroni(
      PostgresCluster cluster, RestoreSource source, boolean tlsTransition) {
    Map<String, String> data = new java.util.TreeMap<>();
    data.put(
        PatroniConfig.CONFIG_FILE,
        YAML.asYaml(PatroniConfig.build(cluster, source, tlsTransition)));
    if (source != null) {
      data.putAll(RestoreBootstrap.configFiles(cluster, source));
    }
    if (PgBackRest.enabled(cluster)) {
      // pgBackRest's configuration, mounted at /etc/pgbackrest (no secret in it).
      data.put(PgBackRest.CONFIG_KEY, PgBackRest.config(cluster));
    }
    return new ConfigMapBuilder()
        .withMetadata(Metadata.of(cluster, ClusterNames.patroniConfigMap(cluster), "configuration"))
        .withData(data)
        .build();
  }
}
