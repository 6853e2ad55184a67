package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;
import io.pgtrickle.operator.postgres.ClusterNames;

/**
 * A highly available PostgreSQL cluster: a StatefulSet of Patroni-managed PostgreSQL pods with
 * read-write and read-only Services, generated credentials and optional pgBackRest backups.
 *
 * <p>Its name is limited by what is derived from it ({@link ClusterNames#DERIVED}): the API server
 * refuses a name too long or not usable as a Service name. The rules are declared on this class and
 * inherited by the served {@code v1alpha1} version ({@link
 * io.pgtrickle.operator.api.v1alpha1.PostgresCluster}).
 */
@Group(PostgresCluster.GROUP)
@Version(value = PostgresCluster.VERSION, storage = true, served = true)
@Kind("PostgresCluster")
@Plural("postgresclusters")
@Singular("postgrescluster")
@ShortNames("pgc")
@AdditionalPrinterColumn(
    name = "Version",
    jsonPath = ".spec.version",
    type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "PostgreSQL major version")
@AdditionalPrinterColumn(
    name = "Replicas",
    jsonPath = ".status.replicas",
    type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "Ready members / desired members")
@AdditionalPrinterColumn(
    name = "Status",
    jsonPath = ".status.phase",
    type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "Lifecycle phase")
@AdditionalPrinterColumn(
    name = "Volumes",
    jsonPath = ".status.conditions[?(@.type==\"VolumeSpace\")].reason",
    type = AdditionalPrinterColumn.Type.STRING,
    getDescription =
        "Whether every member's data volume has room: Sufficient, Low or Full (condition"
            + " VolumeSpace)")
@AdditionalPrinterColumn(
    name = "Primary",
    jsonPath = ".status.primaryPod",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1,
    getDescription = "The primary member, Patroni's leader (kubectl get -o wide)")
@AdditionalPrinterColumn(
    name = "Storage",
    jsonPath = ".status.storageSize",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1,
    getDescription = "The smallest member volume's capacity (kubectl get -o wide)")
@AdditionalPrinterColumn(
    name = "Archiving",
    jsonPath = ".status.conditions[?(@.type==\"ContinuousArchiving\")].reason",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1,
    getDescription =
        "Continuous WAL archiving with spec.backup (condition ContinuousArchiving; kubectl get -o"
            + " wide)")
@AdditionalPrinterColumn(
    name = "Reason",
    jsonPath = ".status.phaseReason",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1,
    getDescription = "Why the cluster is in its phase (kubectl get -o wide)")
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
@ValidationRule(
    value = ClusterNames.NAME_LENGTH_RULE,
    message = ClusterNames.NAME_LENGTH_MESSAGE,
    reason = "FieldValueInvalid")
@ValidationRule(
    value = ClusterNames.NAME_FORMAT_RULE,
    message = ClusterNames.NAME_FORMAT_MESSAGE,
    reason = "FieldValueInvalid")
@ValidationRule(
    value = PostgresCluster.STORAGE_SIZE_RULE,
    message =
        "spec.storage.size cannot shrink below the members' volumes (status.storageSize): volumes"
            + " only grow; create a new cluster (or restore one from a backup) with the smaller size",
    reason = "FieldValueForbidden",
    fieldPath = ".spec.storage.size")
public class PostgresCluster extends CustomResource<PostgresClusterSpec, PostgresClusterStatus>
    implements Namespaced {

  /**
   * {@code spec.storage.size} may grow, or go back down to the smallest volume the operator has
   * seen ({@code status.storageSize}: undoing a growth the storage could not make), never below it.
   * A transition rule at the root, where the status is the stored one: a status update leaves the
   * size unchanged, so it always passes.
   */
  static final String STORAGE_SIZE_RULE =
      "!isQuantity(self.spec.storage.size) || !isQuantity(oldSelf.spec.storage.size)"
          + " || quantity(self.spec.storage.size).compareTo(quantity(oldSelf.spec.storage.size))"
          + " >= 0"
          + " || (has(self.status) && has(self.status.storageSize)"
          + " && isQuantity(self.status.storageSize)"
          + " && quantity(self.spec.storage.size).compareTo(quantity(self.status.storageSize))"
          + " >= 0)";

  public static final String GROUP = "postgres.example.com";
  public static final String VERSION = "v1";

  /** Declared here only to mark the spec as required in the generated schema. */
  @Override
  @Required
  @JsonPropertyDescription(
      "The desired cluster: PostgreSQL version, members, storage, resources,"
          + " parameters, backup, restore, TLS, pooler and monitoring.")
  public PostgresClusterSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription(
      "What the operator observed: phase, ready members, the primary, conditions"
          + " (Ready, Progressing, Degraded, ContinuousArchiving, ...).")
  public PostgresClusterStatus getStatus() {
    return super.getStatus();
  }
}
