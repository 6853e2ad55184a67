package io.pgtrickle.operator.postgres.patroni;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Map;

/**
 * The member data Patroni (its Kubernetes DCS) publishes in each pod's {@code status} annotation,
 * as JSON: {@code role}, {@code state}, {@code timeline}, {@code xlog_location}, {@code
 * replication_state}, {@code pending_restart} and {@code pending_restart_reason} ({@code {"name":
 * {"old_value": .., "new_value": ..}}}, Patroni 4), ...
 */
public final class PatroniMemberData {

  /** The pod annotation Patroni writes its member data to. */
  public static final String STATUS_ANNOTATION = "status";

  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private PatroniMemberData() {}

  /**
   * The member data of a pod.
   *
   * @param pod a cluster member's pod
   * @return the parsed annotation; empty when there is none or it is not a JSON object
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> of(Pod pod) {
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    String status = annotations == null ? null : annotations.get(STATUS_ANNOTATION);
    if (status == null || status.isBlank()) {
      return Map.of();
    }
    try {
      Object parsed = JSON.unmarshal(status, Map.class);
      return parsed instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
    } catch (RuntimeException e) {
      return Map.of();
    }
  }
}
