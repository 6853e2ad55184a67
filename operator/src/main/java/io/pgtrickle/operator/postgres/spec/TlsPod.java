package io.pgtrickle.operator.postgres.spec;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.tls.ClusterTls;

/**
 * What TLS adds to a PostgreSQL pod: the serving Secret as volume {@code tls} (files readable by
 * the postgres group, owned by root, which PostgreSQL accepts for a key), members announced by
 * their DNS name under the headless Service (so peers can verify them with {@code
 * sslmode=verify-full}), the readiness probe over HTTPS, and with the operator's CA the replication
 * user's client certificate as volume {@code replication-tls} (libpq accepts a root-owned key with
 * the same bits).
 */
final class TlsPod {

  static final String VOLUME = ClusterTls.VOLUME;

  /** The replication user's client certificate, with {@link ClusterTls#clientCertificates}. */
  static final String CLIENT_VOLUME = ClusterTls.CLIENT_VOLUME;

  /** Owner read-write, group read: PostgreSQL accepts a root-owned key with these bits. */
  private static final int MODE = 0640;

  private TlsPod() {}

  static void apply(PostgresCluster cluster, PodTemplateSpec template) {
    if (!ClusterTls.enabled(cluster)) {
      return;
    }
    template
        .getSpec()
        .getVolumes()
        .add(
            new VolumeBuilder()
                .withName(VOLUME)
                .withNewSecret()
                .withSecretName(ClusterTls.servingSecret(cluster))
                .withDefaultMode(MODE)
                .endSecret()
                .build());
    Container postgres = postgres(template);
    postgres.getVolumeMounts().add(mount());
    if (ClusterTls.clientCertificates(cluster)) {
      template
          .getSpec()
          .getVolumes()
          .add(
              new VolumeBuilder()
                  .withName(CLIENT_VOLUME)
                  .withNewSecret()
                  .withSecretName(ClusterNames.replicationTlsSecret(cluster))
                  .withDefaultMode(MODE)
                  .endSecret()
                  .build());
      postgres
          .getVolumeMounts()
          .add(
              new VolumeMountBuilder()
                  .withName(CLIENT_VOLUME)
                  .withMountPath(ClusterTls.CLIENT_MOUNT)
                  .withReadOnly(true)
                  .build());
    }
    String host = ClusterTls.memberHost(cluster, "$(PATRONI_NAME)");
    for (EnvVar env : postgres.getEnv()) {
      if ("PATRONI_POSTGRESQL_CONNECT_ADDRESS".equals(env.getName())) {
        env.setValue(host + ":" + ClusterServices.POSTGRES_PORT);
      } else if ("PATRONI_RESTAPI_CONNECT_ADDRESS".equals(env.getName())) {
        env.setValue(host + ":" + ClusterServices.PATRONI_PORT);
      }
    }
    // Patroni's REST API serves HTTPS only: every probe of it.
    postgres.getReadinessProbe().getHttpGet().setScheme("HTTPS");
    postgres.getLivenessProbe().getHttpGet().setScheme("HTTPS");
    postgres.getStartupProbe().getHttpGet().setScheme("HTTPS");
  }

  /** The serving Secret, read-only, where the configuration files name it. */
  static io.fabric8.kubernetes.api.model.VolumeMount mount() {
    return new VolumeMountBuilder()
        .withName(VOLUME)
        .withMountPath(ClusterTls.MOUNT)
        .withReadOnly(true)
        .build();
  }

  static Container postgres(PodTemplateSpec template) {
    return template.getSpec().getContainers().stream()
        .filter(c -> ClusterStatefulSet.CONTAINER.equals(c.getName()))
        .findFirst()
        .orElseThrow();
  }
}
