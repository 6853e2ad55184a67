package io.pgtrickle.operator.streams;

import static io.pgtrickle.operator.naming.DerivedName.generated;

import io.pgtrickle.operator.naming.DerivedName;
import io.pgtrickle.operator.naming.KubernetesLimits;
import io.pgtrickle.operator.postgres.ClusterNames;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every name and label a StreamTableCluster {@code NAME} gives its children (DESIGN.md §6), and so
 * the longest name it may have: {@code api.streams.StreamTableCluster} carries the limit as CEL
 * rules, and every child is named through this class (a new child's name goes into {@link
 * #DERIVED}; StreamTableClusterNamesTest then fails until {@link #MAX_NAME_LENGTH} allows it).
 */
public final class StreamTableClusterNames {

  /**
   * The longest name a StreamTableCluster may have: the label {@code controller-revision-hash} of
   * the CDC pods, {@code NAME-cdc-HASH}, is a label value (63 characters) with a hash of up to 10.
   */
  public static final int MAX_NAME_LENGTH = 48;

  public static final String NAME_LENGTH_RULE = "size(self.metadata.name) <= " + MAX_NAME_LENGTH;

  public static final String NAME_LENGTH_MESSAGE =
      "metadata.name must be at most "
          + MAX_NAME_LENGTH
          + " characters: the CDC StatefulSet NAME-cdc labels its pods controller-revision-hash:"
          + " NAME-cdc-HASH, and label values are limited to 63 characters";

  public static final String NAME_FORMAT_RULE =
      "self.metadata.name.matches('" + KubernetesLimits.DNS_1035_LABEL + "')";

  public static final String NAME_FORMAT_MESSAGE =
      "metadata.name must consist of lower-case letters, digits and '-', start with a letter and"
          + " end with a letter or digit: it names the CDC Service NAME-cdc, whose name must be a"
          + " DNS-1035 label";

  /** Upper bound of CDC replicas the names are sized for (ordinals up to 2 digits). */
  static final int MAX_CDC_REPLICAS = 99;

  private StreamTableClusterNames() {}

  /** The CDC consumers' StatefulSet, and its headless Service. */
  public static String cdcStatefulSet(String name) {
    return name + "-cdc";
  }

  /** The workers' Deployment. */
  public static String workerDeployment(String name) {
    return name + "-worker";
  }

  /** The HorizontalPodAutoscaler of the workers' Deployment. */
  public static String workerAutoscaler(String name) {
    return name + "-worker";
  }

  /** The label naming the StreamTableCluster on every child. */
  public static final String CLUSTER_LABEL = "trickle-labs.io/stream-table-cluster";

  /** Component label values of the two kinds of pods (and their Services). */
  public static final String CDC_COMPONENT = "cdc-consumer";

  public static final String WORKER_COMPONENT = "worker";
  public static final String APP_NAME = "pg-trickle";

  /** Finalizer: slots dropped and the change log removed before the resource goes. */
  public static final String FINALIZER = "trickle-labs.io/finalizer";

  /** The workers' metrics Service. */
  public static String workerService(String name) {
    return name + "-worker";
  }

  /** ServiceAccounts of the two kinds of pods (no Role: they never call the Kubernetes API). */
  public static String cdcServiceAccount(String name) {
    return name + "-cdc";
  }

  public static String workerServiceAccount(String name) {
    return name + "-worker";
  }

  /** The Job dropping the replication slot of CDC consumer {@code ordinal} (decommission). */
  public static String decommissionJob(String name, int ordinal) {
    return name + "-cdc-drop-" + ordinal;
  }

  /** ServiceMonitors (Prometheus Operator) of the two metrics Services. */
  public static String cdcServiceMonitor(String name) {
    return name + "-cdc";
  }

  public static String workerServiceMonitor(String name) {
    return name + "-worker";
  }

  /**
   * Prefix of the CDC consumers' replication slots ({@code PREFIX<ordinal>}, also their
   * publications): the resource's namespace-free name in PostgreSQL's identifier alphabet, so two
   * pipelines on one server never share a slot. At most 10 + 48 + 1 characters, 63 with the ordinal
   * (NAMEDATALEN - 1).
   */
  public static String slotPrefix(String name) {
    return "pgtrickle_" + name.toLowerCase(Locale.ROOT).replace('-', '_') + "_";
  }

  /** The slot of CDC consumer {@code ordinal}. */
  public static String slot(String name, int ordinal) {
    return slotPrefix(name) + ordinal;
  }

  /** The labels every child carries. */
  public static Map<String, String> labels(String name, String component) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(CLUSTER_LABEL, name);
    labels.put(ClusterNames.NAME_LABEL, APP_NAME);
    labels.put(ClusterNames.INSTANCE_LABEL, name);
    labels.put(ClusterNames.COMPONENT_LABEL, component);
    labels.put(ClusterNames.MANAGED_BY_LABEL, ClusterNames.MANAGED_BY);
    return labels;
  }

  /** What selects one kind of pods; immutable once the workload exists, so kept minimal. */
  public static Map<String, String> podSelector(String name, String component) {
    return Map.of(CLUSTER_LABEL, name, ClusterNames.COMPONENT_LABEL, component);
  }

  /** Everything derived from a StreamTableCluster's name, at its longest, with its limit. */
  public static final List<DerivedName> DERIVED =
      List.of(
          new DerivedName(
              "label controller-revision-hash of the CDC pods (StatefulSet NAME-cdc + '-' + hash)",
              n -> cdcStatefulSet(n) + "-" + generated(KubernetesLimits.CONTROLLER_HASH),
              KubernetesLimits.LABEL,
              "label values are limited to 63 characters"),
          new DerivedName(
              "CDC pod NAME-cdc-ORDINAL (its host name)",
              n -> cdcStatefulSet(n) + "-" + MAX_CDC_REPLICAS,
              KubernetesLimits.LABEL,
              "host names are limited to 63 characters"),
          new DerivedName(
              "CDC headless Service NAME-cdc",
              StreamTableClusterNames::cdcStatefulSet,
              KubernetesLimits.LABEL,
              "Service names are DNS labels, limited to 63 characters"),
          new DerivedName(
              "worker ReplicaSet NAME-worker-HASH (pod-template-hash)",
              n -> workerDeployment(n) + "-" + generated(KubernetesLimits.CONTROLLER_HASH),
              KubernetesLimits.SUBDOMAIN,
              "object names are DNS subdomains, limited to 253 characters"),
          new DerivedName(
              "HorizontalPodAutoscaler NAME-worker",
              StreamTableClusterNames::workerAutoscaler,
              KubernetesLimits.SUBDOMAIN,
              "object names are DNS subdomains, limited to 253 characters"),
          new DerivedName(
              "decommission Job NAME-cdc-drop-ORDINAL (its pods' job-name label)",
              n -> decommissionJob(n, MAX_CDC_REPLICAS),
              KubernetesLimits.LABEL,
              "a Job's name is its pods' label batch.kubernetes.io/job-name, limited to 63"
                  + " characters"),
          new DerivedName(
              "replication slot and publication PREFIX_ORDINAL",
              n -> slot(n, MAX_CDC_REPLICAS),
              KubernetesLimits.LABEL,
              "PostgreSQL identifiers are limited to 63 bytes"),
          new DerivedName(
              "labels app.kubernetes.io/instance and the cluster label",
              n -> n,
              KubernetesLimits.LABEL,
              "label values are limited to 63 characters"));
}
