package io.pgtrickle.operator.storage;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raises a claim's storage request (a JSON merge patch of {@code spec.resources.requests.storage}),
 * the one change the operator makes to an existing claim: the storage driver's resizer and the
 * kubelet do the rest.
 */
public final class ClaimRequests {

  private static final Logger LOG = LoggerFactory.getLogger(ClaimRequests.class);

  private ClaimRequests() {}

  /** The claim's StorageClass, or null when it names none or it does not exist. */
  public static io.fabric8.kubernetes.api.model.storage.StorageClass storageClass(
      KubernetesClient client, io.fabric8.kubernetes.api.model.PersistentVolumeClaim claim) {
    String name = claim.getSpec().getStorageClassName();
    return name == null || name.isEmpty()
        ? null
        : client.storage().v1().storageClasses().withName(name).get();
  }

  /** Raises the claim's storage request; the API server's refusal becomes the verdict. */
  public static VolumeExpansion.Verdict raise(
      KubernetesClient client, String namespace, VolumeExpansion.Expand expand) {
    String patch =
        client
            .getKubernetesSerialization()
            .asJson(
                Map.of(
                    "spec",
                    Map.of("resources", Map.of("requests", Map.of("storage", expand.size())))));
    try {
      client
          .persistentVolumeClaims()
          .inNamespace(namespace)
          .withName(expand.claim())
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
      LOG.info(
          "volume {}/{}: storage request raised to {}", namespace, expand.claim(), expand.size());
      return expand;
    } catch (KubernetesClientException e) {
      String why =
          "the API server refused raising its request to "
              + expand.size()
              + ": "
              + (e.getStatus() != null && e.getStatus().getMessage() != null
                  ? e.getStatus().getMessage()
                  : e.getMessage());
      LOG.warn("volume {}/{}: {}", namespace, expand.claim(), why);
      return new VolumeExpansion.Failed(expand.claim(), why);
    }
  }
}
