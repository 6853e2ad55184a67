package io.pgtrickle.operator.postgres.patroni;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.Map;

/**
 * Patroni's leader lock in its Kubernetes DCS: the {@code leader} annotation of the ConfigMap
 * {@code SCOPE-leader}, renewed by the primary every loop. Releasing it is what Patroni itself does
 * on a clean shutdown: it removes the annotation, conditional on the version it read, so a lock
 * renewed or taken in between is never touched.
 */
public final class LeaderLock {

  static final String LEADER_ANNOTATION = "leader";

  private LeaderLock() {}

  public static String configMapName(String scope) {
    return scope + "-leader";
  }

  /**
   * Removes the lock if {@code member} holds it; true when this call released it. A conflict (the
   * holder renewed it, or someone took it) leaves it alone and returns false.
   */
  public static boolean releaseIfHeldBy(
      KubernetesClient client, String namespace, String scope, String member) {
    var resource = client.configMaps().inNamespace(namespace).withName(configMapName(scope));
    ConfigMap lock = resource.get();
    Map<String, String> annotations = lock == null ? null : lock.getMetadata().getAnnotations();
    if (annotations == null || !member.equals(annotations.get(LEADER_ANNOTATION))) {
      return false;
    }
    String patch =
        "{\"metadata\":{\"resourceVersion\":\""
            + lock.getMetadata().getResourceVersion()
            + "\",\"annotations\":{\""
            + LEADER_ANNOTATION
            + "\":null}}}";
    try {
      resource.patch(PatchContext.of(PatchType.JSON_MERGE), patch);
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return false;
      }
      throw e;
    }
  }
}
