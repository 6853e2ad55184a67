package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.Map;

/** Desired state of a {@link PostgresCluster}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "!has(self.synchronous) || !self.synchronous || self.replicas >= 2",
    message =
        "spec.synchronous: true needs at least 2 members (spec.replicas >= 2): a commit waits for"
            + " a standby to confirm it, and with a single member every write would wait forever",
    reason = "FieldValueInvalid",
    fieldPath = ".synchronous")
@ValidationRule(
    value =
        "!has(self.backup) || !has(self.backup.backupFromReplica) || !self.backup.backupFromReplica"
            + " || self.replicas >= 2",
    message =
        "spec.backup.backupFromReplica: true needs at least 2 members (spec.replicas >= 2): the"
            + " backup reads a streaming replica",
    reason = "FieldValueInvalid")
@ValidationRule(
    value = PostgresClusterSpec.REPOSITORY_SIZE_KEPT_RULE,
    message =
        "spec.backup.destination.size cannot shrink: the repository volume NAME-pgbackrest-repo"
            + " exists with the size it was made with (destination.size, or spec.storage.size when"
            + " absent), and volumes only grow",
    reason = "FieldValueForbidden",
    fieldPath = ".backup")
@ValidationRule(
    value = "!has(self.restore) || has(oldSelf.restore)",
    message =
        "spec.restore can only be given when the cluster is created: restoring replaces the"
            + " whole database; create a new cluster from the backup instead",
    reason = "FieldValueForbidden",
    fieldPath = ".restore")
public class PostgresClusterSpec {

  /** The PostgreSQL majors this operator runs; kept in step with the CEL rule below. */
  public static final java.util.List<Integer> SUPPORTED_MAJORS =
      java.util.List.of(14, 15, 16, 17, 18);

  /**
   * Transition rule: while {@code spec.backup} stays and keeps its repository on a volume (type
   * PVC, the default), the volume's size, {@code destination.size} or else {@code storage.size},
   * stays the same quantity. BackupDestination's own rule sees only a destination present before
   * and after; this one also sees a destination (or its size) added or removed. {@code spec.backup}
   * removed and added back is not a transition of it: the operator reports that size against the
   * claim (condition BackupRepository).
   */
  static final String REPOSITORY_SIZE_KEPT_RULE =
      "!has(self.backup) || !has(oldSelf.backup)"
          + " || (has(self.backup.destination) && has(self.backup.destination.type)"
          + " && self.backup.destination.type != 'PVC')"
          + " || (has(oldSelf.backup.destination) && has(oldSelf.backup.destination.type)"
          + " && oldSelf.backup.destination.type != 'PVC')"
          + " || !isQuantity("
          + PostgresClusterSpec.SIZE_NOW
          + ") || !isQuantity("
          + PostgresClusterSpec.SIZE_BEFORE
          + ") || quantity("
          + PostgresClusterSpec.SIZE_NOW
          + ").compareTo(quantity("
          + PostgresClusterSpec.SIZE_BEFORE
          + ")) >= 0";

  /** The repository volume's size the spec asks for now (a quantity, when valid). */
  private static final String SIZE_NOW =
      "(has(self.backup.destination) && has(self.backup.destination.size)"
          + " ? self.backup.destination.size : self.storage.size)";

  /** The same before the change. */
  private static final String SIZE_BEFORE =
      "(has(oldSelf.backup.destination) && has(oldSelf.backup.destination.size)"
          + " ? oldSelf.backup.destination.size : oldSelf.storage.size)";

  /** The most members a cluster may have; pod ordinals go up to one less. */
  public static final int MAX_REPLICAS = 10;

  @Required
  @JsonPropertyDescription(
      "PostgreSQL major version: one of 14, 15, 16, 17, 18, given as an integer or a string."
          + " Fixed once the cluster exists: a major upgrade needs pg_upgrade, which the operator"
          + " does not run, so the API server refuses the change (\"16\" and 16 are the same"
          + " version).")
  @ValidationRule(
      value = "string(self) in ['14', '15', '16', '17', '18']",
      message = "spec.version must be one of [14, 15, 16, 17, 18]",
      reason = "FieldValueInvalid")
  @ValidationRule(
      value = "string(self) == string(oldSelf)",
      messageExpression =
          "'spec.version cannot change from ' + string(oldSelf) + ' to ' + string(self) + ':"
              + " PostgreSQL ' + string(self) + ' cannot read the data directory of PostgreSQL '"
              + " + string(oldSelf) + ' and this operator does not run pg_upgrade; create a new"
              + " cluster and move the data (pg_dump and pg_restore, or logical replication)'",
      reason = "FieldValueForbidden")
  private IntOrString version;

  @Required
  @Min(1)
  @Max(MAX_REPLICAS)
  @JsonPropertyDescription(
      "Number of cluster members (1 primary plus replicas), from 1 to 10. 3 or more gives"
          + " automatic failover with a majority.")
  @ValidationRule(
      value = "self >= 1 && self <= 10",
      message = "spec.replicas must be between 1 and 10",
      reason = "FieldValueInvalid")
  private Integer replicas;

  @Required
  @JsonPropertyDescription("Persistent storage of each member's data directory.")
  private StorageSpec storage;

  @JsonPropertyDescription(
      "CPU and memory requests and limits of the PostgreSQL container. Memory sizes the default"
          + " shared_buffers and effective_cache_size. claims (dynamic resource allocation) is"
          + " not supported yet and refused.")
  @ValidationRule(
      value = "!has(self.claims)",
      message =
          "spec.resources.claims is not supported yet: a container's claims must name the pod's"
              + " resourceClaims (dynamic resource allocation), which the operator does not add;"
              + " use requests and limits",
      reason = "FieldValueForbidden")
  @ValidationRule(
      value =
          "(!has(self.requests) || ((!('cpu' in self.requests) ||"
              + " isQuantity(string(self.requests['cpu']))) && (!('memory' in self.requests) ||"
              + " isQuantity(string(self.requests['memory']))))) && (!has(self.limits) ||"
              + " ((!('cpu' in self.limits) || isQuantity(string(self.limits['cpu']))) &&"
              + " (!('memory' in self.limits) || isQuantity(string(self.limits['memory'])))))",
      message =
          "spec.resources: cpu and memory must be quantities such as 500m, 2, 512Mi or 1Gi (the"
              + " members' memory also sizes shared_buffers)",
      reason = "FieldValueInvalid")
  private ResourceRequirements resources;

  @JsonPropertyDescription(
      "PostgreSQL parameters merged over the operator's defaults, e.g. max_connections: \"200\"."
          + " Names are case-insensitive. Checked against the parameters of spec.version; the"
          + " cluster turns Failed, nothing applied, for a name the operator owns (port,"
          + " data_directory, listen_addresses, ...: reason ParameterNotAllowed), a name that"
          + " major does not know (ParameterUnknown, with the closest known name) or a value"
          + " PostgreSQL would refuse (ParameterInvalid: bool on/off/true/false/yes/no/1/0, enum"
          + " values as listed, numbers in range with units B/kB/MB/GB/TB or us/ms/s/min/h/d)."
          + " Names with a dot are extension parameters (pg_stat_statements.max) and pass.")
  private Map<String, String> postgresqlParams;

  @JsonPropertyDescription("How the read-write and read-only Services are exposed.")
  private ServiceSpec service;

  @JsonPropertyDescription("TLS for client connections.")
  private TlsSpec tls;

  @JsonPropertyDescription("Optional PgBouncer connection pooler.")
  private PgBouncerSpec pgbouncer;

  @JsonPropertyDescription("Optional Prometheus metrics exporter.")
  private MetricsSpec metrics;

  @JsonPropertyDescription("Continuous WAL archiving and scheduled base backups with pgBackRest.")
  private BackupSpec backup;

  @JsonPropertyDescription(
      "Synchronous replication: a commit is acknowledged only once a standby has it, so a"
          + " failover never loses an acknowledged write (Patroni synchronous_mode_strict)."
          + " Needs replicas >= 2. Writes wait while no standby is available; the cluster is then"
          + " Degraded with reason SynchronousStandbyMissing. Default false.")
  private Boolean synchronous;

  @JsonPropertyDescription(
      "Create this cluster from a backup instead of an empty database, optionally to a point in"
          + " time. Fixed once the cluster exists.")
  @ValidationRule(
      value = "self == oldSelf",
      message =
          "spec.restore cannot change: a cluster is restored once, when it is created; create"
              + " another cluster to restore again",
      reason = "FieldValueForbidden")
  private RestoreSpec restore;

  @JsonPropertyDescription(
      "Patroni timings that decide how fast a failed primary is replaced: after a crash, about"
          + " ttl seconds (default 20, Patroni's minimum).")
  private PatroniSpec patroni;

  @JsonPropertyDescription(
      "Container image with PostgreSQL, Patroni and pgBackRest. Defaults to the operator's image"
          + " for the requested major version.")
  private String image;

  /** The major version as a number; valid only for a spec the API server has accepted. */
  @JsonIgnore
  public int majorVersion() {
    return version.getIntVal() != null
        ? version.getIntVal()
        : Integer.parseInt(version.getStrVal().trim());
  }

  public IntOrString getVersion() {
    return version;
  }

  public void setVersion(IntOrString version) {
    this.version = version;
  }

  public Integer getReplicas() {
    return replicas;
  }

  public void setReplicas(Integer replicas) {
    this.replicas = replicas;
  }

  public StorageSpec getStorage() {
    return storage;
  }

  public void setStorage(StorageSpec storage) {
    this.storage = storage;
  }

  public ResourceRequirements getResources() {
    return resources;
  }

  public void setResources(ResourceRequirements resources) {
    this.resources = resources;
  }

  public Map<String, String> getPostgresqlParams() {
    return postgresqlParams;
  }

  public void setPostgresqlParams(Map<String, String> postgresqlParams) {
    this.postgresqlParams = postgresqlParams;
  }

  public ServiceSpec getService() {
    return service;
  }

  public void setService(ServiceSpec service) {
    this.service = service;
  }

  public TlsSpec getTls() {
    return tls;
  }

  public void setTls(TlsSpec tls) {
    this.tls = tls;
  }

  public PgBouncerSpec getPgbouncer() {
    return pgbouncer;
  }

  public void setPgbouncer(PgBouncerSpec pgbouncer) {
    this.pgbouncer = pgbouncer;
  }

  public MetricsSpec getMetrics() {
    return metrics;
  }

  public void setMetrics(MetricsSpec metrics) {
    this.metrics = metrics;
  }

  public BackupSpec getBackup() {
    return backup;
  }

  public void setBackup(BackupSpec backup) {
    this.backup = backup;
  }

  public Boolean getSynchronous() {
    return synchronous;
  }

  public void setSynchronous(Boolean synchronous) {
    this.synchronous = synchronous;
  }

  public RestoreSpec getRestore() {
    return restore;
  }

  public void setRestore(RestoreSpec restore) {
    this.restore = restore;
  }

  public PatroniSpec getPatroni() {
    return patroni;
  }

  public void setPatroni(PatroniSpec patroni) {
    this.patroni = patroni;
  }

  public String getImage() {
    return image;
  }

  public void setImage(String image) {
    this.image = image;
  }
}
