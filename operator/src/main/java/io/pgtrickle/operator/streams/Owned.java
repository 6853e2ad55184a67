package io.pgtrickle.operator.streams;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.streams.StreamTableCluster;

/**
 * Children the reconciler applies itself rather than through the workflow (decommission Jobs,
 * ServiceMonitors, workloads scaled to zero on deletion): owned by the resource, server-side
 * applied with the controller's field manager, like the workflow's.
 */
final class Owned {

  private Owned() {}

  static <T extends HasMetadata> T apply(KubernetesClient client, StreamTableCluster stc, T child) {
    child
        .getMetadata()
        .setOwnerReferences(
            java.util.List.of(
                new OwnerReferenceBuilder()
                    .withApiVersion(StreamTableCluster.API_VERSION)
                    .withKind("StreamTableCluster")
                    .withName(stc.getMetadata().getName())
                    .withUid(stc.getMetadata().getUid())
                    .withController(true)
                    .withBlockOwnerDeletion(true)
                    .build()));
    return client
        .resource(child)
        .fieldManager(StreamTableClusterReconciler.NAME)
        .forceConflicts()
        .serverSideApply();
  }
}
