package io.pgtrickle.operator.postgres.sidecars;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.tls.ClusterTls;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Which clusters serve a user's Secret ({@code spec.tls.certSecret}): such a Secret has no owner
 * reference and no name the operator could derive a cluster from, so its events are mapped to the
 * clusters through what their last rounds recorded here. A rotation (cert-manager renewing the
 * Secret) then wakes those clusters at once.
 */
public final class TlsReferences {

  /** cluster (namespace/name) -> the user Secret it serves. */
  private static final Map<ResourceID, String> SERVING = new ConcurrentHashMap<>();

  private TlsReferences() {}

  static void record(PostgresCluster cluster) {
    ResourceID id = ResourceID.fromResource(cluster);
    if (ClusterTls.enabled(cluster) && ClusterTls.userSecret(cluster).isPresent()) {
      SERVING.put(id, ClusterTls.userSecret(cluster).get());
    } else {
      SERVING.remove(id);
    }
  }

  /** The clusters of {@code namespace} that serve the Secret {@code name}. */
  public static Set<ResourceID> clustersServing(String namespace, String name) {
    return SERVING.entrySet().stream()
        .filter(
            e ->
                name.equals(e.getValue())
                    && namespace.equals(e.getKey().getNamespace().orElse(null)))
        .map(Map.Entry::getKey)
        .collect(Collectors.toSet());
  }
}
