package io.pgtrickle.operator.api.streams;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * Where the database is, and the credentials of a user with the REPLICATION attribute that may
 * create publications, slots and the {@code pgtrickle} schema.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "has(self.host) != has(self.clusterRef)",
    message =
        "exactly one of spec.postgresql.host and spec.postgresql.clusterRef must be given: host"
            + " names a server (with secretRef), clusterRef a PostgresCluster in this namespace",
    reason = "FieldValueInvalid")
@ValidationRule(
    value = "!has(self.host) || has(self.secretRef)",
    message =
        "spec.postgresql.secretRef is required with spec.postgresql.host: a Secret with the keys"
            + " username and password",
    reason = "FieldValueRequired",
    fieldPath = ".secretRef")
@ValidationRule(
    value = "!has(self.clusterRef) || !has(self.port)",
    message =
        "spec.postgresql.port cannot be given with spec.postgresql.clusterRef: the PostgresCluster's"
            + " port (5432) is used",
    reason = "FieldValueForbidden",
    fieldPath = ".port")
@ValidationRule(
    value =
        "self.database == oldSelf.database && has(self.host) == has(oldSelf.host)"
            + " && (!has(self.host) || self.host == oldSelf.host)"
            + " && has(self.clusterRef) == has(oldSelf.clusterRef)"
            + " && (!has(self.clusterRef) || self.clusterRef.name == oldSelf.clusterRef.name)",
    message =
        "spec.postgresql.database, host and clusterRef cannot change: the pipeline's replication"
            + " slots, change log and pgtrickle catalog live in that database; delete this"
            + " StreamTableCluster and create one for the other database",
    reason = "FieldValueForbidden")
public class PostgresqlSource {

  /** PostgreSQL's port, and the one of a PostgresCluster's primary Service. */
  public static final int DEFAULT_PORT = 5432;

  @JsonPropertyDescription(
      "Host name of the primary (a name that follows the primary across failovers, such as a"
          + " Service), for a server not managed by a PostgresCluster. Exactly one of host and"
          + " clusterRef.")
  @ValidationRule(
      value = "self.matches('^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$') && size(self) <= 253",
      message =
          "spec.postgresql.host must be a DNS name or an IPv4 address, such as pg-primary.default.svc",
      reason = "FieldValueInvalid")
  @Size(max = 253)
  private String host;

  @Min(1)
  @Max(65535)
  @JsonPropertyDescription("Port of host, 1 to 65535. Default 5432.")
  private Integer port;

  @Required
  @JsonPropertyDescription(
      "The database holding the source tables, the stream tables and the pgtrickle catalog: any"
          + " name PostgreSQL allows (the URLs given to the pods carry it percent-encoded).")
  @ValidationRule(
      value = "size(self) >= 1 && size(self) <= 63",
      message = "spec.postgresql.database must be 1 to 63 characters (a PostgreSQL identifier)",
      reason = "FieldValueInvalid")
  @Size(max = 63)
  private String database;

  @JsonPropertyDescription(
      "Secret with the keys username and password. Required with host; with clusterRef it"
          + " replaces the PostgresCluster's superuser Secret NAME-credentials. The user needs the"
          + " REPLICATION attribute and the right to create publications and schemas.")
  private NameReference secretRef;

  @JsonPropertyDescription(
      "A PostgresCluster in this namespace: the pipeline connects to its primary Service"
          + " NAME-primary, uses its Secret NAME-credentials unless secretRef is given, and looks"
          + " for stale slot copies on its members (NAME-pods). Exactly one of host and clusterRef.")
  private NameReference clusterRef;

  public String getHost() {
    return host;
  }

  public void setHost(String host) {
    this.host = host;
  }

  public Integer getPort() {
    return port;
  }

  public void setPort(Integer port) {
    this.port = port;
  }

  public String getDatabase() {
    return database;
  }

  public void setDatabase(String database) {
    this.database = database;
  }

  public NameReference getSecretRef() {
    return secretRef;
  }

  public void setSecretRef(NameReference secretRef) {
    this.secretRef = secretRef;
  }

  public NameReference getClusterRef() {
    return clusterRef;
  }

  public void setClusterRef(NameReference clusterRef) {
    this.clusterRef = clusterRef;
  }
}
