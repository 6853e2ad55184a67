package io.pgtrickle.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.VersionInfo;

/**
 * What the API server supports, detected once at start-up from its version.
 *
 * @param inPlacePodResize pods' CPU and memory can change without a restart (the {@code resize}
 *     subresource, generally available since Kubernetes 1.35)
 */
public record ApiServerFeatures(boolean inPlacePodResize) {

  public static ApiServerFeatures detect(KubernetesClient client) {
    return fromVersion(client.getKubernetesVersion());
  }

  static ApiServerFeatures fromVersion(VersionInfo version) {
    int major = leadingNumber(version.getMajor());
    int minor = leadingNumber(version.getMinor());
    return new ApiServerFeatures(major > 1 || (major == 1 && minor >= 35));
  }

  /** Managed offerings report minors such as "35+"; only the number counts. */
  private static int leadingNumber(String text) {
    String digits = text == null ? "" : text.replaceAll("^(\\d*).*$", "$1");
    return digits.isEmpty() ? 0 : Integer.parseInt(digits);
  }
}
