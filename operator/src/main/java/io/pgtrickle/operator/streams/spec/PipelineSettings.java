package io.pgtrickle.operator.streams.spec;

import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.pgtrickle.operator.api.ReclaimPolicy;
import io.pgtrickle.operator.api.streams.CdcSpec;
import io.pgtrickle.operator.api.streams.CdcSpec.LogBackend;
import io.pgtrickle.operator.api.streams.MonitoringSpec;
import io.pgtrickle.operator.api.streams.PostgresqlSource;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.api.streams.WorkersSpec;
import io.pgtrickle.operator.api.streams.WorkersSpec.Autoscaler;

/**
 * A StreamTableCluster resolved into what its children need, with every default filled in: where
 * the database is, which Secret holds the credentials, the change log's resource, the images. Pure:
 * built from the resource alone ({@link #of}), so every builder that takes it is unit tested
 * without a cluster.
 *
 * @param name the resource's name
 * @param namespace its namespace
 * @param dbHost host the pods connect to: {@code REF-primary} with a clusterRef, else the spec's
 *     host
 * @param dbPort its port
 * @param database the database
 * @param secretName the Secret with keys {@code username} and {@code password}
 * @param members with a clusterRef, {@code REF-pods.NAMESPACE.svc} (every member, for the CDC
 *     consumer's stale-slot checks); else null
 * @param clusterRef the PostgresCluster's name, or null
 * @param backend the change log backend (never WAL: the CRD refuses it)
 * @param changeLog the change log's resource names and settings
 * @param logReclaimPolicy what happens to the change log on deletion
 * @param cdcImage the CDC consumers' image
 * @param cdcReplicas how many CDC consumers (slots)
 * @param cdcResources the CDC consumers' container resources ({@link PipelineResources})
 * @param workerImage the workers' image
 * @param workerResources the workers' container resources ({@link PipelineResources})
 * @param workersMin fewest workers
 * @param workersMax most workers
 * @param autoscaler who scales the workers
 * @param targetCdcLagMs the HPA's CDC lag target, milliseconds
 * @param targetCpuPercent the HPA's average worker CPU target, percent of a core
 * @param prometheus whether pods carry Prometheus scrape annotations
 * @param serviceMonitor whether ServiceMonitors are wanted
 * @param otlp where the pods export traces and metrics over OTLP, or null for nowhere
 */
public record PipelineSettings(
    String name,
    String namespace,
    String dbHost,
    int dbPort,
    String database,
    String secretName,
    String members,
    String clusterRef,
    LogBackend backend,
    ChangeLogTarget changeLog,
    ReclaimPolicy logReclaimPolicy,
    String cdcImage,
    int cdcReplicas,
    ResourceRequirements cdcResources,
    String workerImage,
    ResourceRequirements workerResources,
    int workersMin,
    int workersMax,
    Autoscaler autoscaler,
    long targetCdcLagMs,
    int targetCpuPercent,
    boolean prometheus,
    boolean serviceMonitor,
    OtlpExport otlp) {

  /** The key of the user name in the credentials Secret (a PostgresCluster's own layout). */
  public static final String USERNAME_KEY = "username";

  /** The key of the password in the credentials Secret. */
  public static final String PASSWORD_KEY = "password";

  /**
   * Resolves a resource the API server accepted.
   *
   * @param stc the resource
   * @param images the operator-wide default images
   * @return the settings
   */
  public static PipelineSettings of(StreamTableCluster stc, PipelineImages images) {
    String name = stc.getMetadata().getName();
    String namespace = stc.getMetadata().getNamespace();
    PostgresqlSource pg = stc.getSpec().getPostgresql();
    String ref = pg.getClusterRef() == null ? null : pg.getClusterRef().getName();
    String host = ref != null ? ref + "-primary" : pg.getHost();
    int port = pg.getPort() != null ? pg.getPort() : PostgresqlSource.DEFAULT_PORT;
    String secret = pg.getSecretRef() != null ? pg.getSecretRef().getName() : ref + "-credentials";
    String members = ref == null ? null : ref + "-pods." + namespace + ".svc";
    CdcSpec cdc = stc.getSpec().getCdc() != null ? stc.getSpec().getCdc() : new CdcSpec();
    WorkersSpec workers = stc.getSpec().getWorkers();
    MonitoringSpec monitoring =
        stc.getSpec().getMonitoring() != null
            ? stc.getSpec().getMonitoring()
            : new MonitoringSpec();
    LogBackend backend = cdc.backend();
    ChangeLogTarget changeLog =
        ChangeLogTarget.of(
            backend,
            name,
            namespace,
            host,
            port,
            pg.getDatabase(),
            stc.getSpec().getNats(),
            stc.getSpec().getKafka());
    int min = workers.getMin() == null ? 1 : workers.getMin();
    return new PipelineSettings(
        name,
        namespace,
        host,
        port,
        pg.getDatabase(),
        secret,
        members,
        ref,
        backend,
        changeLog,
        cdc.getLogReclaimPolicy() == null ? ReclaimPolicy.Delete : cdc.getLogReclaimPolicy(),
        blank(cdc.getImage()) ? images.cdc() : cdc.getImage(),
        cdc.getReplicas() == null ? 1 : cdc.getReplicas(),
        PipelineResources.orDefault(cdc.getResources(), PipelineResources.CDC_DEFAULT),
        blank(workers.getImage()) ? images.worker() : workers.getImage(),
        PipelineResources.orDefault(workers.getResources(), PipelineResources.WORKER_DEFAULT),
        min,
        workers.getMax() == null ? min : workers.getMax(),
        workers.autoscalerKind(),
        workers.getTargetCdcLagMs() == null ? 100 : workers.getTargetCdcLagMs(),
        workers.getTargetCpuPercent() == null ? 70 : workers.getTargetCpuPercent(),
        Boolean.TRUE.equals(monitoring.getPrometheus()),
        Boolean.TRUE.equals(monitoring.getServiceMonitor()),
        OtlpExport.of(monitoring.getOtlp()));
  }

  /** The JDBC URL of the database, as the pods reach it. */
  public String jdbcUrl() {
    return "jdbc:postgresql://" + dbHost + ":" + dbPort + "/" + DatabaseUrls.segment(database);
  }

  /** The labels every child carries. */
  public java.util.Map<String, String> labels(String component) {
    return io.pgtrickle.operator.streams.StreamTableClusterNames.labels(name, component);
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
