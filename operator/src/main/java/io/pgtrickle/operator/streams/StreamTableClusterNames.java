package io.pgtrickle.operator.streams;

import static io.pgtrickle.operator.naming.DerivedName.generated;

import io.pgtrickle.operator.naming.DerivedName;
import io.pgtrickle.operator.naming.KubernetesLimits;
import java.util.List;

/**
 * The names a StreamTableCluster {@code NAME} will give its children (DESIGN.md §6), and so the
 * longest name it may have. Its CRD does not exist yet; the issue that adds it applies the limit by
 * annotating the resource class, exactly as {@code api.PostgresCluster} does:
 *
 * <pre>{@code
 * @ValidationRule(
 *     value = StreamTableClusterNames.NAME_LENGTH_RULE,
 *     message = StreamTableClusterNames.NAME_LENGTH_MESSAGE,
 *     reason = "FieldValueInvalid")
 * @ValidationRule(
 *     value = StreamTableClusterNames.NAME_FORMAT_RULE,
 *     message = StreamTableClusterNames.NAME_FORMAT_MESSAGE,
 *     reason = "FieldValueInvalid")
 * public class StreamTableCluster extends CustomResource<...> implements Namespaced {...}
 * }</pre>
 *
 * and by naming every child through this class (a new child's name goes into {@link #DERIVED};
 * StreamTableClusterNamesTest then fails until {@link #MAX_NAME_LENGTH} allows it).
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
              "labels app.kubernetes.io/instance and the cluster label",
              n -> n,
              KubernetesLimits.LABEL,
              "label values are limited to 63 characters"));
}
