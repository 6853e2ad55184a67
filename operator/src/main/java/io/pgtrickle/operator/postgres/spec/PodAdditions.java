package io.pgtrickle.operator.postgres.spec;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.tls.ClusterTls;
import io.pgtrickle.operator.spec.RestrictedSecurity;

/**
 * What {@code spec.tls}, {@code spec.pgbouncer} and {@code spec.metrics} add to the pod template:
 * the certificate volume, the PgBouncer sidecar and the exporter sidecar with its scrape
 * annotations. Kept apart from {@link ClusterStatefulSet} so that the base pod stays readable.
 */
final class PodAdditions {

  static final String PGBOUNCER = "pgbouncer";
  static final String EXPORTER = "exporter";
  public static final int EXPORTER_PORT = 9187;
  static final String EXPORTER_MOUNT = "/etc/postgres-exporter";

  private PodAdditions() {}

  static void apply(PostgresCluster cluster, PodTemplateSpec template) {
    TlsPod.apply(cluster, template);
    if (io.pgtrickle.operator.backup.spec.PgBackRestServer.enabled(cluster)) {
      // spec.backup: pgBackRest's TLS server, in the PostgreSQL image (the backup Jobs use it).
      // `kubectl exec POD -- pgbackrest info` (the seed's demo) still means the PostgreSQL
      // container, without kubectl's "Defaulted container" notice.
      template
          .getMetadata()
          .getAnnotations()
          .put("kubectl.kubernetes.io/default-container", ClusterStatefulSet.CONTAINER);
      template
          .getSpec()
          .getContainers()
          .add(
              io.pgtrickle.operator.backup.spec.PgBackRestServer.sidecar(
                  cluster, template.getSpec().getContainers().get(0).getImage()));
    }
    if (PgBouncerConfig.enabled(cluster)) {
      addPgBouncer(cluster, template);
    }
    if (ExporterQueries.enabled(cluster)) {
      addExporter(cluster, template);
    }
  }

  private static void addPgBouncer(PostgresCluster cluster, PodTemplateSpec template) {
    template
        .getSpec()
        .getVolumes()
        .add(
            new VolumeBuilder()
                .withName("pgbouncer-config")
                .withNewConfigMap()
                .withName(ClusterNames.poolerConfigMap(cluster))
                .endConfigMap()
                .build());
    template
        .getSpec()
        .getVolumes()
        .add(
            new VolumeBuilder()
                .withName("pgbouncer-auth")
                .withNewSecret()
                .withSecretName(ClusterNames.poolerSecret(cluster))
                .withDefaultMode(0640)
                .addNewItem()
                .withKey(PgBouncerConfig.AUTH_FILE)
                .withPath(PgBouncerConfig.AUTH_FILE)
                .endItem()
                .endSecret()
                .build());
    ContainerBuilder container =
        sidecar(PGBOUNCER, SidecarImages.pgbouncer())
            .withCommand("pgbouncer")
            .withArgs(PgBouncerConfig.CONFIG_MOUNT + "/" + PgBouncerConfig.FILE)
            .addNewPort()
            .withName(PGBOUNCER)
            .withContainerPort(PgBouncerConfig.PORT)
            .withProtocol("TCP")
            .endPort()
            .withNewReadinessProbe()
            .withNewTcpSocket()
            .withNewPort(PGBOUNCER)
            .endTcpSocket()
            .withPeriodSeconds(5)
            .endReadinessProbe()
            .addNewVolumeMount()
            .withName("pgbouncer-config")
            .withMountPath(PgBouncerConfig.CONFIG_MOUNT)
            .withReadOnly(true)
            .endVolumeMount()
            .addNewVolumeMount()
            .withName("pgbouncer-auth")
            .withMountPath(PgBouncerConfig.AUTH_MOUNT)
            .withReadOnly(true)
            .endVolumeMount()
            .addNewVolumeMount()
            .withName("run")
            .withMountPath("/var/run/postgresql")
            .endVolumeMount();
    if (ClusterTls.enabled(cluster)) {
      container.addToVolumeMounts(TlsPod.mount());
    }
    template.getSpec().getContainers().add(container.build());
  }

  private static void addExporter(PostgresCluster cluster, PodTemplateSpec template) {
    template
        .getSpec()
        .getVolumes()
        .add(
            new VolumeBuilder()
                .withName("exporter-queries")
                .withNewConfigMap()
                .withName(ClusterNames.exporterConfigMap(cluster))
                .endConfigMap()
                .build());
    String monitoring = ClusterNames.monitoringSecret(cluster);
    Container container =
        sidecar(EXPORTER, SidecarImages.exporter())
            .withCommand("prometheus-postgres-exporter")
            .withArgs(
                "--web.listen-address=:" + EXPORTER_PORT,
                "--extend.query-path=" + EXPORTER_MOUNT + "/" + ExporterQueries.FILE)
            // The key=value form: the exporter's DATA_SOURCE_URI cannot name a Unix socket (its
            // host= parameter is ignored). The password reaches it only through the Secret
            // reference, expanded by the kubelet ($(VAR) of an earlier variable).
            .withEnv(
                secret("MONITORING_USER", monitoring, ClusterSecrets.USERNAME),
                secret("MONITORING_PASSWORD", monitoring, ClusterSecrets.PASSWORD),
                value(
                    "DATA_SOURCE_NAME",
                    "host=/var/run/postgresql port="
                        + ClusterServices.POSTGRES_PORT
                        + " dbname=postgres user=$(MONITORING_USER)"
                        + " password=$(MONITORING_PASSWORD) sslmode=disable"))
            .addNewPort()
            .withName("metrics")
            .withContainerPort(EXPORTER_PORT)
            .withProtocol("TCP")
            .endPort()
            // Liveness on the landing page, not readiness on /metrics: a pod is ready only when
            // all its containers are, and an exporter that is down must not take its member out
            // of NAME-primary and NAME-pooler; /metrics runs queries, which a loaded member may
            // answer slowly.
            .withNewLivenessProbe()
            .withNewHttpGet()
            .withPath("/")
            .withNewPort("metrics")
            .endHttpGet()
            .withPeriodSeconds(10)
            .withTimeoutSeconds(5)
            .withFailureThreshold(3)
            .endLivenessProbe()
            .addNewVolumeMount()
            .withName("exporter-queries")
            .withMountPath(EXPORTER_MOUNT)
            .withReadOnly(true)
            .endVolumeMount()
            .addNewVolumeMount()
            .withName("run")
            .withMountPath("/var/run/postgresql")
            .endVolumeMount()
            .build();
    template.getSpec().getContainers().add(container);
    var annotations = template.getMetadata().getAnnotations();
    annotations.put("prometheus.io/scrape", "true");
    annotations.put("prometheus.io/port", Integer.toString(EXPORTER_PORT));
    annotations.put("prometheus.io/path", "/metrics");
  }

  /** Common to both sidecars: small requests, the restricted security context. */
  private static ContainerBuilder sidecar(String name, String image) {
    return new ContainerBuilder()
        .withName(name)
        .withImage(image)
        .withImagePullPolicy("IfNotPresent")
        .withNewResources()
        .addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity("10m"))
        .addToRequests("memory", new io.fabric8.kubernetes.api.model.Quantity("32Mi"))
        .addToLimits("memory", new io.fabric8.kubernetes.api.model.Quantity("128Mi"))
        .endResources()
        .withSecurityContext(RestrictedSecurity.container());
  }

  private static EnvVar value(String name, String value) {
    return new EnvVarBuilder().withName(name).withValue(value).build();
  }

  private static EnvVar secret(String name, String secret, String key) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewSecretKeyRef()
        .withName(secret)
        .withKey(key)
        .endSecretKeyRef()
        .endValueFrom()
        .build();
  }
}
