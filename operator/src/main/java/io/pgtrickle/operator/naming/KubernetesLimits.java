package io.pgtrickle.operator.naming;

/** Limits Kubernetes puts on names and label values, and the generated parts it appends. */
public final class KubernetesLimits {

  /** A label value, and a DNS label (RFC 1123/1035): Service names, pod host names. */
  public static final int LABEL = 63;

  /** A DNS subdomain (RFC 1123): most object names (ConfigMap, Secret, PVC, Job, ...). */
  public static final int SUBDOMAIN = 253;

  /**
   * A CronJob's name: the CronJob controller names its Jobs NAME-MINUTES (11 characters more), and
   * a Job's name becomes the {@code batch.kubernetes.io/job-name} label of its pods (63).
   */
  public static final int CRONJOB = 52;

  /**
   * The hash a StatefulSet or Deployment controller appends (ControllerRevision names, label {@code
   * controller-revision-hash}, label {@code pod-template-hash}): a 32-bit FNV hash in Kubernetes'
   * safe alphabet, up to 10 characters.
   */
  public static final int CONTROLLER_HASH = 10;

  /**
   * What a DNS-1035 label allows, the strictest name rule among the children (Service names):
   * lower-case letters, digits and '-', starting with a letter and ending with a letter or digit.
   */
  public static final String DNS_1035_LABEL = "^[a-z]([-a-z0-9]*[a-z0-9])?$";

  private KubernetesLimits() {}
}
